//! Sender identities: the addresses and numbers a business sends from. Each is proved by a
//! one-time code sent to it and confirmed through the API; only verified identities can be a
//! default or be named by a reminder, and the dispatcher sends from nothing else.
//!
//! Codes are made, sent and confirmed in `codes`.

mod codes;

pub use codes::{
    CODE_LIFETIME_MINUTES, CODES_PER_HOUR, CodeDelivery, MAX_ATTEMPTS, RESEND_AFTER_SECONDS,
    VerifySenderIdentityRequest, resend_code, verify,
};

use sea_orm::{IntoActiveModel, Set};
use serde::Deserialize;
use serde_json::json;

use super::audit::{self, Target};
use super::{ServiceError, ServiceResult, double_option, is_unique_violation};
use crate::domain::{
    Actor, BusinessId, Channel, Email, PhoneE164, Provider, SendersByChannel, Validation,
};
use crate::entities::sender_identity;
pub use crate::repositories::sender_identities::{IdentitySort, IdentitySortKey};
use crate::repositories::{Paged, provider_credentials, sender_identities};
use crate::state::AppState;

/// `POST /sender-identities`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CreateSenderIdentityRequest {
    /// The channel it sends on: `email`, `sms` or `whatsapp`.
    #[schema(value_type = crate::domain::Channel)]
    pub channel: String,
    /// An e-mail address for `email`; a phone number for `sms` and `whatsapp` (E.164, or
    /// national in the business's `default_country`).
    pub address: String,
    /// Shown as the sender's name in e-mail, up to 200 characters; default the business's
    /// name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// WhatsApp only, and required there: the Cloud API's phone number id of this number (up
    /// to 64 digits).
    #[serde(default)]
    pub phone_number_id: Option<String>,
}

/// `PATCH /sender-identities/{id}`: absent fields stay, `null` clears the display name.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateSenderIdentityRequest {
    /// Shown as the sender's name in e-mail, up to 200 characters; `null` goes back to the
    /// business's name.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub display_name: Option<Option<String>>,
    /// `true` makes it the business's default on its channel (verified identities only),
    /// replacing the previous one; `false` stops it being the default.
    pub is_default: Option<bool>,
}

fn channel_of(name: &str) -> ServiceResult<Channel> {
    Channel::parse(name).map_err(|message| ServiceError::invalid("channel", message))
}

fn display_name(value: &str) -> Result<String, String> {
    let name = super::auth::required_text(value, 200)?;
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(name)
}

/// The business's identities.
pub async fn list(state: &AppState, actor: &Actor) -> ServiceResult<Vec<sender_identity::Model>> {
    Ok(sender_identities::list(&state.db, actor.business).await?)
}

/// A page of the actor's business's identities.
pub async fn page(
    state: &AppState,
    actor: &Actor,
    sort: IdentitySort,
    limit: u64,
    offset: u64,
) -> ServiceResult<Paged<sender_identity::Model>> {
    Ok(sender_identities::page(&state.db, actor.business, sort, limit, offset).await?)
}

/// One identity.
pub async fn get(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> ServiceResult<sender_identity::Model> {
    sender_identities::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

fn require_manager(actor: &Actor) -> ServiceResult<()> {
    if actor.role.can_manage() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "Only owners and admins manage sender identities.".into(),
        ))
    }
}

