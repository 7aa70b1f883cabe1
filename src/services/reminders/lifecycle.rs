//! A reminder's life: created, changed, paused, resumed, cancelled, its clients added and
//! removed, its next occurrences previewed.

use chrono::{DateTime, Duration};
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

use super::super::audit::{self, Target};
use super::super::{ServiceError, ServiceResult};
use super::validate::{apply, check_channels_configured, check_clients, check_senders, first_run};
use super::{
    AssignClientsRequest, CreateReminderRequest, ReminderWithClients, UpdateReminderRequest,
    business_of, stored_schedule, with_clients,
};
use crate::domain::schedule::Schedule;
use crate::domain::{Actor, ClientId, ReminderKind, ReminderStatus, Validation};
use crate::entities::{business, reminder};
use crate::repositories::{document_links, notifications, payments, reminders};
use crate::state::AppState;

/// A reminder about to be written: its row, checked with every rule (its first run in
/// `next_run_at`), its schedule, the documents it carries to every client and its clients.
pub(super) struct CheckedDraft {
    pub row: reminder::ActiveModel,
    pub schedule: Schedule,
    pub document_ids: Vec<i64>,
    pub client_ids: Vec<i64>,
}

/// Checks a new reminder as `create` writes it: every field error at once, then its schedule's
/// first run, then its clients.
pub(super) async fn check_new(
    state: &AppState,
    actor: &Actor,
    business: &business::Model,
    request: &CreateReminderRequest,
) -> ServiceResult<CheckedDraft> {
    let now = state.clock.now();
    let mut row = reminder::ActiveModel {
        business_id: Set(actor.business.0),
        kind: Set(ReminderKind::Custom),
        channels: Set(business.default_channels.clone()),
        subject: Set(None),
        whatsapp_template: Set(None),
        attach_documents: Set(false),
        payment_amount: Set(None),
        payment_currency: Set(None),
        payment_description: Set(None),
        status: Set(ReminderStatus::Active),
        last_run_at: Set(None),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    };
    let patch = UpdateReminderRequest {
        title: Some(request.title.clone()),
        kind: request.kind.clone(),
        channels: request.channels.clone(),
        subject: request.subject.clone().map(Some),
        body: Some(request.body.clone()),
        whatsapp_template: request.whatsapp_template.clone().map(Some),
        schedule: Some(request.schedule.clone()),
        payment: request.payment.clone().map(Some),
        sender_identity_ids: request.sender_identity_ids.clone(),
        document_ids: request.document_ids.clone(),
        attach_documents: request.attach_documents,
    };
    let mut validation = Validation::new();
    let min_gap = Duration::seconds(state.settings.scheduler.min_occurrence_interval_seconds);
    let schedule = apply(&mut validation, &mut row, &patch, business, min_gap);
    check_channels_configured(state, actor, &row, &mut validation).await?;
    check_senders(state, actor, &mut row, &patch, &mut validation).await?;
    let document_ids = match &patch.document_ids {
        Some(ids) => {
            super::super::documents::check_shared(state, actor.business, ids, &mut validation)
                .await?
        }
        None => Vec::new(),
    };
    validation.finish().map_err(ServiceError::Validation)?;
    let schedule = schedule.ok_or_else(|| ServiceError::invalid("schedule", "is required"))?;
    row.next_run_at = Set(Some(first_run(&schedule, now)?.into()));
    let client_ids = check_clients(state, actor, &request.client_ids).await?;
    Ok(CheckedDraft {
        row,
        schedule,
        document_ids,
        client_ids,
    })
}

