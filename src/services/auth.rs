//! Sign-up, sign-in with throttling, and refresh-token rotation with reuse detection.

use std::net::IpAddr;

use chrono::{Duration, Utc};
use sea_orm::{IntoActiveModel, Set};
use serde::{Deserialize, Serialize};

use super::throttle::{self, Key};
use super::{ServiceError, ServiceResult};
use crate::domain::{BusinessId, Channel, ChannelSet, Email, Role, TimeZone, UserId, Validation};
use crate::entities::{business, user};
use crate::repositories::{businesses, refresh_tokens, users};
use crate::security::{jwt, password, tokens};
use crate::state::AppState;
use crate::token_cache::Caller;

/// `POST /auth/register`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RegisterRequest {
    /// The firm's name, 1 to 200 characters; shown in messages.
    pub business_name: String,
    /// The owner's e-mail; they sign in with it. Unique across the service.
    pub email: String,
    /// 10 to 128 characters, with a letter and a digit or symbol, at least 4 different
    /// characters, and not containing the e-mail's local part (when 4 characters or more).
    pub password: String,
    /// The owner's name, 1 to 200 characters.
    pub full_name: String,
    /// IANA time zone of the business, e.g. `Europe/London`; default the server's
    /// `SCHEDULER_TIMEZONE` (`UTC` unless configured).
    #[serde(default)]
    pub timezone: Option<String>,
}

/// Access and refresh tokens (`POST /auth/token`, `POST /auth/refresh`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    /// A JWT for `Authorization: Bearer`, valid for `expires_in` seconds.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires (`ACCESS_TOKEN_EXPIRE_MINUTES`, default 30
    /// minutes).
    pub expires_in: i64,
    /// Exchange it once at `/auth/refresh` for a new pair, within
    /// `REFRESH_TOKEN_EXPIRE_DAYS` (default 14 days).
    pub refresh_token: String,
}

/// Validates a new staff member's fields; shared with user creation.
pub fn validate_new_user(
    validation: &mut Validation,
    email: &str,
    password_text: &str,
    full_name: &str,
) -> Option<Email> {
    let email = validation.check("email", Email::parse(email));
    let address = email.as_ref().map(Email::as_str).unwrap_or_default();
    validation.check("password", password::check_policy(password_text, address));
    validation.check("full_name", required_text(full_name, 200));
    email
}

/// A trimmed, non-empty text of at most `max` characters.
pub fn required_text(value: &str, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Err("must not be empty".into())
    } else if trimmed.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(trimmed.to_owned())
    }
}

/// Hashes off the async runtime.
pub async fn hash_password(password_text: String) -> ServiceResult<String> {
    tokio::task::spawn_blocking(move || password::hash(&password_text))
        .await
        .map_err(|error| ServiceError::Internal(error.into()))?
        .map_err(ServiceError::Internal)
}

/// What the original service's registration carried beyond ours: a username to sign in with
/// and a contact number. Only its paths give them.
#[derive(Debug, Clone, Default)]
pub struct OriginalProfile {
    /// 3 to 191 characters, unique per installation (case ignored), kept as written.
    pub username: Option<String>,
    /// A contact number, up to 20 characters as the original took it; not used to send.
    pub phone: Option<String>,
}

/// A username as kept: trimmed, 3 to 191 characters, no control characters.
fn username_text(value: &str) -> Result<String, String> {
    let name = value.trim();
    if name.chars().count() < 3 {
        Err("must be at least 3 characters".into())
    } else if name.chars().count() > 191 {
        Err("must be at most 191 characters".into())
    } else if name.chars().any(char::is_control) {
        Err("must not contain control characters".into())
    } else {
        Ok(name.to_owned())
    }
}

/// A contact number as the original took it: trimmed, at most 20 characters; blank is none.
fn phone_text(value: &str) -> Result<Option<String>, String> {
    let phone = value.trim();
    if phone.chars().count() > 20 {
        Err("must be at most 20 characters".into())
    } else if phone.chars().any(char::is_control) {
        Err("must not contain control characters".into())
    } else {
        Ok((!phone.is_empty()).then(|| phone.to_owned()))
    }
}

/// Creates a business and its owner.
pub async fn register(
    state: &AppState,
    request: RegisterRequest,
    address: Option<IpAddr>,
) -> ServiceResult<(user::Model, business::Model)> {
    register_with_profile(state, request, OriginalProfile::default(), address).await
}

