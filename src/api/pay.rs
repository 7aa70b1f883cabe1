//! `GET /pay/{token}`: the payment link in reminders. No sign-in: the signed token is the proof.
//! Goes (303) to a Stripe Checkout Session made or reused for the payment; a paid one shows a
//! thank-you page; Stripe sends the client back here with `?result=success|cancelled`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::error::ApiResult;
use crate::services::payments::{self, PayPage};
use crate::state::AppState;

/// Routes of this module (outside the API prefix).
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/pay/{token}", get(pay))
}

pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A short HTML page (answers to people following links, not API clients).
pub(super) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>"
        )),
    )
        .into_response()
}

async fn pay(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let result = query.get("result").map(String::as_str);
    Ok(match payments::open_link(&state, &token, result).await? {
        PayPage::Checkout(url) => (StatusCode::SEE_OTHER, [(LOCATION, url)]).into_response(),
        PayPage::Paid { amount } => page(
            StatusCode::OK,
            "Already paid — thank you",
            &format!(
                "<p>This payment of {} has been received.</p>",
                escape(&amount)
            ),
        ),
        PayPage::Confirming { amount } => page(
            StatusCode::OK,
            "Thank you",
            &format!(
                "<p>Your payment of {} is being confirmed. You can close this page.</p>",
                escape(&amount)
            ),
        ),
        PayPage::Cancelled { amount, retry_url } => page(
            StatusCode::OK,
            "Payment not completed",
            &format!(
                "<p>The payment of {} was not completed.</p><p><a href=\"{}\">Pay now</a></p>",
                escape(&amount),
                escape(&retry_url)
            ),
        ),
        PayPage::Unavailable(message) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Payment unavailable",
            &format!("<p>{}</p>", escape(&message)),
        ),
    })
}
