//! `GET /d/{token}`: a client opens a document from the link in their reminder. No sign-in: the
//! signed token is the proof. A revoked or expired link, or a removed document, is a 410 page.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::documents::file_response;
use super::error::ApiResult;
use super::pay::{escape, page};
use crate::services::documents::{self, LinkPage};
use crate::state::AppState;

/// Routes of this module (outside the API prefix).
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/d/{token}", get(open))
}

async fn open(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> ApiResult<Response> {
    Ok(match documents::open_link(&state, &token).await? {
        LinkPage::File(row, bytes) => file_response(&row, bytes),
        LinkPage::Gone(message) => page(
            StatusCode::GONE,
            "Document no longer available",
            &format!(
                "<p>{}</p><p>Ask the sender for a new link if you still need it.</p>",
                escape(message)
            ),
        ),
    })
}