/// Adds an identity and sends a code to it.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0))]
pub async fn create(
    state: &AppState,
    actor: &Actor,
    request: CreateSenderIdentityRequest,
) -> ServiceResult<(sender_identity::Model, CodeDelivery)> {
    require_manager(actor)?;
    let channel = channel_of(&request.channel)?;
    let mut validation = Validation::new();
    let address = match channel {
        Channel::Email => validation.check(
            "address",
            Email::parse(&request.address).map(|email| email.as_str().to_owned()),
        ),
        Channel::Sms | Channel::Whatsapp => {
            let region = super::clients::phone_region(&state.db, actor.business).await?;
            validation.check(
                "address",
                PhoneE164::parse(&request.address, region).map(|phone| phone.as_str().to_owned()),
            )
        }
    };
    let name = request
        .display_name
        .as_deref()
        .and_then(|name| validation.check("display_name", display_name(name)));
    let phone_number_id = request
        .phone_number_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty());
    match (channel, phone_number_id) {
        (Channel::Whatsapp, None) => validation.push(
            "phone_number_id",
            "is required for WhatsApp: the Cloud API's id of this number",
        ),
        (Channel::Whatsapp, Some(id))
            if !id.bytes().all(|b| b.is_ascii_digit()) || id.len() > 64 =>
        {
            validation.push("phone_number_id", "must be up to 64 digits");
        }
        (Channel::Email | Channel::Sms, Some(_)) => {
            validation.push("phone_number_id", "is only for WhatsApp identities");
        }
        _ => {}
    }
    if channel == Channel::Whatsapp
        && provider_credentials::find(&state.db, actor.business, Provider::Whatsapp)
            .await?
            .is_none()
    {
        validation.push(
            "channel",
            "a WhatsApp identity needs the business's own WhatsApp account (providers.whatsapp), whose app owns the number",
        );
    }
    validation.finish().map_err(ServiceError::Validation)?;
    let now = state.clock.now();
    let row = sender_identity::ActiveModel {
        business_id: Set(actor.business.0),
        channel: Set(channel),
        address: Set(address.unwrap_or_default()),
        display_name: Set(name),
        phone_number_id: Set(phone_number_id.map(str::to_owned)),
        is_default: Set(false),
        verified_at: Set(None),
        code_hash: Set(None),
        code_sent_at: Set(None),
        code_expires_at: Set(None),
        code_attempts: Set(0),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    };
    let txn = crate::db::begin_write(&state.db).await?;
    let saved = match sender_identities::insert(&txn, row).await {
        Ok(saved) => saved,
        Err(error) if is_unique_violation(&error) => {
            return Err(ServiceError::Conflict(
                "The business already has this sender identity.".into(),
            ));
        }
        Err(error) => return Err(error.into()),
    };
    audit::record(
        &txn,
        actor,
        "sender_identities.created",
        Target::business(actor.business.0),
        json!({"sender_identity_id": saved.id, "channel": saved.channel}),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(sender_identity_id = saved.id, "sender identity created");
    codes::send_code_to(state, saved, now).await
}

/// Renames an identity or makes it the default on its channel.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, sender_identity_id = id))]
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    request: UpdateSenderIdentityRequest,
) -> ServiceResult<sender_identity::Model> {
    require_manager(actor)?;
    let row = get(state, actor, id).await?;
    let mut validation = Validation::new();
    let mut active = row.clone().into_active_model();
    match &request.display_name {
        Some(Some(name)) => {
            if let Some(name) = validation.check("display_name", display_name(name)) {
                active.display_name = Set(Some(name));
            }
        }
        Some(None) => active.display_name = Set(None),
        None => {}
    }
    if request.is_default == Some(true) && row.verified_at.is_none() {
        validation.push(
            "is_default",
            "the identity is not verified: confirm the code sent to it first",
        );
    }
    validation.finish().map_err(ServiceError::Validation)?;
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    if let Some(is_default) = request.is_default {
        if is_default {
            sender_identities::clear_default(&txn, actor.business, row.channel, now).await?;
        }
        active.is_default = Set(is_default);
    }
    active.updated_at = Set(now.into());
    let saved = sender_identities::update(&txn, active).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Deletes an identity no live reminder sends from.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, sender_identity_id = id))]
pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> ServiceResult<()> {
    require_manager(actor)?;
    let row = get(state, actor, id).await?;
    let naming = sender_identities::reminders_naming(&state.db, actor.business, id).await?;
    if !naming.is_empty() {
        let ids: Vec<String> = naming.iter().map(i64::to_string).collect();
        return Err(ServiceError::Conflict(format!(
            "Reminders {} send from this identity: change them first.",
            ids.join(", ")
        )));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    sender_identities::delete(&txn, actor.business, id).await?;
    audit::record(
        &txn,
        actor,
        "sender_identities.deleted",
        Target::business(actor.business.0),
        json!({"sender_identity_id": id, "channel": row.channel}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Checks the identities a reminder names: each the business's, verified, one per channel,
/// on a channel the reminder sends by. Returns what to store (channel name → id).
pub async fn for_reminder(
    state: &AppState,
    business: BusinessId,
    ids: &[i64],
    channels: &crate::domain::ChannelSet,
    validation: &mut Validation,
) -> ServiceResult<Option<SendersByChannel>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let known = sender_identities::list(&state.db, business).await?;
    let mut chosen = std::collections::BTreeMap::new();
    for id in ids {
        let Some(identity) = known.iter().find(|row| row.id == *id) else {
            validation.push(
                "sender_identity_ids",
                format!("no such sender identity: {id}"),
            );
            continue;
        };
        if identity.verified_at.is_none() {
            validation.push(
                "sender_identity_ids",
                format!(
                    "sender identity {id} ({}) is not verified: confirm the code sent to it first",
                    identity.address
                ),
            );
        }
        if !channels.contains(identity.channel) {
            validation.push(
                "sender_identity_ids",
                format!(
                    "sender identity {id} sends {}, which this reminder does not use",
                    identity.channel
                ),
            );
        }
        if chosen.insert(identity.channel, *id).is_some() {
            validation.push(
                "sender_identity_ids",
                format!(
                    "name at most one identity per channel ({})",
                    identity.channel
                ),
            );
        }
    }
    Ok(Some(SendersByChannel(chosen)))
}
