//! Proving a sender identity: a six-digit code sent to it through the business's account (at
//! most one a minute per identity, [`CODES_PER_HOUR`] an hour per business), kept only as a keyed
//! hash, and confirmed within its lifetime and a few attempts.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{IntoActiveModel, Set};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::accounts;
use super::super::audit::{self, Target};
use super::super::{ServiceError, ServiceResult, throttle};
use super::{get, require_manager};
use crate::channels::accounts::Route;
use crate::channels::{INTERACTIVE_SEND_TIMEOUT, OutgoingMessage};
use crate::domain::{Actor, Channel};
use crate::entities::{Timestamp, sender_identity};
use crate::repositories::sender_identities;
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
pub(super) async fn send_code_to(
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
                "no {} account is configured to carry the code: add one in the business's provider settings",
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
    let ask_again = |why: &str| ServiceError::invalid("code", format!("{why}: ask for a new code"));
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
