//! Sender identities: the addresses and numbers a business sends from. Each is proved by a
//! one-time code sent to it and confirmed through the API; only verified identities can be a
//! default or be named by a reminder, and the dispatcher sends from nothing else.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{IntoActiveModel, Set};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::accounts;
use super::audit::{self, Target};
use super::{ServiceError, ServiceResult, double_option, is_unique_violation, throttle};
use crate::channels::accounts::Route;
use crate::channels::{INTERACTIVE_SEND_TIMEOUT, OutgoingMessage};
use crate::domain::{Actor, BusinessId, Channel, Email, PhoneE164, SendersByChannel, Validation};
use crate::entities::{Timestamp, sender_identity};
use crate::repositories::{provider_credentials, sender_identities};
use crate::security::tokens;
use crate::state::AppState;

/// How long a code stays good.
pub const CODE_LIFETIME_MINUTES: i64 = 15;
/// Wrong codes allowed against one code before a new one must be asked for.
pub const MAX_ATTEMPTS: i32 = 5;
/// Codes one business may send in an hour, over all its identities.
pub const CODES_PER_HOUR: u32 = 20;
/// The shortest wait between two codes sent to one identity.
pub const RESEND_AFTER_SECONDS: i64 = 60;

/// `POST /sender-identities`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CreateSenderIdentityRequest {
    /// The channel it sends on: `email`, `sms` or `whatsapp`.
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

/// `POST /sender-identities/{id}/verify`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct VerifySenderIdentityRequest {
    /// The six-digit code sent to the identity (spaces ignored); it works for 15 minutes and
    /// 5 tries.
    pub code: String,
}

/// Whether the code reached the provider.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodeDelivery {
    /// True when the provider accepted the message carrying the code.
    pub sent: bool,
    /// Why it was not sent: the provider's error code, or ours such as
    /// `channel_not_configured`; `null` when sent.
    pub error_code: Option<String>,
    /// What happened, in words for the user.
    pub message: String,
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
        && provider_credentials::find(&state.db, actor.business, "whatsapp")
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
    send_code_to(state, saved, now).await
}