/// Creates a business and its owner with what the original service's registration carried
/// (`profile`). A username already taken is a 409 counted like an e-mail already taken.
#[tracing::instrument(skip_all)]
pub async fn register_with_profile(
    state: &AppState,
    request: RegisterRequest,
    profile: OriginalProfile,
    address: Option<IpAddr>,
) -> ServiceResult<(user::Model, business::Model)> {
    let mut validation = Validation::new();
    let username = profile
        .username
        .as_deref()
        .and_then(|name| validation.check("username", username_text(name)));
    let phone = profile
        .phone
        .as_deref()
        .and_then(|phone| validation.check("phone_number", phone_text(phone)))
        .flatten();
    let business_name =
        validation.check("business_name", required_text(&request.business_name, 200));
    let email = validate_new_user(
        &mut validation,
        &request.email,
        &request.password,
        &request.full_name,
    );
    let timezone = match &request.timezone {
        Some(zone) => validation.check("timezone", TimeZone::parse(zone)),
        None => Some(TimeZone::from(state.settings.scheduler.default_timezone)),
    };
    validation.finish().map_err(ServiceError::Validation)?;
    let (Some(business_name), Some(email), Some(timezone)) = (business_name, email, timezone)
    else {
        return Err(ServiceError::invalid("body", "invalid registration"));
    };
    let now = Utc::now();
    if let Some(name) = &username
        && users::find_by_username(&state.db, name).await?.is_some()
    {
        count_refusal(state, address, now).await?;
        return Err(username_taken());
    }
    let password_hash = hash_password(request.password).await?;

    let txn = crate::db::begin_write(&state.db).await?;
    let business = businesses::insert(
        &txn,
        business::ActiveModel {
            name: Set(business_name),
            timezone: Set(timezone.name().to_owned()),
            default_channels: Set(ChannelSet::from(vec![Channel::Email])),
            email_from: Set(None),
            default_country: Set(None),
            quiet_hours_start: Set(None),
            quiet_hours_end: Set(None),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        },
    )
    .await?;
    let owner = match super::users::insert_user(
        &txn,
        BusinessId(business.id),
        &email,
        &request.full_name,
        password_hash,
        Role::Owner,
    )
    .await
    {
        Ok(owner) => owner,
        Err(conflict @ ServiceError::Conflict(_)) => {
            drop(txn);
            count_refusal(state, address, now).await?;
            return Err(conflict);
        }
        Err(error) => return Err(error),
    };
    let owner = if username.is_some() || phone.is_some() {
        let mut row = owner.into_active_model();
        row.username = Set(username);
        row.phone = Set(phone);
        users::update(&txn, row).await.map_err(|error| {
            if super::is_unique_violation(&error) {
                username_taken()
            } else {
                error.into()
            }
        })?
    } else {
        owner
    };
    txn.commit().await?;
    tracing::info!(
        business_id = business.id,
        user_id = owner.id,
        "business registered"
    );
    Ok((owner, business))
}

fn username_taken() -> ServiceError {
    ServiceError::Conflict("An account with this username already exists.".into())
}

/// Counts a refused registration (an address already in use) against the caller's address,
/// from the sign-in budget: probing which addresses have accounts is as slow as guessing.
async fn count_refusal(
    state: &AppState,
    address: Option<IpAddr>,
    now: chrono::DateTime<Utc>,
) -> ServiceResult<()> {
    let Some(address) = address else {
        return Ok(());
    };
    let key = Key::address(&state.settings, address);
    throttle::take(
        &state.db,
        &[key],
        now,
        throttle::sign_in_window(&state.settings),
    )
    .await
}

/// Signs in with e-mail and password; failures are limited per account and per address.
pub async fn login(
    state: &AppState,
    username: &str,
    password_text: String,
    address: Option<IpAddr>,
) -> ServiceResult<TokenPair> {
    sign_in(state, username, password_text, address, None).await
}

/// Signs in through the original service's path: with the e-mail or, failing that, the
/// username, limited as [`login`] is; the access token is marked for the original's API
/// ([`jwt::ORIGINAL_API`]).
pub async fn login_original(
    state: &AppState,
    name: &str,
    password_text: String,
    address: Option<IpAddr>,
) -> ServiceResult<TokenPair> {
    sign_in(state, name, password_text, address, Some(jwt::ORIGINAL_API)).await
}

