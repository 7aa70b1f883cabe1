//! Provider webhooks (no sign-in: each request carries the provider's signature, checked on the
//! raw body before anything is read from it). A bad or missing signature is refused (403, or
//! 400 for Stripe) and changes nothing; a redelivered event is acknowledged and not processed
//! again.

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

/// Receives Twilio's SMS status callbacks.
///
/// `delivered`, `read`, and `failed` or `undelivered` (with Twilio's error code) move the
/// notification forward, never back; other statuses are acknowledged and ignored. The
/// signature is checked against `PUBLIC_BASE_URL` plus the path and query as received, with
/// the auth token of the platform's or the business's Twilio account.
#[utoipa::path(
    post, path = "/webhooks/twilio/status", tag = "webhooks",
    request_body(content_type = "application/x-www-form-urlencoded", content = String),
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's signature: base64 HMAC-SHA1 of the URL and the form parameters")),
    responses(
        (status = 204, description = "Processed, or a repeat acknowledged"),
        (status = 403, description = "The signature is missing or matches no Twilio account", body = Problem, content_type = "application/problem+json"),
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

/// Receives SMS replies from clients.
///
/// A reply that is only STOP, STOPALL, UNSUBSCRIBE, CANCEL, END or QUIT opts the sender's
/// number out of SMS; START, YES or UNSTOP opts it back in (case ignored). Other replies are
/// ignored. Answers empty TwiML: Twilio sends its own confirmation.
#[utoipa::path(
    post, path = "/webhooks/twilio/inbound", tag = "webhooks",
    request_body(content_type = "application/x-www-form-urlencoded", content = String),
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's signature: base64 HMAC-SHA1 of the URL and the form parameters")),
    responses(
        (status = 200, description = "Empty TwiML", content_type = "text/xml", body = String),
        (status = 403, description = "The signature is missing or matches no Twilio account", body = Problem, content_type = "application/problem+json"),
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

/// Answers Meta's webhook verification handshake.
///
/// Echoes `hub.challenge` when `hub.mode` is `subscribe` and `hub.verify_token` matches
/// `WHATSAPP_VERIFY_TOKEN`.
#[utoipa::path(
    get, path = "/webhooks/whatsapp", tag = "webhooks",
    params(
        ("hub.mode" = String, Query, description = "`subscribe`"),
        ("hub.verify_token" = String, Query, description = "Must equal the platform's `WHATSAPP_VERIFY_TOKEN`"),
        ("hub.challenge" = String, Query, description = "Any text; echoed back as the body"),
    ),
    responses(
        (status = 200, description = "The challenge", content_type = "text/plain", body = String),
        (status = 403, description = "Wrong mode or token, or no verify token is configured", body = Problem, content_type = "application/problem+json"),
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

/// Receives WhatsApp Cloud API events.
///
/// Message statuses (`delivered`, `read`, `failed` with Meta's error code) move notifications
/// forward, never back; a reply that is only STOP (or the like) opts the number out of
/// WhatsApp, START back in. The signature is checked with the app secret of the platform's or
/// the business's WhatsApp account.
#[utoipa::path(
    post, path = "/webhooks/whatsapp", tag = "webhooks",
    request_body(content_type = "application/json", content = Object),
    params(("X-Hub-Signature-256" = String, Header, description = "`sha256=` + hex HMAC-SHA256 of the raw body, keyed with the app secret")),
    responses(
        (status = 200, description = "Processed, or a repeat acknowledged"),
        (status = 403, description = "The signature is missing or matches no WhatsApp account", body = Problem, content_type = "application/problem+json"),
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

/// Receives Stripe events about payments.
///
/// Handles `checkout.session.completed` (paid only when `payment_status` is `paid`),
/// `checkout.session.async_payment_succeeded`/`failed`, `checkout.session.expired`,
/// `payment_intent.payment_failed` and `charge.refunded`; others are acknowledged and
/// ignored. Signed with the platform's or the business's webhook secret, at most 5 minutes
/// old.
#[utoipa::path(
    post, path = "/webhooks/stripe", tag = "webhooks",
    request_body(content_type = "application/json", content = Object),
    params(("Stripe-Signature" = String, Header, description = "`t=<unix seconds>,v1=<hex HMAC-SHA256>`, as Stripe sends it")),
    responses(
        (status = 200, description = "Processed, ignored, or a repeat acknowledged"),
        (status = 400, description = "The signature is missing, malformed, too old or matches no secret, or the body is not a Stripe event", body = Problem, content_type = "application/problem+json"),
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
