//! The original's notification history, kept as history: what it sent stays sent, what it had
//! not sent yet is cancelled (its reminder carries on here, so nothing goes twice). What it sent
//! or failed to send also gets the attempt it made, at its time and with its error, so that a
//! resend here adds to that history instead of replacing it.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::Set;

use super::Report;
use super::clients::ImportedClient;
use super::reminders::ImportedReminder;
use super::shared::channel_of;
use super::source::Source;
use crate::domain::{AttemptOutcome, Channel, NotificationStatus, Trigger};
use crate::entities::{Timestamp, notification, notification_attempt};
use crate::repositories::notifications;

/// The provider named on the attempts the original made.
const ORIGINAL_PROVIDER: &str = "original";

/// What identifies an imported notification: reminder, client, channel and occurrence.
type Key = (i64, i64, Channel, Timestamp);

/// Our status for an original one, and why it did not go when it did not.
fn status_of(original: Option<&str>) -> (NotificationStatus, Option<&'static str>) {
    match original.map(str::to_ascii_uppercase).as_deref() {
        Some("SENT") => (NotificationStatus::Sent, None),
        Some("DELIVERED") => (NotificationStatus::Delivered, None),
        Some("READ") => (NotificationStatus::Read, None),
        Some("FAILED") => (NotificationStatus::Failed, Some("failed_in_the_original")),
        Some("CANCELLED") => (NotificationStatus::Cancelled, None),
        // Its reminder carries on here; this one instance is not sent a second time.
        Some("PENDING") => (
            NotificationStatus::Cancelled,
            Some("not_sent_before_import"),
        ),
        _ => (
            NotificationStatus::Cancelled,
            Some("unknown_original_status"),
        ),
    }
}

pub(super) async fn import_notifications(
    txn: &impl sea_orm::ConnectionTrait,
    source: &Source,
    clients: &HashMap<i64, ImportedClient>,
    reminders_by_id: &HashMap<i64, ImportedReminder>,
    report: &mut Report,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let table = &mut report.notifications;
    let mut rows = Vec::new();
    let mut attempts: Vec<(Key, notification_attempt::ActiveModel)> = Vec::new();
    let mut seen = HashSet::new();
    for original in &source.notifications {
        let Some(reminder) = original.reminder_id.and_then(|id| reminders_by_id.get(&id)) else {
            table.skip("reminder_not_imported");
            continue;
        };
        let Some(client) = original.client_id.and_then(|id| clients.get(&id)) else {
            table.skip("client_not_imported");
            continue;
        };
        if client.business != reminder.business {
            table.skip("client_of_another_user");
            continue;
        }
        let channel = channel_of(original.notification_type.as_deref()).unwrap_or(reminder.channel);
        // Microseconds, as our columns keep them: the key must match the row read back.
        let at = Timestamp(
            original
                .sent_at
                .or(original.created_at)
                .unwrap_or(now)
                .trunc_subsecs(6),
        );
        let key = (reminder.id, client.id, channel, at);
        // One notification per reminder, client, channel and instant, as here.
        if !seen.insert(key) {
            table.skip("duplicate");
            continue;
        }
        let (status, code) = status_of(original.status.as_deref());
        if code == Some("not_sent_before_import") {
            table.change("pending_not_resent");
        }
        let sent = status.was_sent();
        let outcome = if sent {
            Some(AttemptOutcome::Sent)
        } else if status == NotificationStatus::Failed {
            Some(AttemptOutcome::PermanentError)
        } else {
            // Pending or cancelled: the original never tried it.
            None
        };
        if let Some(outcome) = outcome {
            attempts.push((
                key,
                notification_attempt::ActiveModel {
                    business_id: Set(reminder.business),
                    attempted_at: Set(at),
                    outcome: Set(outcome),
                    provider: Set(Some(ORIGINAL_PROVIDER.to_owned())),
                    provider_message_id: Set(None),
                    error_code: Set(code.map(str::to_owned)),
                    error_message: Set(original.error_message.clone()),
                    // Usage counts sends by channel: the original's own sends, billed there,
                    // are left out of it.
                    channel: Set(None),
                    segments: Set(None),
                    ..Default::default()
                },
            ));
        }
        rows.push(notification::ActiveModel {
            business_id: Set(reminder.business),
            reminder_id: Set(reminder.id),
            client_id: Set(client.id),
            channel: Set(channel),
            occurrence_at: Set(at),
            trigger: Set(Trigger::Imported),
            status: Set(status),
            recipient: Set(match channel {
                Channel::Email => client.email.clone(),
                Channel::Sms | Channel::Whatsapp => client.phone.clone(),
            }),
            subject: Set(None),
            body: Set(original.message.clone().unwrap_or_default()),
            provider: Set(None),
            provider_message_id: Set(None),
            attempt_count: Set(i32::from(sent || status == NotificationStatus::Failed)),
            next_attempt_at: Set(at),
            lease_until: Set(None),
            claim_token: Set(None),
            error_code: Set(code.map(str::to_owned)),
            error_message: Set(original.error_message.clone()),
            sent_at: Set(sent.then_some(at)),
            delivered_at: Set(None),
            read_at: Set(None),
            whatsapp_template: Set(None),
            created_at: Set(original.created_at.map_or(at, Timestamp)),
            updated_at: Set(Timestamp(now)),
            ..Default::default()
        });
        table.imported += 1;
    }
    notifications::insert_new(txn, rows).await?;
    attach_attempts(txn, reminders_by_id, attempts).await
}

/// Writes each attempt under the notification it belongs to, found again by its key.
async fn attach_attempts(
    txn: &impl sea_orm::ConnectionTrait,
    reminders_by_id: &HashMap<i64, ImportedReminder>,
    attempts: Vec<(Key, notification_attempt::ActiveModel)>,
) -> anyhow::Result<()> {
    let businesses: Vec<i64> = reminders_by_id
        .values()
        .map(|reminder| reminder.business)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let ids: HashMap<Key, i64> = notifications::find_imported_by_businesses(txn, &businesses)
        .await?
        .into_iter()
        .map(|(id, reminder, client, channel, at)| ((reminder, client, channel, at), id))
        .collect();
    let rows = attempts
        .into_iter()
        .map(|(key, mut attempt)| {
            let id = ids
                .get(&key)
                .context("an imported notification was not found again")?;
            attempt.notification_id = Set(*id);
            Ok(attempt)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    notifications::insert_attempts(txn, rows).await?;
    Ok(())
}
