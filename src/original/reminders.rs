//! Reminders of the original and their recipients: one channel each, its date and recurrence
//! words turned into a schedule in the chosen zone, its text kept literally, the sender identity
//! it names kept only when it is the same business's and channel's.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::Set;

use super::clients::ImportedClient;
use super::sender_identities::ImportedIdentity;
use super::shared::{channel_of, owner_of, truncated};
use super::source::{Reminder, Source};
use super::{Options, Report, TableReport};
use crate::domain::schedule::{
    OnceSchedule, RecurringSchedule, Schedule, ScheduleSpec, words_to_rrule_from,
};
use crate::domain::{
    BusinessId, Channel, ChannelSet, ReminderKind, ReminderStatus, SendersByChannel,
};
use crate::entities::{Timestamp, reminder};
use crate::repositories::reminders;
use crate::services::messages::MessageContext;

/// What an imported reminder needs for its history.
pub(super) struct ImportedReminder {
    pub(super) id: i64,
    pub(super) business: i64,
    pub(super) channel: Channel,
}

/// The identities a reminder may name: those imported from the original's sender identities
/// and those its e-mail configurations' addresses became, each by original id.
pub(super) struct Senders<'a> {
    pub(super) identities: &'a HashMap<i64, ImportedIdentity>,
    pub(super) configurations: &'a HashMap<i64, ImportedIdentity>,
}

impl Senders<'_> {
    /// The identity `original` sends from here: its sender identity when that was imported for
    /// this business and channel, else the address of the e-mail configuration it names.
    fn of(
        &self,
        original: &Reminder,
        business: i64,
        channel: Channel,
        table: &mut TableReport,
    ) -> Option<SendersByChannel> {
        let named = original
            .sender_identity_id
            .and_then(|id| self.identities.get(&id))
            .and_then(|identity| {
                if identity.business != business {
                    // The source's own rows disagree: never name another business's identity.
                    table.change("sender_identity_of_another_user");
                    None
                } else if identity.channel == channel {
                    Some(identity.id)
                } else {
                    table.change("sender_identity_not_for_channel");
                    None
                }
            });
        let configured = || {
            original
                .email_configuration_id
                .and_then(|id| self.configurations.get(&id))
                .filter(|identity| identity.business == business && identity.channel == channel)
                .map(|identity| identity.id)
        };
        named
            .or_else(configured)
            .map(|id| SendersByChannel(BTreeMap::from([(channel, id)])))
    }
}

fn kind_of(name: Option<&str>) -> ReminderKind {
    match name.map(str::to_ascii_uppercase).as_deref() {
        Some("PAYMENT") => ReminderKind::Payment,
        Some("DEADLINE") => ReminderKind::Deadline,
        Some("APPOINTMENT") => ReminderKind::Appointment,
        Some("DOCUMENT") => ReminderKind::Document,
        _ => ReminderKind::Custom,
    }
}

