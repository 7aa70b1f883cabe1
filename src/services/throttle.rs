//! Failed sign-in limits per account and per address: after too many failures in the window the
//! key is locked for the window's length, on every node.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;

use super::{ServiceError, ServiceResult, is_unique_violation};
use crate::repositories::login_throttle as repo;

/// A throttled key and its limit.
pub struct Key {
    /// `account:<email>` or `address:<ip>`.
    pub name: String,
    /// Failures allowed in one window.
    pub max_failures: u32,
}

/// 429 when any key is locked at `now`.
pub async fn ensure_not_locked(
    db: &impl ConnectionTrait,
    keys: &[Key],
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let mut wait = 0;
    for key in keys {
        if let Some(until) = repo::find(db, &key.name)
            .await?
            .and_then(|row| row.locked_until)
            && *until > now
        {
            wait = wait.max((*until - now).num_seconds().max(1));
        }
    }
    if wait > 0 {
        return Err(ServiceError::TooManyRequests {
            retry_after_seconds: u64::try_from(wait).unwrap_or(1),
        });
    }
    Ok(())
}

/// Counts a failure against each key and locks those that reached their limit.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    keys: &[Key],
    now: DateTime<Utc>,
    window: Duration,
) -> ServiceResult<()> {
    for key in keys {
        match repo::find(db, &key.name).await? {
            None => match repo::insert_first(db, &key.name, now).await {
                Ok(()) => {}
                Err(error) if is_unique_violation(&error) => repo::increment(db, &key.name).await?,
                Err(error) => return Err(error.into()),
            },
            Some(row) if *row.window_started_at + window <= now => {
                repo::restart_window(db, &key.name, now).await?;
            }
            Some(_) => repo::increment(db, &key.name).await?,
        }
        if let Some(row) = repo::find(db, &key.name).await? {
            let reached = u32::try_from(row.failures).unwrap_or(u32::MAX) >= key.max_failures;
            if reached && row.locked_until.is_none_or(|until| *until <= now) {
                repo::lock(db, &key.name, now + window).await?;
            }
        }
    }
    Ok(())
}

/// Forgets a key's failures.
pub async fn clear(db: &impl ConnectionTrait, key: &str) -> ServiceResult<()> {
    repo::clear(db, key).await?;
    Ok(())
}
