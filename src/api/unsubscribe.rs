//! `/unsubscribe/{token}`: the link in every e-mail. No sign-in: the token is the proof.
//! `GET` shows a confirmation page (mail scanners that open links unsubscribe no one); `POST`,
//! from that page or as RFC 8058 one-click (`List-Unsubscribe=One-Click`), opts out at once.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::get;

use super::error::ApiResult;
use crate::services::unsubscribe;
use crate::state::AppState;

/// Routes of this module (outside the API prefix).
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/unsubscribe/{token}", get(confirm).post(unsubscribe_now))
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>"
    ))
}

async fn confirm(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> ApiResult<Html<String>> {
    let channel = unsubscribe::check(&state, &token)?;
    Ok(page(
        "Unsubscribe",
        &format!(
            "<p>Stop receiving reminders by {}?</p><form method=\"post\"><button type=\"submit\">Unsubscribe</button></form>",
            channel.as_str()
        ),
    ))
}

async fn unsubscribe_now(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> ApiResult<Html<String>> {
    let channel = unsubscribe::unsubscribe(&state, &token).await?;
    Ok(page(
        "Unsubscribed",
        &format!(
            "<p>You will get no more reminders by {}.</p>",
            channel.as_str()
        ),
    ))
}
