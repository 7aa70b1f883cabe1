//! Sender identities as the original took and showed them: `identity_type` (`EMAIL`, `PHONE`),
//! `value`, `display_name`, `is_default`, `is_verified`.
//!
//! Ours are proved by a code: a new identity is unverified and a code is sent to it (confirmed
//! with `POST /sender-identities/{id}/verify` and `{code}`), and only a verified one can be the
//! default, so `is_default: true` on a new one is refused. A `PHONE` identity sends SMS; a
//! WhatsApp one is shown as `PHONE`. The value cannot change: delete it and add the new one.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::super::error::{ApiError, ApiResult};
use super::super::extract::{ApiJson, ApiQuery, PathId};
use super::{deleted, firm_user_id, renamed, window};
use crate::domain::{Actor, Channel};
use crate::entities::sender_identity;
use crate::services::sender_identities::{
    self as service, CreateSenderIdentityRequest, UpdateSenderIdentityRequest,
};
use crate::state::AppState;

/// Our field names and the original's.
const FIELDS: &[(&str, &str)] = &[("address", "value"), ("channel", "identity_type")];

/// The original's `SenderIdentityCreate`.
#[derive(Debug, Deserialize)]
pub(super) struct IdentityCreate {
    identity_type: String,
    value: String,
    display_name: String,
    #[serde(default)]
    is_default: bool,
}

/// The original's `SenderIdentityUpdate`.
#[derive(Debug, Deserialize)]
pub(super) struct IdentityUpdate {
    value: Option<String>,
    display_name: Option<String>,
    is_default: Option<bool>,
}

/// The original's list query.
#[derive(Debug, Deserialize)]
pub(super) struct IdentityListQuery {
    skip: Option<u64>,
    limit: Option<u64>,
    identity_type: Option<String>,
}

/// The original's `SenderIdentity`.
#[derive(Debug, Serialize)]
pub(super) struct OriginalIdentity {
    id: i64,
    user_id: i64,
    /// `EMAIL`, or `PHONE` for SMS and WhatsApp numbers.
    identity_type: &'static str,
    /// The address, or the number in E.164.
    value: String,
    /// The display name, else the value.
    display_name: String,
    is_default: bool,
    /// Its code was confirmed.
    is_verified: bool,
    created_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
}

impl OriginalIdentity {
    fn of(row: sender_identity::Model, user_id: i64) -> Self {
        Self {
            id: row.id,
            user_id,
            identity_type: identity_type(row.channel),
            display_name: row.display_name.unwrap_or_else(|| row.address.clone()),
            value: row.address,
            is_default: row.is_default,
            is_verified: row.verified_at.is_some(),
            created_at: *row.created_at,
            updated_at: Some(*row.updated_at),
        }
    }
}

fn identity_type(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "EMAIL",
        Channel::Sms | Channel::Whatsapp => "PHONE",
    }
}

/// Our channel of one of the original's identity types.
fn channel_of(name: &str) -> Result<&'static str, ApiError> {
    match name.trim().to_ascii_uppercase().as_str() {
        "EMAIL" => Ok("email"),
        "PHONE" => Ok("sms"),
        _ => Err(ApiError::invalid("identity_type", "must be EMAIL or PHONE")),
    }
}

/// `GET /sender-identities/`: a JSON array, optionally of one `identity_type`.
pub(super) async fn list_identities(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<IdentityListQuery>,
) -> ApiResult<Json<Vec<OriginalIdentity>>> {
    let (limit, offset) = window(query.skip, query.limit)?;
    let wanted = query
        .identity_type
        .as_deref()
        .map(|name| match name.trim().to_ascii_uppercase().as_str() {
            "EMAIL" => Ok("EMAIL"),
            "PHONE" => Ok("PHONE"),
            _ => Err(ApiError::BadRequest(format!(
                "Invalid identity type: {name} (EMAIL or PHONE)"
            ))),
        })
        .transpose()?;
    let user_id = firm_user_id(&state, actor.business, actor.user.0).await?;
    Ok(Json(
        service::list(&state, &actor)
            .await?
            .into_iter()
            .filter(|row| wanted.is_none_or(|kind| identity_type(row.channel) == kind))
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|row| OriginalIdentity::of(row, user_id))
            .collect(),
    ))
}

/// `POST /sender-identities/`: 201 with the original's `SenderIdentity`, unverified; a code
/// goes to it.
pub(super) async fn create_identity(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiJson(body): ApiJson<IdentityCreate>,
) -> ApiResult<(StatusCode, Json<OriginalIdentity>)> {
    let channel = channel_of(&body.identity_type)?;
    if body.is_default {
        return Err(ApiError::invalid(
            "is_default",
            "a new identity is not verified: confirm the code sent to it, then make it the \
             default",
        ));
    }
    let request = CreateSenderIdentityRequest {
        channel: channel.to_owned(),
        address: body.value,
        display_name: Some(body.display_name),
        phone_number_id: None,
    };
    let (row, _) = service::create(&state, &actor, request)
        .await
        .map_err(|error| renamed(error, FIELDS))?;
    let user_id = firm_user_id(&state, actor.business, actor.user.0).await?;
    Ok((
        StatusCode::CREATED,
        Json(OriginalIdentity::of(row, user_id)),
    ))
}

/// `GET /sender-identities/{id}`.
pub(super) async fn read_identity(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<OriginalIdentity>> {
    let row = service::get(&state, &actor, id).await?;
    let user_id = firm_user_id(&state, actor.business, actor.user.0).await?;
    Ok(Json(OriginalIdentity::of(row, user_id)))
}

/// `PUT /sender-identities/{id}`: the display name and the default; the value stays.
pub(super) async fn update_identity(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(body): ApiJson<IdentityUpdate>,
) -> ApiResult<Json<OriginalIdentity>> {
    let current = service::get(&state, &actor, id).await?;
    if let Some(value) = &body.value
        && !value.trim().eq_ignore_ascii_case(&current.address)
    {
        return Err(ApiError::invalid(
            "value",
            "cannot change (it was proved by a code): delete this identity and add the new one",
        ));
    }
    let request = UpdateSenderIdentityRequest {
        display_name: body.display_name.map(Some),
        is_default: body.is_default,
    };
    let row = service::update(&state, &actor, id, request)
        .await
        .map_err(|error| renamed(error, FIELDS))?;
    let user_id = firm_user_id(&state, actor.business, actor.user.0).await?;
    Ok(Json(OriginalIdentity::of(row, user_id)))
}

/// `DELETE /sender-identities/{id}`: 200 with the original's `detail`.
pub(super) async fn delete_identity(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<Value>> {
    service::delete(&state, &actor, id).await?;
    Ok(deleted("Sender identity"))
}