#[tracing::instrument(skip_all)]
async fn sign_in(
    state: &AppState,
    username: &str,
    password_text: String,
    address: Option<IpAddr>,
    api: Option<&str>,
) -> ServiceResult<TokenPair> {
    let settings = &state.settings;
    let mut email = username.trim().to_lowercase();
    // The original's paths sign in by username too: counted against the account's e-mail, so
    // trying both names gives no more guesses.
    if api.is_some()
        && users::find_by_email(&state.db, &email).await?.is_none()
        && let Some(user) = users::find_by_username(&state.db, username.trim()).await?
    {
        email = user.email;
    }
    let account_key = Key::account(settings, &email);
    let address_key = address.map(|address| Key::address(settings, address));
    let keys: Vec<&Key> = std::iter::once(&account_key)
        .chain(address_key.as_ref())
        .collect();
    // The attempt is taken before the hash is checked: a burst gets no more guesses checked
    // than the limits allow.
    throttle::take(
        &state.db,
        &keys,
        Utc::now(),
        throttle::sign_in_window(settings),
    )
    .await?;

    let account = users::find_by_email(&state.db, &email).await?;
    let stored_hash = account
        .as_ref()
        .map(|user| user.password_hash.clone())
        .unwrap_or_else(|| password::decoy_hash().to_owned());
    let (matches, password_text) = tokio::task::spawn_blocking(move || {
        (
            password::verify(&password_text, &stored_hash),
            password_text,
        )
    })
    .await
    .map_err(|error| ServiceError::Internal(error.into()))?;

    let user = match account {
        Some(user) if matches => user,
        _ => {
            tracing::info!("sign-in refused: wrong credentials");
            return Err(ServiceError::Unauthorized(
                "Incorrect e-mail or password.".into(),
            ));
        }
    };
    if !user.is_active {
        return Err(ServiceError::Unauthorized(
            "This account is disabled.".into(),
        ));
    }
    // The right password: the account starts afresh, and the address gets its attempt back.
    throttle::clear(&state.db, &account_key.name).await?;
    if let Some(key) = &address_key {
        throttle::give_back(&state.db, &key.name).await?;
    }
    if password::is_legacy(&user.password_hash)
        && let Err(error) = upgrade_hash(state, &user, password_text).await
    {
        // The password was right: the sign-in stands; the upgrade is tried again next time.
        tracing::warn!(user_id = user.id, error = %error, "password hash not upgraded");
    }
    let family = uuid::Uuid::new_v4().to_string();
    issue_pair(state, &user, &family, api).await
}

/// Replaces a bcrypt hash imported from the original service with an argon2id one, now that
/// the password is known to be right.
async fn upgrade_hash(
    state: &AppState,
    user: &user::Model,
    password_text: String,
) -> ServiceResult<()> {
    let mut row = user.clone().into_active_model();
    row.password_hash = Set(hash_password(password_text).await?);
    row.updated_at = Set(Utc::now().into());
    users::update(&state.db, row).await?;
    tracing::info!(
        user_id = user.id,
        "imported password hash upgraded to argon2id"
    );
    Ok(())
}

/// How long after its first use a refresh token may be used again without being taken for a
/// leak: two requests renewing at the same moment (two tabs of the console). A stolen token
/// used within this window of the real one is not detected.
pub const REUSE_GRACE_SECONDS: i64 = 10;

/// Exchanges a refresh token for a new pair. A token used again after
/// [`REUSE_GRACE_SECONDS`] revokes its whole family: one of the two holders is an attacker.
#[tracing::instrument(skip_all)]
pub async fn refresh(state: &AppState, refresh_token: &str) -> ServiceResult<TokenPair> {
    let refused =
        || ServiceError::Unauthorized("The refresh token is invalid or has expired.".into());
    let now = Utc::now();
    let token = refresh_tokens::find_by_hash(&state.db, &tokens::token_hash(refresh_token))
        .await?
        .ok_or_else(refused)?;
    if token.revoked_at.is_some() || *token.expires_at <= now {
        return Err(refused());
    }
    // Two requests of one browser (two tabs) may renew with the same token at once: within
    // the grace window the second gets a pair of its own; later, a second use means the token
    // leaked, and the whole family ends.
    let used_at = state.clock.now();
    let first_use =
        token.used_at.is_none() && refresh_tokens::mark_used(&state.db, token.id, used_at).await?;
    if !first_use {
        // Used before, perhaps a moment ago by a request that won the race: read when.
        let current = refresh_tokens::find_by_hash(&state.db, &token.token_hash).await?;
        let concurrent = current.is_some_and(|row| {
            row.revoked_at.is_none()
                && row
                    .used_at
                    .is_some_and(|used| *used > used_at - Duration::seconds(REUSE_GRACE_SECONDS))
        });
        if !concurrent {
            refresh_tokens::revoke_family(&state.db, &token.family_id, now).await?;
            tracing::warn!(
                user_id = token.user_id,
                "refresh token reused: family revoked"
            );
            return Err(ServiceError::Unauthorized(
                "This refresh token was already used; sign in again.".into(),
            ));
        }
        tracing::info!(
            user_id = token.user_id,
            "refresh token renewed twice within the grace window"
        );
    }
    let user = users::find_active_by_id(&state.db, UserId(token.user_id))
        .await?
        .ok_or_else(refused)?;
    issue_pair(state, &user, &token.family_id, None).await
}

