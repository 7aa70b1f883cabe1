//! Attempt limits per key (an account's sign-ins, an address's, a business's verification
//! codes): each attempt is taken from the key's window by one conditional update *before* the
//! work it guards, so a burst of concurrent requests gets at most the allowed number through and
//! the rest a 429, on every node.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;

use super::{ServiceError, ServiceResult};
use crate::config::Settings;
use crate::repositories::login_throttle as repo;

/// A throttled key and its limit.
pub struct Key {
    /// `account:<email>`, `address:<ip>`, `sender-codes:business:<id>`, ….
    pub name: String,
    /// Attempts allowed in one window.
    pub max_failures: u32,
}

impl Key {
    /// Password checks against one account (sign-in, a change of one's own password).
    pub fn account(settings: &Settings, email: &str) -> Self {
        Self {
            name: format!("account:{email}"),
            max_failures: settings.login_max_failures_per_account,
        }
    }

    /// Refused sign-ins and registrations from one address.
    pub fn address(settings: &Settings, address: IpAddr) -> Self {
        Self {
            name: format!("address:{address}"),
            max_failures: settings.login_max_failures_per_address,
        }
    }
}

/// The window the sign-in budgets are counted in (`LOGIN_LOCKOUT_SECONDS`).
pub fn sign_in_window(settings: &Settings) -> Duration {
    Duration::seconds(settings.login_lockout_seconds)
}

/// Takes one attempt from every key, or none: when a key has none left, the attempts already
/// taken from the others are given back and the answer is a 429 with the wait until that
/// key's window ends.
pub async fn take<K: std::borrow::Borrow<Key>>(
    db: &impl ConnectionTrait,
    keys: &[K],
    now: DateTime<Utc>,
    window: Duration,
) -> ServiceResult<()> {
    for (index, key) in keys.iter().enumerate() {
        let key = key.borrow();
        if take_one(db, key, now, window).await? {
            continue;
        }
        for taken in &keys[..index] {
            repo::give_back(db, &taken.borrow().name).await?;
        }
        let wait = match repo::find(db, &key.name).await? {
            Some(row) => (*row.window_started_at + window - now).num_seconds(),
            None => 1,
        };
        return Err(ServiceError::TooManyRequests {
            retry_after_seconds: u64::try_from(wait.max(1)).unwrap_or(1),
        });
    }
    Ok(())
}

/// One statement when the key's window is current; otherwise the row is made or its window
/// restarted (each a conditional statement too) and the attempt taken again.
async fn take_one(
    db: &impl ConnectionTrait,
    key: &Key,
    now: DateTime<Utc>,
    window: Duration,
) -> ServiceResult<bool> {
    let window_after = now - window;
    if repo::take(db, &key.name, key.max_failures, window_after).await? {
        return Ok(true);
    }
    repo::ensure(db, &key.name, now).await?;
    repo::restart_if_over(db, &key.name, now, window).await?;
    Ok(repo::take(db, &key.name, key.max_failures, window_after).await?)
}

/// Gives back an attempt that turned out well (a right password), so it does not count.
pub async fn give_back(db: &impl ConnectionTrait, key: &str) -> ServiceResult<()> {
    repo::give_back(db, key).await?;
    Ok(())
}

/// Forgets a key's attempts.
pub async fn clear(db: &impl ConnectionTrait, key: &str) -> ServiceResult<()> {
    repo::clear(db, key).await?;
    Ok(())
}
