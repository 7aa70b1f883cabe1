//! The original's notification history, kept as history: what it sent stays sent, what it had
//! not sent yet is cancelled (its reminder carries on here, so nothing goes twice).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::Set;

use super::Report;
use super::clients::ImportedClient;
use super::reminders::ImportedReminder;
use super::shared::channel_of;
use super::source::Source;
use crate::domain::{Channel, NotificationStatus, Trigger};
use crate::entities::{Timestamp, notification};
use crate::repositories::notifications;

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
        let at = original.sent_at.or(original.created_at).unwrap_or(now);
        // One notification per reminder, client, channel and instant, as here.
        if !seen.insert((reminder.id, client.id, channel, at)) {
            table.skip("duplicate");
            continue;
        }
        let (status, code) = status_of(original.status.as_deref());
        if code == Some("not_sent_before_import") {
            table.change("pending_not_resent");
        }
        let sent = status.was_sent();
        rows.push(notification::ActiveModel {
            business_id: Set(reminder.business),
            reminder_id: Set(reminder.id),
            client_id: Set(client.id),
            channel: Set(channel),
            occurrence_at: Set(Timestamp(at)),
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
            next_attempt_at: Set(Timestamp(at)),
            lease_until: Set(None),
            claim_token: Set(None),
            error_code: Set(code.map(str::to_owned)),
            error_message: Set(original.error_message.clone()),
            sent_at: Set(sent.then_some(Timestamp(at))),
            delivered_at: Set(None),
            read_at: Set(None),
            whatsapp_template: Set(None),
            created_at: Set(Timestamp(original.created_at.unwrap_or(at))),
            updated_at: Set(Timestamp(now)),
            ..Default::default()
        });
        table.imported += 1;
    }
    notifications::insert_new(txn, rows).await?;
    Ok(())
}
