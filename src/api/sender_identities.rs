//! `/sender-identities`: the addresses and numbers a business sends from, and their
//! verification by a one-time code.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, Problem};
use super::extract::{ApiJson, PathId};
use super::paging::{ListWindow, Listed};
use super::responses::ListResponse;
use crate::domain::{Actor, Channel};
use crate::entities::sender_identity;
use crate::services::sender_identities::{
    self, CodeDelivery, CreateSenderIdentityRequest, IdentitySortKey, UpdateSenderIdentityRequest,
    VerifySenderIdentityRequest,
};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_identities, create_identity))
        .routes(routes!(get_identity, update_identity, delete_identity))
        .routes(routes!(send_code))
        .routes(routes!(verify_identity))
}

/// A sender identity (never its code).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SenderIdentityResponse {
    /// The identity's id, as named in a reminder's `sender_identity_ids`.
    pub id: i64,
    /// The channel it sends on.
    pub channel: Channel,
    /// The e-mail address (lowercased) or E.164 number.
    pub address: String,
    /// The sender name e-mails show; `null` uses the business's name.
    pub display_name: Option<String>,
    /// WhatsApp only: the Cloud API's id of the number; `null` on other channels.
    pub phone_number_id: Option<String>,
    /// The business's default sender on its channel: reminders that name no identity for
    /// the channel send from it. At most one per channel.
    pub is_default: bool,
    /// True once its code was confirmed; only verified identities send.
    pub verified: bool,
    /// When its code was confirmed (UTC); `null` until then.
    pub verified_at: Option<DateTime<Utc>>,
    /// When the last code was sent (UTC); `null` if none was.
    pub code_sent_at: Option<DateTime<Utc>>,
    /// Until when that code may be confirmed (UTC, 15 minutes after sending); `null` when no
    /// code is waiting.
    pub code_expires_at: Option<DateTime<Utc>>,
    /// When it was added (UTC).
    pub created_at: DateTime<Utc>,
    /// Only in answers that sent a code (create, `POST …/code`): whether the provider took it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_delivery: Option<CodeDelivery>,
}

impl From<sender_identity::Model> for SenderIdentityResponse {
    fn from(row: sender_identity::Model) -> Self {
        Self {
            id: row.id,
            channel: row.channel,
            address: row.address,
            display_name: row.display_name,
            phone_number_id: row.phone_number_id,
            is_default: row.is_default,
            verified: row.verified_at.is_some(),
            verified_at: row.verified_at.map(|at| at.0),
            code_sent_at: row.code_sent_at.map(|at| at.0),
            code_expires_at: row.code_expires_at.map(|at| at.0),
            created_at: row.created_at.0,
            code_delivery: None,
        }
    }
}

fn with_delivery(
    (row, delivery): (sender_identity::Model, CodeDelivery),
) -> SenderIdentityResponse {
    SenderIdentityResponse {
        code_delivery: Some(delivery),
        ..row.into()
    }
}

