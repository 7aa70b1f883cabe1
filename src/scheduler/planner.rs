//! The planner: turns due occurrences of active reminders into notifications, in one
//! transaction per batch, and moves each reminder to its next occurrence.
//!
//! A reminder for many clients is fanned out a chunk of [`FAN_OUT_CHUNK`] clients per
//! transaction: its first chunk goes with its batch, the rest follow one transaction each, and
//! the dispatcher is woken after every commit, so the first messages leave while the rest are
//! still being written. How far a fan-out has got is kept with its occurrence
//! (`planned_through`), so after a crash the next pass carries on from there; notifications have
//! unique keys, so a chunk planned twice adds nothing.
//!
//! After downtime, occurrences missed by at most `MISFIRE_GRACE_SECONDS` are coalesced into one
//! send (the latest); older ones are recorded as `missed`. Running it twice plans nothing twice:
//! occurrences and notifications have unique keys, and a claimed reminder is locked.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use sea_orm::Set;

use crate::domain::{BusinessId, OccurrenceOutcome, ReminderStatus, Trigger};
use crate::entities::{business, client, reminder};
use crate::repositories::{businesses, notifications, reminders};
use crate::services::documents;
use crate::services::messages::Occurrence;
use crate::services::occurrences::{self, compose};
use crate::services::reminders::stored_schedule;
use crate::state::AppState;

/// Reminders planned per transaction.
const BATCH: u64 = 100;
/// Past occurrences looked at per reminder (older ones beyond this are not recorded one by one).
const MAX_PAST: usize = 1000;
/// Clients of one occurrence planned per transaction.
pub const FAN_OUT_CHUNK: usize = 500;

/// What one planning pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PlanOutcome {
    /// Reminders that were due.
    pub reminders: usize,
    /// Notifications created.
    pub notifications: u64,
    /// Occurrences recorded as missed.
    pub missed: usize,
}

