//! Sending a reminder to its clients now, once per idempotency key.

use chrono::SubsecRound;

use super::super::audit::{self, Target};
use super::super::messages::Occurrence;
use super::super::occurrences;
use super::super::{ServiceError, ServiceResult, is_unique_violation};
use super::business_of;
use crate::domain::{Actor, ReminderStatus, Trigger};
use crate::entities::notification;
use crate::repositories::{document_links, idempotency, notifications, reminders};
use crate::state::AppState;

/// Sends a reminder to its clients now. With an idempotency key, a repeated call answers with
/// the notifications of the first instead of sending again.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, reminder_id = id))]
pub async fn send_now(
    state: &AppState,
    actor: &Actor,
    id: i64,
    idempotency_key: Option<&str>,
) -> ServiceResult<Vec<notification::Model>> {
    let scope = format!("reminder_send:{id}");
    if let Some(key) = idempotency_key {
        if key.is_empty() || key.len() > 191 {
            return Err(ServiceError::invalid(
                "Idempotency-Key",
                "must be 1 to 191 characters",
            ));
        }
        if let Some(ids) = idempotency::find_ids(&state.db, actor.business, &scope, key).await? {
            return Ok(notifications::find_many(&state.db, actor.business, &ids).await?);
        }
    }
    let business = business_of(state, actor).await?;
    let reminder = reminders::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if reminder.status == ReminderStatus::Cancelled {
        return Err(ServiceError::Conflict(
            "A cancelled reminder cannot be sent.".into(),
        ));
    }
    let clients = reminders::clients(&state.db, actor.business, id).await?;
    if clients.is_empty() {
        return Err(ServiceError::invalid(
            "client_ids",
            "the reminder has no clients to send to",
        ));
    }
    let now = state.clock.now().trunc_subsecs(6);

    let txn = crate::db::begin_write(&state.db).await?;
    if let Some(key) = idempotency_key
        && let Err(error) = idempotency::insert(&txn, actor.business, &scope, key, now).await
    {
        if is_unique_violation(&error) {
            // The same key is in use by a call that has not finished: answer from it when it
            // has, else say so rather than answer with nothing.
            drop(txn);
            return match idempotency::find_ids(&state.db, actor.business, &scope, key).await? {
                Some(ids) if !ids.is_empty() => {
                    Ok(notifications::find_many(&state.db, actor.business, &ids).await?)
                }
                _ => Err(ServiceError::Conflict(
                    "A request with this Idempotency-Key is still in progress; try again.".into(),
                )),
            };
        }
        return Err(error.into());
    }
    let own = document_links::own_of_many(&txn, &[reminder.id]).await?;
    let mut carried = super::super::documents::carried(
        &txn,
        &[(&reminder, clients.as_slice())],
        &own,
        state.settings.document_max_bytes,
        now,
    )
    .await?;
    let composed = occurrences::compose(
        &txn,
        &super::super::unsubscribe::Links::of(state),
        &business,
        &reminder,
        &clients,
        &carried.remove(&reminder.id).unwrap_or_default(),
        Occurrence {
            at: now,
            trigger: Trigger::Manual,
            now,
        },
    )
    .await?;
    notifications::insert_new(&txn, composed.notifications).await?;
    reminders::record_occurrences(&txn, vec![composed.record]).await?;
    let created = notifications::of_occurrence(&txn, actor.business, id, now).await?;
    audit::record(
        &txn,
        actor,
        "reminder.sent_manually",
        Target::reminder(id),
        serde_json::json!({"notifications": created.len()}),
    )
    .await?;
    if let Some(key) = idempotency_key {
        let ids: Vec<i64> = created.iter().map(|n| n.id).collect();
        idempotency::store_ids(&txn, actor.business, &scope, key, &ids).await?;
    }
    txn.commit().await?;
    state.wake_dispatcher();
    tracing::info!(notifications = created.len(), "reminder sent on demand");
    Ok(created)
}