/// Sends a new code to an unverified identity (at most one a minute).
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, sender_identity_id = id))]
pub async fn resend_code(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> ServiceResult<(sender_identity::Model, CodeDelivery)> {
    require_manager(actor)?;
    let row = get(state, actor, id).await?;
    if row.verified_at.is_some() {
        return Err(ServiceError::Conflict(
            "This sender identity is already verified.".into(),
        ));
    }
    let now = state.clock.now();
    if let Some(sent) = row.code_sent_at {
        let wait = (sent.0 + Duration::seconds(RESEND_AFTER_SECONDS) - now).num_seconds();
        if wait > 0 {
            return Err(ServiceError::TooManyRequests {
                retry_after_seconds: u64::try_from(wait).unwrap_or(1),
            });
        }
    }
    send_code_to(state, row, now).await
}

/// The keyed hash a code is stored under: binds it to this identity, so a code cannot be
/// replayed against another one.
fn code_hash(state: &AppState, identity_id: i64, code: &str) -> String {
    tokens::sign(
        state.settings.secret_key.expose_secret().as_bytes(),
        &format!("sender-identity:{identity_id}:{code}"),
    )
}

/// Makes a fresh code, stores its hash (the last code sent is the only one that counts), and
/// sends it through the business's account for the channel. Nothing is stored when no account
/// can carry it; each business sends at most [`CODES_PER_HOUR`] codes an hour.
async fn send_code_to(
    state: &AppState,
    row: sender_identity::Model,
    now: DateTime<Utc>,
) -> ServiceResult<(sender_identity::Model, CodeDelivery)> {
    let business_id = row.business_id;
    let routes = accounts::resolve(&state.db, &state.secrets, &state.settings, &[business_id])
        .await?
        .remove(&business_id)
        .ok_or(ServiceError::NotFound)?;
    // Numbers are proved by SMS, which a WhatsApp Business number also receives.
    let channel = match row.channel {
        Channel::Email => Channel::Email,
        Channel::Sms | Channel::Whatsapp => Channel::Sms,
    };
    let route = routes.route(channel).clone();
    let not_sent = |code: &str, message: String| CodeDelivery {
        sent: false,
        error_code: Some(code.to_owned()),
        message,
    };
    match &route {
        Route::Provider(_) => {}
        Route::Console => {
            let message = format!(
                "no {} account is configured to carry the code: add one with PATCH /business",
                channel.as_str()
            );
            return Ok((row, not_sent("channel_not_configured", message)));
        }
        Route::Unavailable { code, message } => {
            return Ok((row, not_sent(code, message.clone())));
        }
    }
    // Codes cost the account that carries them: a business cannot send them without bound.
    let quota = [throttle::Key {
        name: format!("sender-codes:business:{business_id}"),
        max_failures: CODES_PER_HOUR,
    }];
    throttle::take(&state.db, &quota, now, Duration::hours(1)).await?;
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let mut active = row.clone().into_active_model();
    active.code_hash = Set(Some(code_hash(state, row.id, &code)));
    active.code_sent_at = Set(Some(Timestamp(now)));
    active.code_expires_at = Set(Some(Timestamp(
        now + Duration::minutes(CODE_LIFETIME_MINUTES),
    )));
    active.code_attempts = Set(0);
    active.updated_at = Set(now.into());
    let saved = sender_identities::update(&state.db, active).await?;
    let message = OutgoingMessage::notice(
        business_id,
        channel,
        row.address.clone(),
        route,
        routes.name.clone(),
        format!("Your code to send as {}", row.address),
        format!(
            "{code} is your code to confirm {} as a sender for {}. It expires in {CODE_LIFETIME_MINUTES} minutes. If you did not ask for it, ignore this message.",
            row.address, routes.name
        ),
    );
    let delivery = match state
        .channels
        .send_within(&message, INTERACTIVE_SEND_TIMEOUT)
        .await
    {
        Ok(_) => CodeDelivery {
            sent: true,
            error_code: None,
            message: format!(
                "A code was sent to {}; confirm it within {CODE_LIFETIME_MINUTES} minutes.",
                row.address
            ),
        },
        Err(error) => {
            let (code, message) = error.into_parts();
            not_sent(&code, message)
        }
    };
    if !delivery.sent {
        tracing::warn!(
            sender_identity_id = saved.id,
            error_code = delivery.error_code.as_deref().unwrap_or_default(),
            "verification code not sent"
        );
    }
    Ok((saved, delivery))
}

/// Confirms the code sent to an identity; a wrong, expired or exhausted code is a 422.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, sender_identity_id = id))]
pub async fn verify(
    state: &AppState,
    actor: &Actor,
    id: i64,
    request: VerifySenderIdentityRequest,
) -> ServiceResult<sender_identity::Model> {
    require_manager(actor)?;
    let row = get(state, actor, id).await?;
    if row.verified_at.is_some() {
        return Ok(row);
    }
    let ask_again = |why: &str| {
        ServiceError::invalid(
            "code",
            format!("{why}: ask for a new one with POST /sender-identities/{id}/code"),
        )
    };
    let (Some(stored), Some(expires)) = (&row.code_hash, row.code_expires_at) else {
        return Err(ask_again("no code is waiting to be confirmed"));
    };
    let now = state.clock.now();
    if expires.0 <= now {
        return Err(ask_again("the code has expired"));
    }
    // The attempt is counted before the code is compared, so guesses in parallel cannot exceed
    // the limit.
    if !sender_identities::take_attempt(&state.db, actor.business, id, MAX_ATTEMPTS).await? {
        return Err(ask_again("too many wrong codes"));
    }
    let code: String = request
        .code
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !tokens::same(&code_hash(state, id, &code), stored) {
        let left = MAX_ATTEMPTS - row.code_attempts - 1;
        return Err(if left > 0 {
            ServiceError::invalid(
                "code",
                format!("does not match the code sent ({left} tries left)"),
            )
        } else {
            ask_again("too many wrong codes")
        });
    }
    let mut active = row.into_active_model();
    active.verified_at = Set(Some(Timestamp(now)));
    active.code_hash = Set(None);
    active.code_expires_at = Set(None);
    active.code_attempts = Set(0);
    active.updated_at = Set(now.into());
    let txn = crate::db::begin_write(&state.db).await?;
    let saved = sender_identities::update(&txn, active).await?;
    audit::record(
        &txn,
        actor,
        "sender_identities.verified",
        Target::business(actor.business.0),
        json!({"sender_identity_id": saved.id, "channel": saved.channel}),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
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
