//! Passwords after sign-up: a user changing their own (proving the old one), an owner or admin
//! setting a staff member's, and a forgotten one reset by a one-time token sent by e-mail. Each
//! change ends the user's other sessions — refresh tokens and access tokens — on every node.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, IntoActiveModel, Set};
use serde::Deserialize;

use super::accounts;
use super::auth::hash_password;
use super::throttle::{self, Key};
use super::{ServiceError, ServiceResult};
use crate::channels::{INTERACTIVE_SEND_TIMEOUT, OutgoingMessage};
use crate::domain::{Channel, UserId, Validation};
use crate::entities::user;
use crate::repositories::{password_resets, refresh_tokens, revoked_tokens, users};
use crate::security::{password, tokens};
use crate::state::AppState;

/// How long a reset token works.
pub const RESET_LIFETIME_MINUTES: i64 = 30;
/// Reset e-mails one account is sent per sign-in window; further requests send nothing.
const RESETS_PER_ACCOUNT: u32 = 3;

/// `POST /auth/password-reset`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResetRequest {
    /// The account's e-mail. The answer is the same whether or not an account uses it.
    pub email: String,
}

/// `POST /auth/password-reset/confirm`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResetConfirmation {
    /// The token from the e-mail; it works once, for 30 minutes.
    pub token: String,
    /// The new password (same policy as sign-up).
    pub password: String,
}

/// Ends every sign-in session of a user but `keep`: their refresh tokens are revoked, and their
/// access tokens are refused on every node (within the token cache's bound; the caller forgets
/// this node's cache once the change is committed).
pub async fn end_sessions(
    db: &impl ConnectionTrait,
    state: &AppState,
    user: UserId,
    keep: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<usize> {
    let access_lifetime = Duration::minutes(state.settings.access_token_expire_minutes);
    let mut ended = 0;
    for family in refresh_tokens::live_families(db, user, now).await? {
        if keep == Some(family.as_str()) {
            continue;
        }
        refresh_tokens::revoke_family(db, &family, now).await?;
        revoked_tokens::revoke(
            db,
            &revoked_tokens::session_key(&family),
            now + access_lifetime,
            now,
        )
        .await?;
        ended += 1;
    }
    Ok(ended)
}

/// Checks a user's current password before they change their own. Each check takes an attempt
/// from the account's sign-in limit, so a stolen token cannot be used to guess it.
pub async fn verify_current(
    state: &AppState,
    account: &user::Model,
    current_password: Option<&str>,
) -> ServiceResult<()> {
    let Some(current_password) = current_password else {
        return Err(ServiceError::invalid(
            "current_password",
            "is required to change your own password",
        ));
    };
    let account_key = Key::account(&state.settings, &account.email);
    let window = throttle::sign_in_window(&state.settings);
    throttle::take(&state.db, &[&account_key], Utc::now(), window).await?;
    let text = current_password.to_owned();
    let stored = account.password_hash.clone();
    let matches = tokio::task::spawn_blocking(move || password::verify(&text, &stored))
        .await
        .map_err(|error| ServiceError::Internal(error.into()))?;
    if !matches {
        return Err(ServiceError::invalid("current_password", "is not correct"));
    }
    throttle::give_back(&state.db, &account_key.name).await
}

/// Sends a reset token to the account with this e-mail, if there is one. The caller's answer
/// does not depend on it: the lookup and the e-mail happen after the request has been
/// answered, and requests are limited per address like sign-in.
pub async fn request_reset(
    state: &std::sync::Arc<AppState>,
    request: ResetRequest,
    address: Option<IpAddr>,
) -> ServiceResult<()> {
    let now = state.clock.now();
    let window = throttle::sign_in_window(&state.settings);
    if let Some(address) = address {
        let key = Key {
            name: format!("reset:address:{address}"),
            max_failures: state.settings.login_max_failures_per_address,
        };
        throttle::take(&state.db, &[key], now, window).await?;
    }
    let email = request.email.trim().to_lowercase();
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(error) = send_reset(&state, &email, now, window).await {
            tracing::warn!(error = %error, "password reset not sent");
        }
    });
    Ok(())
}

