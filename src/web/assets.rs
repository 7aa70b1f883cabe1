//! The console's style sheet, embedded in the binary.

use axum::http::header;
use axum::response::IntoResponse;

/// `static/console.css`.
const STYLE_SHEET: &str = include_str!("../../static/console.css");

/// `GET /static/console.css`, cacheable for a day.
pub(super) async fn style_sheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        STYLE_SHEET,
    )
}
