//! `GET /dashboard/summary`: what was sent, delivered, failed, paid and outstanding.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::{ServiceError, ServiceResult};
use crate::domain::{Actor, Channel, NotificationStatus, PaymentStatus};
use crate::repositories::{document_links, message_hours, payments, reminders};
use crate::state::AppState;

/// Reminders listed as upcoming.
const UPCOMING: u64 = 10;

/// The summary's figures.
#[derive(Debug, Default)]
pub struct Summary {
    pub total: i64,
    pub by_status: BTreeMap<String, i64>,
    pub by_channel: BTreeMap<String, i64>,
    /// Delivered (or read) out of those that reached a provider's verdict or were sent.
    pub delivery_rate: Option<f64>,
    pub payments_by_status: BTreeMap<String, i64>,
    /// Minor units per currency.
    pub paid: BTreeMap<String, i64>,
    pub outstanding: BTreeMap<String, i64>,
    /// Document links opened (each counted once) in the window.
    pub documents_opened: i64,
    /// (reminder id, title, next time).
    pub upcoming: Vec<(i64, String, DateTime<Utc>)>,
}

/// The business's summary for notifications and payments in `[from, to)`, counted now.
pub async fn summary(
    state: &AppState,
    actor: &Actor,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ServiceResult<Summary> {
    let (counts, extras) = tokio::try_join!(
        super::notifications::counts(state, actor, from, to),
        extras(state, actor, from, to),
    )?;
    let mut summary = Summary {
        total: counts.total,
        by_status: counts.by_status,
        by_channel: counts.by_channel,
        ..Summary::default()
    };
    complete(&mut summary, extras);
    Ok(summary)
}

/// What the summary reads besides the message counts.
struct Extras {
    /// (status, currency, payments, amount) of the payments in the window.
    amounts: Vec<(PaymentStatus, String, i64, i64)>,
    documents_opened: i64,
    upcoming: Vec<crate::entities::reminder::Model>,
}

/// Reads the payments and document opens of `[from, to)` and the upcoming reminders, at once,
/// each on its own connection.
async fn extras(
    state: &AppState,
    actor: &Actor,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ServiceResult<Extras> {
    let (amounts, documents_opened, upcoming) = tokio::try_join!(
        payments::amounts(&state.db, actor.business, from, to),
        document_links::opened_in(&state.db, actor.business, from, to),
        reminders::upcoming(&state.db, actor.business, UPCOMING),
    )?;
    Ok(Extras {
        amounts,
        documents_opened,
        upcoming,
    })
}

/// Completes a summary whose message counts are in: the delivery rate they give, and `extras`.
fn complete(summary: &mut Summary, extras: Extras) {
    let count = |status: NotificationStatus| {
        summary
            .by_status
            .get(status.as_str())
            .copied()
            .unwrap_or_default()
    };
    let delivered = count(NotificationStatus::Delivered) + count(NotificationStatus::Read);
    let attempted = delivered + count(NotificationStatus::Sent) + count(NotificationStatus::Failed);
    summary.delivery_rate = (attempted > 0).then(|| delivered as f64 / attempted as f64);
    for (status, currency, payments, amount) in extras.amounts {
        *summary
            .payments_by_status
            .entry(status.to_string())
            .or_default() += payments;
        let bucket = if status == PaymentStatus::Paid {
            &mut summary.paid
        } else {
            // Open, expired, failed and refunded are still owed.
            &mut summary.outstanding
        };
        *bucket.entry(currency).or_default() += amount;
    }
    summary.documents_opened = extras.documents_opened;
    summary.upcoming = extras
        .upcoming
        .into_iter()
        .filter_map(|r| Some((r.id, r.title, r.next_run_at.map(Into::into)?)))
        .collect();
}

/// Messages that reached a provider's verdict on each of the last `days` local days of the
/// business (today last): per day, the sent ones per channel (delivered and read included) and
/// the failed ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Daily {
    /// `YYYY-MM-DD`, oldest first.
    pub days: Vec<String>,
    /// Sent per channel, one count per day.
    pub sent: BTreeMap<Channel, Vec<i64>>,
    /// Failed (all channels), one count per day.
    pub failed: Vec<i64>,
}

/// The business's last `days` local days (in `zone`, today included) at a glance: the summary
/// of the messages due on those days and of the payments and document opens since the first
/// one began, and the messages per day.
///
/// Messages are counted from the kept hourly counts (`repositories::message_hours`), brought up
/// to date first, so this reads a few hundred rows however many messages there are. An hour
/// belongs to the local day it starts in: in a zone whose offset is not a whole number of hours
/// (India, Nepal, Newfoundland), a message due in the first 30 or 45 minutes after midnight is
/// counted on the day before. Messages due later in the current hour are counted too.
pub async fn recent(
    state: &AppState,
    actor: &Actor,
    zone: Tz,
    days: u32,
) -> ServiceResult<(Summary, Daily)> {
    let now = state.clock.now();
    let today = now.with_timezone(&zone).date_naive();
    let first = today - chrono::Days::new(u64::from(days.saturating_sub(1)));
    let from = zone
        .from_local_datetime(&first.and_time(NaiveTime::MIN))
        .earliest()
        .map_or(now, |start| start.with_timezone(&Utc));
    let day_names: Vec<String> = first
        .iter_days()
        .take(days as usize)
        .map(|day| day.format("%Y-%m-%d").to_string())
        .collect();
    let mut daily = Daily {
        sent: Channel::ALL
            .iter()
            .map(|channel| (*channel, vec![0; day_names.len()]))
            .collect(),
        failed: vec![0; day_names.len()],
        days: day_names,
    };
    let counting = async {
        message_hours::refresh(&state.db, actor.business, now).await?;
        let hours = message_hours::read(
            &state.db,
            actor.business,
            message_hours::hour_of(from),
            message_hours::hour_of(now) + Duration::hours(1),
        )
        .await?;
        Ok::<_, ServiceError>(hours)
    };
    let (hours, extras) = tokio::try_join!(
        counting,
        extras(state, actor, Some(from), Some(now + Duration::seconds(1))),
    )?;
    let mut summary = Summary::default();
    for hour in hours {
        let day = hour
            .hour
            .with_timezone(&zone)
            .format("%Y-%m-%d")
            .to_string();
        let Some(index) = daily.days.iter().position(|d| *d == day) else {
            continue;
        };
        summary.total += hour.messages;
        *summary
            .by_status
            .entry(hour.status.to_string())
            .or_default() += hour.messages;
        *summary
            .by_channel
            .entry(hour.channel.to_string())
            .or_default() += hour.messages;
        match hour.status {
            NotificationStatus::Failed => daily.failed[index] += hour.messages,
            NotificationStatus::Sent | NotificationStatus::Delivered | NotificationStatus::Read => {
                if let Some(sent) = daily.sent.get_mut(&hour.channel) {
                    sent[index] += hour.messages;
                }
            }
            _ => {}
        }
    }
    complete(&mut summary, extras);
    Ok((summary, daily))
}
