//! The notification history and retrying failed notifications.

use super::messages::skip_reason;
use super::{ServiceError, ServiceResult};
use crate::domain::{Actor, ClientId, NotificationStatus};
use crate::entities::{notification, notification_attempt};
use crate::repositories::list_totals::TotalKey;
use crate::repositories::notifications::{self, NotificationFilter};
pub use crate::repositories::notifications::{NotificationSort, NotificationSortKey};
use crate::repositories::{Paged, clients};
use crate::state::AppState;

/// The history of the business. With `after`, the page continues after that notification in
/// `sort`'s order (keyset paging).
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &NotificationFilter,
    sort: NotificationSort,
    limit: u64,
    offset: u64,
    after: Option<i64>,
) -> ServiceResult<Paged<notification::Model>> {
    let anchor = match after {
        Some(id) => Some(
            notifications::find(&state.db, actor.business, id)
                .await?
                .ok_or_else(|| {
                    ServiceError::invalid("after", "is not a notification of the business")
                })?,
        ),
        None => None,
    };
    let count = notifications::count(&state.db, actor.business, filter);
    // Counts by status are what a caller watches to see sends progress: always exact.
    let by_status =
        filter.status.is_some() || !filter.statuses.is_empty() || filter.unread.is_some();
    let total = if by_status {
        count.await?
    } else {
        let key = TotalKey::new(actor.business, "notifications", format!("{filter:?}"));
        state.list_totals.get_or_count(key, count).await?
    };
    let items = notifications::page(
        &state.db,
        actor.business,
        filter,
        sort,
        limit,
        offset,
        anchor.as_ref(),
    )
    .await?;
    Ok(Paged { items, total })
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
    if current.status != NotificationStatus::Failed {
        return Err(ServiceError::Conflict(format!(
            "Only a failed notification can be retried; this one is {}.",
            current.status
        )));
    }
    notifications::requeue(
        &txn,
        actor.business,
        id,
        &[NotificationStatus::Failed],
        state.clock.now(),
    )
    .await?;
    let row = notifications::find(&txn, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    txn.commit().await?;
    state.wake_dispatcher();
    Ok(row)
}

/// Statuses a notification can be sent again from.
const RESENDABLE: [NotificationStatus; 4] = [
    NotificationStatus::Failed,
    NotificationStatus::Sent,
    NotificationStatus::Delivered,
    NotificationStatus::Read,
];

/// Sends a notification again (a failed one, or one already sent that the client needs once
/// more): it goes back to the queue; every earlier attempt stays in its history.
pub async fn resend(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> ServiceResult<notification::Model> {
    let txn = crate::db::begin_write(&state.db).await?;
    let current = notifications::find(&txn, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !RESENDABLE.contains(&current.status) {
        return Err(ServiceError::Conflict(format!(
            "Only a sent or failed notification can be sent again; this one is {}.",
            current.status
        )));
    }
    // A client who opted out (or lost the address) since is refused here, not queued to be
    // skipped, which would overwrite the record of the first send.
    let client = clients::find(&txn, actor.business, ClientId(current.client_id))
        .await?
        .filter(|client| client.erased_at.is_none())
        .ok_or_else(|| {
            ServiceError::Conflict("The client was deleted; nothing can be sent to them.".into())
        })?;
    if let Some(reason) = skip_reason(&client, current.channel) {
        return Err(ServiceError::Conflict(format!(
            "The client cannot get {} now ({reason}); nothing was queued.",
            current.channel
        )));
    }
    notifications::requeue(&txn, actor.business, id, &RESENDABLE, state.clock.now()).await?;
    let row = notifications::find(&txn, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    txn.commit().await?;
    state.wake_dispatcher();
    Ok(row)
}

/// Marks a notification read in the firm's inbox.
pub async fn mark_read(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> ServiceResult<notification::Model> {
    notifications::mark_inbox_read(&state.db, actor.business, id, state.clock.now()).await?;
    notifications::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Notifications counted, by occurrence in the window asked for.
#[derive(Debug, Default, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Counts {
    /// Notifications whose occurrence falls in the window.
    pub total: i64,
    /// The same per status (`pending`, `sent`, `delivered`, `failed`, …); statuses with none
    /// are left out.
    pub by_status: std::collections::BTreeMap<String, i64>,
    /// The same per channel (`email`, `sms`, `whatsapp`); channels with none are left out.
    pub by_channel: std::collections::BTreeMap<String, i64>,
}

/// How many notifications per status and channel, by occurrence in `[from, to)`.
pub async fn counts(
    state: &AppState,
    actor: &Actor,
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
) -> ServiceResult<Counts> {
    let mut counts = Counts::default();
    for (status, channel, count) in
        notifications::counts(&state.db, actor.business, from, to).await?
    {
        counts.total += count;
        *counts.by_status.entry(status.to_string()).or_default() += count;
        *counts.by_channel.entry(channel.to_string()).or_default() += count;
    }
    Ok(counts)
}
