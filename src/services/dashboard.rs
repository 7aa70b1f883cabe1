//! `GET /dashboard/summary`: what was sent, delivered, failed, paid and outstanding.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::{ServiceError, ServiceResult};
use crate::domain::{Actor, Channel, NotificationStatus, PaymentStatus};
use crate::repositories::{document_links, message_hours, notifications, payments, reminders};
use crate::state::AppState;

/// Reminders listed as upcoming.
const UPCOMING: u64 = 10;

/// The summary's figures.
#[derive(Debug, Default)]
pub struct Summary {
    /// Messages counted.
    pub total: i64,
    /// Messages per status name.
    pub by_status: BTreeMap<String, i64>,
    /// Messages per channel name.
    pub by_channel: BTreeMap<String, i64>,
    /// Messages handed to a provider (`sent`, `delivered`, `read`), on every channel.
    pub sent: i64,
    /// Of those, the ones their provider reported `delivered` or `read` (only channels that
    /// report delivery: [`Channel::reports_delivery`]).
    pub delivered: i64,
    /// Messages that failed for good, on every channel.
    pub failed: i64,
    /// Delivered (or read) out of the messages sent or failed on channels that report delivery
    /// (SMS, WhatsApp); `None` when there is none, as when only e-mails went: an e-mail's
    /// delivery is unknown, not failed. Messages still awaiting their report count as not
    /// delivered yet.
    pub delivery_rate: Option<f64>,
    /// The messages `delivery_rate` is over: delivered ones and all of them.
    rated: Rated,
    pub payments_by_status: BTreeMap<String, i64>,
    /// Minor units per currency.
    pub paid: BTreeMap<String, i64>,
    pub outstanding: BTreeMap<String, i64>,
    /// Document links opened (each counted once) in the window.
    pub documents_opened: i64,
    /// (reminder id, title, next time).
    pub upcoming: Vec<(i64, String, DateTime<Utc>)>,
}

/// Messages on channels that report delivery, sent or failed: how many in all, and delivered.
#[derive(Debug, Default)]
struct Rated {
    delivered: i64,
    of: i64,
}

impl Summary {
    /// Counts `messages` messages of one status on one channel.
    fn add(&mut self, status: NotificationStatus, channel: Channel, messages: i64) {
        self.total += messages;
        *self.by_status.entry(status.to_string()).or_default() += messages;
        *self.by_channel.entry(channel.to_string()).or_default() += messages;
        let delivered = matches!(
            status,
            NotificationStatus::Delivered | NotificationStatus::Read
        );
        let handed_on = delivered || status == NotificationStatus::Sent;
        if handed_on {
            self.sent += messages;
        }
        if delivered {
            self.delivered += messages;
        }
        if status == NotificationStatus::Failed {
            self.failed += messages;
        }
        if channel.reports_delivery() && (handed_on || status == NotificationStatus::Failed) {
            self.rated.of += messages;
            if delivered {
                self.rated.delivered += messages;
            }
        }
    }
}

/// The business's summary for notifications and payments in `[from, to)`, counted now.
pub async fn summary(
    state: &AppState,
    actor: &Actor,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ServiceResult<Summary> {
    let (counts, extras) = tokio::try_join!(
        async {
            notifications::counts(&state.db, actor.business, from, to)
                .await
                .map_err(ServiceError::from)
        },
        extras(state, actor, from, to),
    )?;
    let mut summary = Summary::default();
    for (status, channel, messages) in counts {
        summary.add(status, channel, messages);
    }
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
    let Rated { delivered, of } = summary.rated;
    summary.delivery_rate = (of > 0).then(|| delivered as f64 / of as f64);
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
        summary.add(hour.status, hour.channel, hour.messages);
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
