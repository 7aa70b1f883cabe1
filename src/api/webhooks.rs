//! Provider webhooks (no sign-in: each request carries the provider's signature, checked on the
//! raw body before anything is read from it). A bad or missing signature is 403 and changes
//! nothing; a redelivered event is acknowledged and not processed again.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, Problem};
use crate::services::payments;
use crate::services::webhooks::{twilio, whatsapp};
use crate::state::AppState;

/// Routes of this module (under the API prefix).
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(twilio_status))
        .routes(routes!(twilio_inbound))
        .routes(routes!(whatsapp_verify, whatsapp_event))
        .routes(routes!(stripe_event))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// The public URL Twilio called — what it signed: `PUBLIC_BASE_URL`, the path, and the query
/// string exactly as received.
fn public_url(state: &AppState, uri: &axum::http::Uri) -> String {
    let mut url = format!("{}{}", state.settings.public_base_url, uri.path());
    if let Some(query) = uri.query() {
        url.push('?');
        url.push_str(query);
    }
    url
}

fn form_params(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Twilio status callback: `delivered`, `failed` or `undelivered` (with the error code).
#[utoipa::path(
    post, path = "/webhooks/twilio/status", tag = "webhooks",
    request_body(content_type = "application/x-www-form-urlencoded", content = String),
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's signature")),
    responses(
        (status = 204, description = "Processed, or a repeat acknowledged"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
async fn twilio_status(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let url = public_url(&state, &uri);
    twilio::status(
        &state,
        &url,
        &form_params(&body),
        header(&headers, "x-twilio-signature"),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Twilio incoming message: STOP, UNSUBSCRIBE, CANCEL, END, QUIT opt out of SMS; START, UNSTOP
/// opt back in. Answers empty TwiML (Twilio sends its own confirmation).
#[utoipa::path(
    post, path = "/webhooks/twilio/inbound", tag = "webhooks",
    request_body(content_type = "application/x-www-form-urlencoded", content = String),
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's signature")),
    responses(
        (status = 200, description = "Empty TwiML", content_type = "text/xml", body = String),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
async fn twilio_inbound(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let url = public_url(&state, &uri);
    twilio::inbound(
        &state,
        &url,
        &form_params(&body),
        header(&headers, "x-twilio-signature"),
    )
    .await?;
    Ok((
        [(CONTENT_TYPE, "text/xml; charset=utf-8")],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>",
    ))
}

/// Meta's verification handshake: echoes `hub.challenge` when `hub.verify_token` matches
/// `WHATSAPP_VERIFY_TOKEN`.
#[utoipa::path(
    get, path = "/webhooks/whatsapp", tag = "webhooks",
    params(
        ("hub.mode" = String, Query, description = "`subscribe`"),
        ("hub.verify_token" = String, Query, description = "The configured verify token"),
        ("hub.challenge" = String, Query, description = "Echoed back"),
    ),
    responses(
        (status = 200, description = "The challenge", content_type = "text/plain", body = String),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
async fn whatsapp_verify(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<impl IntoResponse> {
    let challenge = whatsapp::verify_subscription(
        &state,
        query.get("hub.mode").map(String::as_str),
        query.get("hub.verify_token").map(String::as_str),
        query.get("hub.challenge").map(String::as_str),
    )?;
    Ok(([(CONTENT_TYPE, "text/plain; charset=utf-8")], challenge))
}

/// WhatsApp events: message statuses (`sent`, `delivered`, `read`, `failed` with Meta's code)
/// and replies (STOP opts out of WhatsApp, START back in).
#[utoipa::path(
    post, path = "/webhooks/whatsapp", tag = "webhooks",
    request_body(content_type = "application/json", content = Object),
    params(("X-Hub-Signature-256" = String, Header, description = "`sha256=` + hex HMAC of the body")),
    responses(
        (status = 200, description = "Processed, or a repeat acknowledged"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
async fn whatsapp_event(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    whatsapp::event(&state, &body, header(&headers, "x-hub-signature-256")).await?;
    Ok(StatusCode::OK)
}

/// Stripe events: `checkout.session.completed` (paid only when `payment_status` is `paid`),
/// `checkout.session.async_payment_succeeded`/`failed`, `checkout.session.expired`,
/// `payment_intent.payment_failed`, `charge.refunded`; others are acknowledged and ignored.
#[utoipa::path(
    post, path = "/webhooks/stripe", tag = "webhooks",
    request_body(content_type = "application/json", content = Object),
    params(("Stripe-Signature" = String, Header, description = "`t=…,v1=…`")),
    responses(
        (status = 200, description = "Processed, ignored, or a repeat acknowledged"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
async fn stripe_event(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    payments::stripe_event(&state, &body, header(&headers, "stripe-signature")).await?;
    Ok(StatusCode::OK)
}