async fn send_reset(
    state: &AppState,
    email: &str,
    now: DateTime<Utc>,
    window: Duration,
) -> ServiceResult<()> {
    let Some(user) = users::find_by_email(&state.db, email)
        .await?
        .filter(|user| user.is_active)
    else {
        return Ok(());
    };
    let quota = Key {
        name: format!("reset:account:{}", user.id),
        max_failures: RESETS_PER_ACCOUNT,
    };
    if throttle::take(&state.db, &[quota], now, window)
        .await
        .is_err()
    {
        tracing::info!(
            user_id = user.id,
            "password reset not sent: account quota used"
        );
        return Ok(());
    }
    let token = tokens::random_token();
    let txn = crate::db::begin_write(&state.db).await?;
    password_resets::expire_for_user(&txn, UserId(user.id), now).await?;
    password_resets::insert(
        &txn,
        UserId(user.id),
        &tokens::token_hash(&token),
        now,
        now + Duration::minutes(RESET_LIFETIME_MINUTES),
    )
    .await?;
    txn.commit().await?;

    let routes = accounts::resolve(
        &state.db,
        &state.secrets,
        &state.settings,
        &[user.business_id],
    )
    .await?
    .remove(&user.business_id)
    .ok_or(ServiceError::NotFound)?;
    let message = OutgoingMessage::notice(
        user.business_id,
        Channel::Email,
        user.email.clone(),
        routes.route(Channel::Email).clone(),
        routes.name.clone(),
        "Reset your password".into(),
        format!(
            "Someone asked to reset the password of {} at {}.\n\nYour reset token: {token}\n\n\
             It works once, for {RESET_LIFETIME_MINUTES} minutes. If you did not ask for it, \
             ignore this message: your password stays as it is.",
            user.email, routes.name
        ),
    );
    state
        .channels
        .send_within(&message, INTERACTIVE_SEND_TIMEOUT)
        .await
        .map_err(|error| ServiceError::Internal(anyhow::anyhow!("{error}")))?;
    tracing::info!(user_id = user.id, "password reset sent");
    Ok(())
}

/// Sets a new password with a reset token: the token works once, and every session of the user
/// ends.
#[tracing::instrument(skip_all)]
pub async fn confirm_reset(state: &AppState, confirmation: ResetConfirmation) -> ServiceResult<()> {
    let refused = || ServiceError::invalid("token", "is invalid, expired or already used");
    let now = state.clock.now();
    let token_hash = tokens::token_hash(confirmation.token.trim());
    let reset = password_resets::find_usable(&state.db, &token_hash, now)
        .await?
        .ok_or_else(refused)?;
    let user_id = UserId(reset.user_id);
    let user = users::find_active_by_id(&state.db, user_id)
        .await?
        .ok_or_else(refused)?;
    let mut validation = Validation::new();
    validation.check(
        "password",
        password::check_policy(&confirmation.password, &user.email),
    );
    validation.finish().map_err(ServiceError::Validation)?;
    let password_hash = hash_password(confirmation.password).await?;

    let txn = crate::db::begin_write(&state.db).await?;
    if !password_resets::consume(&txn, reset.id, now).await? {
        return Err(refused());
    }
    let email = user.email.clone();
    let mut row = user.into_active_model();
    row.password_hash = Set(password_hash);
    row.updated_at = Set(now.into());
    users::update(&txn, row).await?;
    password_resets::expire_for_user(&txn, user_id, now).await?;
    let ended = end_sessions(&txn, state, user_id, None, now).await?;
    txn.commit().await?;
    state.token_cache.forget_all();
    throttle::clear(&state.db, &format!("account:{email}")).await?;
    tracing::info!(
        user_id = user_id.0,
        sessions_ended = ended,
        "password reset"
    );
    Ok(())
}
