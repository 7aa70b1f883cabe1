//! One occurrence of a reminder becomes its notifications and its record. This is the single
//! step both paths share: the planner for scheduled occurrences (a batch of reminders per
//! transaction) and `reminders::send_now` for a send on demand.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Set};

use super::documents::ClientDocuments;
use super::messages::{self, Occurrence};
use super::unsubscribe::Links;
use crate::domain::{OccurrenceOutcome, Trigger};
use crate::entities::{business, client, notification, reminder, reminder_occurrence};
use crate::repositories::payments;

/// What one occurrence produces, ready to be written in the caller's transaction.
#[derive(Debug)]
pub struct Composed {
    /// One per client and channel: pending, skipped with the reason, or failed to render.
    pub notifications: Vec<notification::ActiveModel>,
    /// The occurrence's row in `reminder_occurrences`, counting them.
    pub record: reminder_occurrence::ActiveModel,
}

/// Composes an occurrence for `clients`: makes sure each owes their payment when the reminder
/// asks for one, renders every message with its links and the `documents` carried to each
/// client (by client id, as `documents::carried` gives them), and counts the result.
pub async fn compose(
    txn: &impl ConnectionTrait,
    links: &Links,
    business: &business::Model,
    reminder: &reminder::Model,
    clients: &[client::Model],
    documents: &HashMap<i64, ClientDocuments>,
    occurrence: Occurrence,
) -> Result<Composed, DbErr> {
    let client_ids: Vec<i64> = clients.iter().map(|c| c.id).collect();
    let payments = payments::ensure(txn, reminder, &client_ids, occurrence.now).await?;
    let notifications = messages::build(
        business, reminder, clients, &payments, documents, occurrence, links,
    );
    messages::record_created(&notifications);
    let outcome = match occurrence.trigger {
        Trigger::Manual => OccurrenceOutcome::Manual,
        Trigger::Schedule | Trigger::Imported => OccurrenceOutcome::Planned,
    };
    let count = i32::try_from(notifications.len()).unwrap_or(i32::MAX);
    Ok(Composed {
        notifications,
        record: record(reminder, occurrence.at, outcome, count, occurrence.now),
    })
}

/// An occurrence's row: what became of it and how many notifications it made.
pub fn record(
    reminder: &reminder::Model,
    at: DateTime<Utc>,
    outcome: OccurrenceOutcome,
    notification_count: i32,
    now: DateTime<Utc>,
) -> reminder_occurrence::ActiveModel {
    reminder_occurrence::ActiveModel {
        business_id: Set(reminder.business_id),
        reminder_id: Set(reminder.id),
        occurrence_at: Set(at.into()),
        outcome: Set(outcome),
        notification_count: Set(notification_count),
        created_at: Set(now.into()),
        ..Default::default()
    }
}