/// Creates a reminder and assigns its clients.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0))]
pub async fn create(
    state: &AppState,
    actor: &Actor,
    request: CreateReminderRequest,
) -> ServiceResult<ReminderWithClients> {
    let business = business_of(state, actor).await?;
    let now = state.clock.now();
    let CheckedDraft {
        row,
        document_ids,
        client_ids,
        ..
    } = check_new(state, actor, &business, &request).await?;

    let txn = crate::db::begin_write(&state.db).await?;
    let saved = reminders::insert(&txn, row).await?;
    reminders::assign(&txn, actor.business, saved.id, &client_ids, now).await?;
    payments::ensure(&txn, &saved, &client_ids, now).await?;
    document_links::set_shared(&txn, actor.business, saved.id, &document_ids, now).await?;
    txn.commit().await?;
    state.wake_planner();
    tracing::info!(
        reminder_id = saved.id,
        clients = client_ids.len(),
        "reminder created"
    );
    Ok(ReminderWithClients {
        reminder: saved,
        client_ids,
        document_ids,
    })
}

/// Changes a reminder; a new schedule restarts from now, and revives a completed reminder.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, reminder_id = id))]
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    patch: UpdateReminderRequest,
) -> ServiceResult<ReminderWithClients> {
    let business = business_of(state, actor).await?;
    let current = reminders::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if current.status == ReminderStatus::Cancelled {
        return Err(ServiceError::Conflict(
            "A cancelled reminder cannot be changed.".into(),
        ));
    }
    let now = state.clock.now();
    let mut row = current.clone().into_active_model();
    let mut validation = Validation::new();
    let min_gap = Duration::seconds(state.settings.scheduler.min_occurrence_interval_seconds);
    let schedule = apply(&mut validation, &mut row, &patch, &business, min_gap);
    check_channels_configured(state, actor, &row, &mut validation).await?;
    check_senders(state, actor, &mut row, &patch, &mut validation).await?;
    let document_ids = match &patch.document_ids {
        Some(ids) => Some(
            super::super::documents::check_shared(state, actor.business, ids, &mut validation)
                .await?,
        ),
        None => None,
    };
    validation.finish().map_err(ServiceError::Validation)?;
    if let Some(schedule) = schedule {
        row.next_run_at = Set(Some(first_run(&schedule, now)?.into()));
        if current.status == ReminderStatus::Completed {
            row.status = Set(ReminderStatus::Active);
        }
    }
    if !row.is_changed() && document_ids.is_none() {
        return with_clients(state, current).await;
    }
    row.updated_at = Set(now.into());
    let payment_changed = patch.payment.is_some();
    let txn = crate::db::begin_write(&state.db).await?;
    if let Some(ids) = &document_ids {
        document_links::set_shared(&txn, actor.business, id, ids, now).await?;
    }
    let saved = reminders::update(&txn, row).await?;
    if payment_changed {
        // A new amount applies to what is still owed; newly asked-for payments are created.
        payments::reprice(&txn, &saved, now).await?;
        let assigned = reminders::client_ids_of_many(&txn, &[saved.id]).await?;
        let client_ids = assigned.get(&saved.id).cloned().unwrap_or_default();
        payments::ensure(&txn, &saved, &client_ids, now).await?;
    }
    txn.commit().await?;
    state.wake_planner();
    with_clients(state, saved).await
}