async fn issue_pair(
    state: &AppState,
    user: &user::Model,
    family: &str,
    api: Option<&str>,
) -> ServiceResult<TokenPair> {
    let settings = &state.settings;
    let now = Utc::now();
    let access_ttl = Duration::minutes(settings.access_token_expire_minutes);
    let access_token = state
        .jwt
        .issue_for_api(
            UserId(user.id),
            BusinessId(user.business_id),
            now,
            now + access_ttl,
            Some(family),
            api,
        )
        .map_err(ServiceError::Internal)?;
    let refresh_token = tokens::random_token();
    refresh_tokens::insert(
        &state.db,
        UserId(user.id),
        family,
        &tokens::token_hash(&refresh_token),
        now,
        now + Duration::days(settings.refresh_token_expire_days),
    )
    .await?;
    Ok(TokenPair {
        access_token,
        token_type: "bearer",
        expires_in: access_ttl.num_seconds(),
        refresh_token,
    })
}

/// Revokes an access token until its expiry, and its sign-in session's refresh tokens.
#[tracing::instrument(skip_all)]
pub async fn logout(state: &AppState, claims: &crate::security::jwt::Claims) -> ServiceResult<()> {
    let now = Utc::now();
    let expires = chrono::DateTime::<Utc>::from_timestamp(claims.exp, 0).unwrap_or(now);
    let txn = crate::db::begin_write(&state.db).await?;
    crate::repositories::revoked_tokens::revoke(&txn, &claims.jti, expires, now).await?;
    if let Some(family) = &claims.sid {
        refresh_tokens::revoke_family(&txn, family, now).await?;
    }
    txn.commit().await?;
    state.token_cache.forget_all();
    tracing::info!("signed out");
    Ok(())
}

/// Who a valid access token speaks for: the token's signature and expiry (on every request),
/// its revocation (its own `jti` or its whole session, as signing out and password changes
/// write), and the user — still active, with the role they hold now (read from the database,
/// not the token). The last two are read at most once per [`TokenCache::TTL`] per token and
/// process (see [`crate::token_cache`]), and the user's account comes with the
/// answer. The API's bearer tokens and the console's session cookie both go through here.
///
/// [`TokenCache::TTL`]: crate::token_cache::TokenCache::TTL
pub async fn authenticate(
    state: &AppState,
    access_token: &str,
) -> ServiceResult<(Caller, crate::security::jwt::Claims)> {
    let claims = state
        .jwt
        .verify(access_token)
        .ok_or_else(|| ServiceError::Unauthorized("The token is invalid or has expired.".into()))?;
    if let Some(caller) = state.token_cache.get(&claims.jti) {
        return Ok((caller, claims));
    }
    let ticket = state.token_cache.ticket();
    if crate::repositories::revoked_tokens::is_revoked(
        &state.db,
        &claims.jti,
        claims.sid.as_deref(),
    )
    .await?
    {
        return Err(ServiceError::Unauthorized(
            "The token was revoked (signed out).".into(),
        ));
    }
    let user_id = claims
        .sub
        .parse::<i64>()
        .map_err(|_| ServiceError::Unauthorized("The token is invalid.".into()))?;
    let user = users::find_active(&state.db, BusinessId(claims.bid), UserId(user_id))
        .await?
        .ok_or_else(|| {
            ServiceError::Unauthorized("The account no longer exists or is disabled.".into())
        })?;
    let caller = Caller {
        actor: crate::domain::Actor {
            user: UserId(user.id),
            business: BusinessId(user.business_id),
            role: user.role,
        },
        user: std::sync::Arc::new(user),
    };
    state.token_cache.keep(ticket, &claims.jti, caller.clone());
    Ok((caller, claims))
}