/// Lists the business's sender identities, oldest first.
#[utoipa::path(
    get, path = "/sender-identities", tag = "sender-identities", security(("oauth2" = [])),
    params(ListWindow<IdentitySortKey>),
    responses(
        (status = 200, description = "A page of the business's identities", body = ListResponse<SenderIdentityResponse>),
        (status = 401, description = "Missing, invalid, expired or revoked access token", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list_identities(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    window: ListWindow<IdentitySortKey>,
) -> ApiResult<Listed<SenderIdentityResponse>> {
    let paged = sender_identities::page(
        &state,
        &actor,
        window.sort,
        window.page.limit,
        window.page.offset,
    )
    .await?;
    Ok(window.answer(paged, SenderIdentityResponse::from))
}

/// Adds an e-mail address or phone number to send from, and sends a code to it.
///
/// Owners and admins only. A six-digit code goes to the address by e-mail, or to the number
/// by SMS (WhatsApp numbers too); the identity sends once the code is confirmed with
/// `POST /sender-identities/{id}/verify`. `code_delivery` says whether the code went out.
/// Audited (`sender_identities.created`).
#[utoipa::path(
    post, path = "/sender-identities", tag = "sender-identities", security(("oauth2" = [])),
    request_body = CreateSenderIdentityRequest,
    responses(
        (status = 201, description = "Added, unverified, with `code_delivery`", body = SenderIdentityResponse),
        (status = 403, description = "The caller is a member: owners and admins only", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The business already has this identity", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field; `errors` names each (a WhatsApp identity also needs the business's own WhatsApp account)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn create_identity(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiJson(request): ApiJson<CreateSenderIdentityRequest>,
) -> ApiResult<(StatusCode, Json<SenderIdentityResponse>)> {
    let created = sender_identities::create(&state, &actor, request).await?;
    Ok((StatusCode::CREATED, Json(with_delivery(created))))
}

/// One sender identity.
#[utoipa::path(
    get, path = "/sender-identities/{id}", tag = "sender-identities", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Sender identity id")),
    responses(
        (status = 200, description = "The identity", body = SenderIdentityResponse),
        (status = 404, description = "No such identity in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_identity(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<SenderIdentityResponse>> {
    Ok(Json(
        sender_identities::get(&state, &actor, id).await?.into(),
    ))
}

/// Renames an identity, or makes it the default sender on its channel.
///
/// Owners and admins only (a member gets 403). Only a verified identity can become the
/// default; the channel's previous default stops being one.
#[utoipa::path(
    patch, path = "/sender-identities/{id}", tag = "sender-identities", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Sender identity id")),
    request_body = UpdateSenderIdentityRequest,
    responses(
        (status = 200, description = "The identity as changed", body = SenderIdentityResponse),
        (status = 404, description = "No such identity in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid display name, or `is_default` on an unverified identity", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update_identity(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(request): ApiJson<UpdateSenderIdentityRequest>,
) -> ApiResult<Json<SenderIdentityResponse>> {
    Ok(Json(
        sender_identities::update(&state, &actor, id, request)
            .await?
            .into(),
    ))
}

/// Deletes a sender identity.
///
/// Owners and admins only (a member gets 403). An identity a reminder not cancelled still
/// names is refused with a 409 naming the reminders: change them first. Audited
/// (`sender_identities.deleted`).
#[utoipa::path(
    delete, path = "/sender-identities/{id}", tag = "sender-identities", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Sender identity id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such identity in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Reminders still send from it", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn delete_identity(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    sender_identities::delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a new code to an unverified identity.
///
/// Owners and admins only. Earlier codes stop counting; the new one works for 15 minutes and
/// 5 tries. One identity gets at most one code a minute, and a business 20 an hour (429 with
/// `Retry-After`).
#[utoipa::path(
    post, path = "/sender-identities/{id}/code", tag = "sender-identities", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Sender identity id")),
    responses(
        (status = 200, description = "The identity, with `code_delivery`", body = SenderIdentityResponse),
        (status = 404, description = "No such identity in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The identity is already verified", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "A code was sent less than a minute ago, or the business's hourly limit is used up", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn send_code(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<SenderIdentityResponse>> {
    let sent = sender_identities::resend_code(&state, &actor, id).await?;
    Ok(Json(with_delivery(sent)))
}

/// Confirms the code sent to an identity, which makes it usable.
///
/// Owners and admins only. Confirming an identity already verified changes nothing. Audited
/// (`sender_identities.verified`).
#[utoipa::path(
    post, path = "/sender-identities/{id}/verify", tag = "sender-identities", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Sender identity id")),
    request_body = VerifySenderIdentityRequest,
    responses(
        (status = 200, description = "The identity, verified", body = SenderIdentityResponse),
        (status = 404, description = "No such identity in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong code (the answer says how many tries are left), or none waiting, expired or out of tries: ask for a new one", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn verify_identity(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(request): ApiJson<VerifySenderIdentityRequest>,
) -> ApiResult<Json<SenderIdentityResponse>> {
    Ok(Json(
        sender_identities::verify(&state, &actor, id, request)
            .await?
            .into(),
    ))
}