pub(super) async fn set_status(
    state: &AppState,
    actor: &Actor,
    id: i64,
    allowed_from: &[ReminderStatus],
    to: ReminderStatus,
) -> ServiceResult<ReminderWithClients> {
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let current = reminders::find(&txn, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if current.status == to {
        txn.commit().await?;
        return with_clients(state, current).await;
    }
    if !allowed_from.contains(&current.status) {
        return Err(ServiceError::Conflict(format!(
            "A {} reminder cannot become {to}.",
            current.status
        )));
    }
    let mut row = current.clone().into_active_model();
    row.status = Set(to);
    row.updated_at = Set(now.into());
    match to {
        ReminderStatus::Active => {
            // Occurrences that passed while paused are not sent.
            let next = stored_schedule(&current).and_then(|s| s.next_after(now));
            row.next_run_at = Set(next.map(Into::into));
            if next.is_none() {
                row.status = Set(ReminderStatus::Completed);
            }
        }
        ReminderStatus::Paused => {
            notifications::cancel_pending(&txn, actor.business, id, "paused", now).await?;
        }
        _ => {
            row.next_run_at = Set(None);
            notifications::cancel_pending(&txn, actor.business, id, "reminder_cancelled", now)
                .await?;
        }
    }
    let saved = reminders::update(&txn, row).await?;
    txn.commit().await?;
    state.wake_planner();
    tracing::info!(reminder_id = id, status = %saved.status, "reminder status changed");
    with_clients(state, saved).await
}

/// Stops future occurrences; queued notifications are cancelled.
pub async fn pause(state: &AppState, actor: &Actor, id: i64) -> ServiceResult<ReminderWithClients> {
    set_status(
        state,
        actor,
        id,
        &[ReminderStatus::Active],
        ReminderStatus::Paused,
    )
    .await
}

/// Restarts from the next occurrence after now.
pub async fn resume(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> ServiceResult<ReminderWithClients> {
    set_status(
        state,
        actor,
        id,
        &[ReminderStatus::Paused],
        ReminderStatus::Active,
    )
    .await
}

/// Cancels for good, keeping the history.
pub async fn cancel(state: &AppState, actor: &Actor, id: i64) -> ServiceResult<()> {
    set_status(
        state,
        actor,
        id,
        &[
            ReminderStatus::Active,
            ReminderStatus::Paused,
            ReminderStatus::Completed,
        ],
        ReminderStatus::Cancelled,
    )
    .await?;
    audit::record(
        &state.db,
        actor,
        "reminder.cancelled",
        Target::reminder(id),
        serde_json::json!({}),
    )
    .await
}

/// Adds clients to a reminder.
pub async fn assign(
    state: &AppState,
    actor: &Actor,
    id: i64,
    request: AssignClientsRequest,
) -> ServiceResult<ReminderWithClients> {
    let reminder = reminders::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if reminder.status == ReminderStatus::Cancelled {
        return Err(ServiceError::Conflict(
            "A cancelled reminder cannot be changed.".into(),
        ));
    }
    let mut wanted = request.client_ids.clone();
    wanted.extend(request.clients.iter().map(|c| c.client_id));
    if wanted.is_empty() {
        return Err(ServiceError::invalid(
            "client_ids",
            "must name at least one client",
        ));
    }
    let ids = check_clients(state, actor, &wanted).await?;
    super::super::documents::check_own(state, actor.business, &request.clients).await?;
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    reminders::assign(&txn, actor.business, id, &ids, now).await?;
    payments::ensure(&txn, &reminder, &ids, now).await?;
    for given in &request.clients {
        document_links::set_own(&txn, id, given.client_id, given.document_id).await?;
    }
    txn.commit().await?;
    with_clients(state, reminder).await
}

/// Removes a client from a reminder.
pub async fn unassign(
    state: &AppState,
    actor: &Actor,
    id: i64,
    client: ClientId,
) -> ServiceResult<()> {
    reminders::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if reminders::unassign(&state.db, actor.business, id, client).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// The next `limit` occurrences (none for a completed or cancelled reminder).
pub async fn occurrences(
    state: &AppState,
    actor: &Actor,
    id: i64,
    limit: usize,
) -> ServiceResult<(String, Vec<DateTime<chrono_tz::Tz>>)> {
    let reminder = reminders::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let schedule = stored_schedule(&reminder)
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("stored schedule unreadable")))?;
    let zone = schedule.zone();
    let items = if matches!(
        reminder.status,
        ReminderStatus::Completed | ReminderStatus::Cancelled
    ) {
        Vec::new()
    } else {
        let after = reminder.next_run_at.map_or(state.clock.now(), |next| {
            *next - chrono::Duration::microseconds(1)
        });
        schedule
            .occurrences(after.max(state.clock.now()), None, limit)
            .into_iter()
            .map(|t| t.with_timezone(&zone))
            .collect()
    };
    Ok((zone.name().to_owned(), items))
}
