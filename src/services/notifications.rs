//! The notification history and retrying failed notifications.

use super::{ServiceError, ServiceResult};
use crate::domain::Actor;
use crate::entities::{notification, notification_attempt};
use crate::repositories::Paged;
use crate::repositories::notifications::{self, NotificationFilter};
use crate::startup::AppState;

/// The history of the business.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &NotificationFilter,
    limit: u64,
    offset: u64,
) -> ServiceResult<Paged<notification::Model>> {
    Ok(notifications::list(&state.db, actor.business, filter, limit, offset).await?)
}

/// One notification with its attempts.
pub async fn get(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> ServiceResult<(notification::Model, Vec<notification_attempt::Model>)> {
    let row = notifications::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let attempts = notifications::attempts(&state.db, row.id).await?;
    Ok((row, attempts))
}

/// Sends a failed notification again.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, notification_id = id))]
pub async fn retry(state: &AppState, actor: &Actor, id: i64) -> ServiceResult<notification::Model> {
    let txn = crate::db::begin_write(&state.db).await?;
    let current = notifications::find(&txn, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if current.status != "failed" {
        return Err(ServiceError::Conflict(format!(
            "Only a failed notification can be retried; this one is {}.",
            current.status
        )));
    }
    notifications::requeue_failed(&txn, actor.business, id, state.clock.now()).await?;
    let row = notifications::find(&txn, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    txn.commit().await?;
    state.wake_dispatcher();
    Ok(row)
}
