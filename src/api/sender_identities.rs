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
use crate::domain::{Actor, Channel};
use crate::entities::sender_identity;
use crate::services::sender_identities::{
    self, CodeDelivery, CreateSenderIdentityRequest, UpdateSenderIdentityRequest,
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
    pub id: i64,
    /// The channel it sends on.
    pub channel: Channel,
    /// The e-mail address or E.164 number.
    pub address: String,
    pub display_name: Option<String>,
    /// WhatsApp: the Cloud API's id of the number.
    pub phone_number_id: Option<String>,
    /// The business's default sender on its channel.
    pub is_default: bool,
    /// True once its code was confirmed; only verified identities send.
    pub verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
    /// When the last code was sent, and until when it may be confirmed.
    pub code_sent_at: Option<DateTime<Utc>>,
    pub code_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// After a code was sent: whether the provider took it.
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

/// The business's sender identities.
#[utoipa::path(
    get, path = "/sender-identities", tag = "sender-identities", security(("oauth2" = [])),
    responses(
        (status = 200, body = Vec<SenderIdentityResponse>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list_identities(
    State(state): State<Arc<AppState>>,
    actor: Actor,
) -> ApiResult<Json<Vec<SenderIdentityResponse>>> {
    let rows = sender_identities::list(&state, &actor).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Adds an e-mail address or phone number to send from, and sends a code to it (owners and
/// admins). It can be used once the code is confirmed.
#[utoipa::path(
    post, path = "/sender-identities", tag = "sender-identities", security(("oauth2" = [])),
    request_body = CreateSenderIdentityRequest,
    responses(
        (status = 201, body = SenderIdentityResponse),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
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
        (status = 200, body = SenderIdentityResponse),
        (status = 404, body = Problem, content_type = "application/problem+json"),
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

/// Renames an identity, or makes it the default sender on its channel (verified ones only).
#[utoipa::path(
    patch, path = "/sender-identities/{id}", tag = "sender-identities", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Sender identity id")),
    request_body = UpdateSenderIdentityRequest,
    responses(
        (status = 200, body = SenderIdentityResponse),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
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

/// Deletes an identity that no live reminder sends from.
#[utoipa::path(
    delete, path = "/sender-identities/{id}", tag = "sender-identities", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Sender identity id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
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

/// Sends a new code to an unverified identity (at most one a minute); earlier codes stop
/// counting.
#[utoipa::path(
    post, path = "/sender-identities/{id}/code", tag = "sender-identities", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Sender identity id")),
    responses(
        (status = 200, body = SenderIdentityResponse),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(
    post, path = "/sender-identities/{id}/verify", tag = "sender-identities", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Sender identity id")),
    request_body = VerifySenderIdentityRequest,
    responses(
        (status = 200, body = SenderIdentityResponse),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
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