/// Plans every reminder due by `now`, batch after batch, then the rest of every fan-out under
/// way; wakes this process's dispatcher after each transaction that queued notifications.
pub async fn plan_due(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<PlanOutcome> {
    let mut total = PlanOutcome::default();
    loop {
        let outcome = plan_batch(state, now).await?;
        total.reminders += outcome.reminders;
        total.notifications += outcome.notifications;
        total.missed += outcome.missed;
        if outcome.reminders < usize::try_from(BATCH).unwrap_or(usize::MAX) {
            break;
        }
    }
    total.notifications += continue_fan_outs(state, now).await?;
    Ok(total)
}

/// Plans the next chunk of each occurrence whose fan-out is under way, a chunk per transaction,
/// until none is left; returns the notifications created. A fan-out stops early when its
/// reminder was paused, cancelled or deleted meanwhile (which cancelled what it had queued).
async fn continue_fan_outs(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let links = crate::services::unsubscribe::Links::of(state);
    let mut created = 0;
    loop {
        let txn = crate::db::begin_write(&state.db).await?;
        let Some(occurrence) = reminders::claim_unfinished_fan_out(&txn).await? else {
            txn.commit().await?;
            return Ok(created);
        };
        let after = occurrence.planned_through.unwrap_or(i64::MAX);
        let reminder = reminders::find_any_locked(&txn, occurrence.reminder_id)
            .await?
            .filter(|r| !matches!(r.status, ReminderStatus::Paused | ReminderStatus::Cancelled));
        let business = match &reminder {
            Some(r) => businesses::find(&txn, BusinessId(r.business_id)).await?,
            None => None,
        };
        let (Some(reminder), Some(business)) = (reminder, business) else {
            reminders::advance_fan_out(&txn, occurrence.id, None, 0).await?;
            txn.commit().await?;
            continue;
        };
        let chunk = FAN_OUT_CHUNK as u64;
        let (assigned, through) = reminders::clients_after(&txn, reminder.id, after, chunk).await?;
        let clients = assigned
            .clients
            .get(&reminder.id)
            .map_or(&[][..], Vec::as_slice);
        let carried = documents::carried(
            &txn,
            &[(&reminder, clients)],
            &assigned.own_documents,
            state.settings.document_max_bytes,
            now,
        )
        .await?;
        let composed = compose(
            &txn,
            &links,
            &business,
            &reminder,
            clients,
            carried.get(&reminder.id).unwrap_or(&HashMap::new()),
            Occurrence {
                at: occurrence.occurrence_at.into(),
                trigger: Trigger::Schedule,
                now,
            },
        )
        .await?;
        let added = notifications::insert_new(&txn, composed.notifications).await?;
        reminders::advance_fan_out(&txn, occurrence.id, through, added).await?;
        txn.commit().await?;
        if added > 0 {
            state.wake_dispatcher();
        }
        created += added;
    }
}

async fn plan_batch(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<PlanOutcome> {
    let timer = std::time::Instant::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let due = reminders::claim_due(&txn, now, BATCH).await?;
    let mut outcome = PlanOutcome {
        reminders: due.len(),
        ..PlanOutcome::default()
    };
    // Everything the batch needs is loaded up front, a few queries for the whole batch.
    let reminder_ids: Vec<i64> = due.iter().map(|r| r.id).collect();
    let (assigned, assigned_counts) =
        reminders::first_clients_of_many(&txn, &reminder_ids, FAN_OUT_CHUNK as u64).await?;
    let mut business_cache: HashMap<i64, business::Model> = HashMap::new();
    let grace = Duration::seconds(state.settings.scheduler.misfire_grace_seconds);
    let links = crate::services::unsubscribe::Links::of(state);
    // Each reminder's first chunk of clients (in id order); the rest follow in their own
    // transactions.
    let first_chunk =
        |id: i64| -> &[client::Model] { assigned.clients.get(&id).map_or(&[][..], Vec::as_slice) };
    let batch: Vec<(&reminder::Model, &[client::Model])> =
        due.iter().map(|r| (r, first_chunk(r.id))).collect();
    let carried = documents::carried(
        &txn,
        &batch,
        &assigned.own_documents,
        state.settings.document_max_bytes,
        now,
    )
    .await?;
    let none = HashMap::new();
    let mut rows = Vec::new();
    let mut occurrences = Vec::new();
    // Reminders that move on alike are updated in one statement.
    let mut moves: HashMap<Move, Vec<i64>> = HashMap::new();
    for reminder in &due {
        if !business_cache.contains_key(&reminder.business_id) {
            let Some(business) = businesses::find(&txn, BusinessId(reminder.business_id)).await?
            else {
                continue;
            };
            business_cache.insert(business.id, business);
        }
        let Some(business) = business_cache.get(&reminder.business_id) else {
            continue;
        };
        let plan = plan_reminder(reminder, now, grace);
        if let Some(send_at) = plan.send_at {
            let clients = first_chunk(reminder.id);
            let mut composed = compose(
                &txn,
                &links,
                business,
                reminder,
                clients,
                carried.get(&reminder.id).unwrap_or(&none),
                Occurrence {
                    at: send_at,
                    trigger: Trigger::Schedule,
                    now,
                },
            )
            .await?;
            let assigned_count = assigned_counts.get(&reminder.id).copied().unwrap_or(0);
            if usize::try_from(assigned_count).is_ok_and(|count| count > clients.len()) {
                composed.record.planned_through = Set(clients.last().map(|c| c.id));
            }
            rows.extend(composed.notifications);
            occurrences.push(composed.record);
        }
        for at in &plan.coalesced {
            occurrences.push(occurrences::record(
                reminder,
                *at,
                OccurrenceOutcome::Coalesced,
                0,
                now,
            ));
        }
        for at in &plan.missed {
            occurrences.push(occurrences::record(
                reminder,
                *at,
                OccurrenceOutcome::Missed,
                0,
                now,
            ));
        }
        outcome.missed += plan.missed.len();
        if !plan.missed.is_empty() {
            tracing::warn!(
                reminder_id = reminder.id,
                missed = plan.missed.len(),
                "occurrences missed beyond the grace window"
            );
        }
        let last_run = plan.send_at.or(reminder.last_run_at.map(Into::into));
        moves
            .entry((plan.next, last_run))
            .or_default()
            .push(reminder.id);
    }
    for ((next, last_run), ids) in moves {
        reminders::move_on(&txn, &ids, next, last_run, now).await?;
    }
    outcome.notifications = notifications::insert_new(&txn, rows).await?;
    reminders::record_occurrences(&txn, occurrences).await?;
    txn.commit().await?;
    if outcome.notifications > 0 {
        state.wake_dispatcher();
    }
    if outcome.reminders > 0 {
        tracing::info!(
            elapsed_ms = timer.elapsed().as_millis(),
            reminders = outcome.reminders,
            notifications = outcome.notifications,
            "planned due reminders"
        );
    }
    Ok(outcome)
}

/// Where a planned reminder moves: its next occurrence and the last one sent.
type Move = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// What to do with a due reminder.
#[derive(Debug, Default, PartialEq, Eq)]
struct ReminderPlan {
    send_at: Option<DateTime<Utc>>,
    coalesced: Vec<DateTime<Utc>>,
    missed: Vec<DateTime<Utc>>,
    next: Option<DateTime<Utc>>,
}

fn plan_reminder(reminder: &reminder::Model, now: DateTime<Utc>, grace: Duration) -> ReminderPlan {
    let Some(schedule) = stored_schedule(reminder) else {
        tracing::error!(
            reminder_id = reminder.id,
            "stored schedule unreadable; reminder completed"
        );
        return ReminderPlan::default();
    };
    let from = reminder.next_run_at.map_or(now, Into::into) - Duration::microseconds(1);
    let due = schedule.occurrences(from, Some(now), MAX_PAST);
    let (recent, old): (Vec<_>, Vec<_>) = due.into_iter().partition(|at| now - *at <= grace);
    let mut recent = recent;
    let send_at = recent.pop();
    ReminderPlan {
        send_at,
        coalesced: recent,
        missed: old,
        next: schedule.next_after(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn daily_reminder(next: &str) -> reminder::Model {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        reminder::Model {
            id: 1,
            business_id: 1,
            title: "t".into(),
            kind: crate::domain::ReminderKind::Custom,
            channels: crate::domain::ChannelSet::from(vec![crate::domain::Channel::Email]),
            subject: None,
            body: "b".into(),
            whatsapp_template: None,
            schedule: crate::domain::schedule::ScheduleSpec::Recurring(
                crate::domain::schedule::RecurringSchedule {
                    rrule: "FREQ=DAILY".into(),
                    start: "2027-01-01T09:00:00".into(),
                    timezone: Some("UTC".into()),
                },
            ),
            sender_identity_ids: None,
            attach_documents: false,
            timezone: "UTC".into(),
            payment_amount: None,
            payment_currency: None,
            payment_description: None,
            status: crate::domain::ReminderStatus::Active,
            next_run_at: Some(at(next).into()),
            last_run_at: None,
            created_at: at(next).into(),
            updated_at: at(next).into(),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn on_time_occurrences_are_sent_and_the_next_one_is_set() {
        let plan = plan_reminder(
            &daily_reminder("2027-01-05T09:00:00Z"),
            at("2027-01-05T09:00:01Z"),
            Duration::hours(1),
        );
        assert_eq!(plan.send_at, Some(at("2027-01-05T09:00:00Z")));
        assert!(plan.coalesced.is_empty() && plan.missed.is_empty());
        assert_eq!(plan.next, Some(at("2027-01-06T09:00:00Z")));
    }

    #[test]
    fn after_downtime_recent_ones_coalesce_and_old_ones_are_missed() {
        let plan = plan_reminder(
            &daily_reminder("2027-01-01T09:00:00Z"),
            at("2027-01-05T10:00:00Z"),
            Duration::days(2),
        );
        assert_eq!(plan.send_at, Some(at("2027-01-05T09:00:00Z")));
        assert_eq!(plan.coalesced, [at("2027-01-04T09:00:00Z")]);
        assert_eq!(
            plan.missed,
            [
                at("2027-01-01T09:00:00Z"),
                at("2027-01-02T09:00:00Z"),
                at("2027-01-03T09:00:00Z")
            ]
        );
        assert_eq!(plan.next, Some(at("2027-01-06T09:00:00Z")));
    }
}