pub(super) async fn import_reminders(
    txn: &impl sea_orm::ConnectionTrait,
    source: &Source,
    options: &Options,
    owners: &HashMap<i64, i64>,
    senders: &Senders<'_>,
    report: &mut Report,
    now: DateTime<Utc>,
) -> anyhow::Result<HashMap<i64, ImportedReminder>> {
    let table = &mut report.reminders;
    let mut imported = HashMap::new();
    let zone = options.timezone;
    let sample = MessageContext::sample();
    for original in &source.reminders {
        let Some(business) = owner_of(original.user_id, owners, table) else {
            continue;
        };
        let Some(due) = original.reminder_date else {
            table.skip("no_date");
            continue;
        };
        let channel = channel_of(original.notification_type.as_deref()).unwrap_or_else(|| {
            table.change("channel_unknown_email_used");
            Channel::Email
        });
        let local_due = due.with_timezone(&zone).naive_local();
        let local = local_due.format("%Y-%m-%dT%H:%M:%S").to_string();
        let once = ScheduleSpec::Once(OnceSchedule {
            at: local.clone(),
            timezone: Some(zone.name().to_owned()),
        });
        let rule = original
            .is_recurring
            .then(|| {
                original
                    .recurrence_pattern
                    .as_deref()
                    .and_then(|words| words_to_rrule_from(words, local_due.date()))
            })
            .flatten();
        match &rule {
            None if original.is_recurring => table.change("recurrence_not_understood_sent_once"),
            // That day or the month's last day, which RFC 5545 alone would not do: worth a look.
            Some(rule) if rule.clamped_to_month_end => table.change("month_end_day_clamped"),
            _ => {}
        }
        let spec = match rule {
            Some(rule) => ScheduleSpec::Recurring(RecurringSchedule {
                rrule: rule.rrule,
                start: local,
                timezone: Some(zone.name().to_owned()),
            }),
            None => once,
        };
        let Ok(schedule) = Schedule::parse(&spec, zone) else {
            table.skip("schedule_unreadable");
            continue;
        };
        let recurring = matches!(spec, ScheduleSpec::Recurring(_));
        // Due just before the switch-over: still sent, within the misfire grace.
        let next = schedule.next_after(now - options.misfire_grace);
        let (status, next_run_at) = match (original.is_active, next) {
            (true, Some(next)) => (ReminderStatus::Active, Some(next)),
            (false, _) if recurring => (ReminderStatus::Paused, None),
            _ => (ReminderStatus::Completed, None),
        };
        let title = original
            .title
            .clone()
            .unwrap_or_else(|| format!("Reminder {}", original.id));
        let mut body = original
            .description
            .clone()
            .unwrap_or_else(|| title.clone());
        // Its text was never a template: braces in it stay braces.
        let literal = format!("{{% raw %}}{body}{{% endraw %}}");
        if ["{{", "{%", "{#"].iter().any(|mark| body.contains(mark))
            && !body.contains("endraw")
            && crate::domain::template::check(&literal, &sample).is_ok()
        {
            body = literal;
            table.change("text_kept_literally");
        }
        let sends_from = senders.of(original, business, channel, table);
        let saved = reminders::insert(
            txn,
            reminder::ActiveModel {
                business_id: Set(business),
                title: Set(truncated(&title, 200)),
                kind: Set(kind_of(original.reminder_type.as_deref())),
                channels: Set(ChannelSet::from(vec![channel])),
                subject: Set(None),
                body: Set(body),
                whatsapp_template: Set(None),
                schedule: Set(schedule.to_spec()),
                sender_identity_ids: Set(sends_from),
                timezone: Set(schedule.zone().name().to_owned()),
                payment_amount: Set(None),
                payment_currency: Set(None),
                payment_description: Set(None),
                status: Set(status),
                next_run_at: Set(next_run_at.map(Timestamp)),
                last_run_at: Set(None),
                created_at: Set(Timestamp(original.created_at.unwrap_or(now))),
                updated_at: Set(Timestamp(now)),
                ..Default::default()
            },
        )
        .await?;
        imported.insert(
            original.id,
            ImportedReminder {
                id: saved.id,
                business,
                channel,
            },
        );
        table.imported += 1;
    }
    Ok(imported)
}

pub(super) async fn import_recipients(
    txn: &impl sea_orm::ConnectionTrait,
    source: &Source,
    clients: &HashMap<i64, ImportedClient>,
    reminders_by_id: &HashMap<i64, ImportedReminder>,
    report: &mut Report,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let table = &mut report.reminder_recipients;
    let mut assigned: BTreeMap<i64, (i64, Vec<i64>)> = BTreeMap::new();
    let mut seen = HashSet::new();
    for original in &source.recipients {
        let Some(reminder) = reminders_by_id.get(&original.reminder_id) else {
            table.skip("reminder_not_imported");
            continue;
        };
        let Some(client) = clients.get(&original.client_id) else {
            table.skip("client_not_imported");
            continue;
        };
        if client.business != reminder.business {
            table.skip("client_of_another_user");
            continue;
        }
        if !seen.insert((reminder.id, client.id)) {
            table.skip("duplicate");
            continue;
        }
        assigned
            .entry(reminder.id)
            .or_insert_with(|| (reminder.business, Vec::new()))
            .1
            .push(client.id);
        table.imported += 1;
    }
    for (reminder, (business, client_ids)) in assigned {
        reminders::assign(txn, BusinessId(business), reminder, &client_ids, now).await?;
    }
    Ok(())
}
