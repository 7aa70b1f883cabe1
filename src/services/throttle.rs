//! Attempt limits per key (an account's sign-ins, an address's, a business's verification
//! codes): each attempt is taken from the key's window by one conditional update *before* the
//! work it guards, so a burst of concurrent requests gets at most the allowed number through and
//! the rest a 429, on every node.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;

use super::{ServiceError, ServiceResult};
use crate::repositories::login_throttle as repo;

/// A throttled key and its limit.
pub struct Key {
    /// `account:<email>`, `address:<ip>`, `sender-codes:business:<id>`, ….
    pub name: String,
    /// Attempts allowed in one window.
    pub max_failures: u32,
}

/// Takes one attempt from every key, or none: when a key has none left, the attempts already
/// taken from the others are given back and the answer is a 429 with the wait until that
/// key's window ends.
pub async fn take(
    db: &impl ConnectionTrait,
    keys: &[Key],
    now: DateTime<Utc>,
    window: Duration,
) -> ServiceResult<()> {
    for (index, key) in keys.iter().enumerate() {
        repo::ensure(db, &key.name, now).await?;
        repo::restart_if_over(db, &key.name, now, window).await?;
        if repo::take(db, &key.name, key.max_failures).await? {
            continue;
        }
        for taken in &keys[..index] {
            repo::give_back(db, &taken.name).await?;
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
