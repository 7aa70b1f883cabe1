//! `GET /dashboard/summary`: what was sent, delivered, failed, paid and outstanding.

use std::collections::BTreeMap;

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::ServiceResult;
use crate::domain::{Actor, Channel, NotificationStatus, PaymentStatus};
use crate::repositories::{document_links, notifications, payments, reminders};
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

/// The business's summary for notifications and payments in `[from, to)`.
pub async fn summary(
    state: &AppState,
    actor: &Actor,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ServiceResult<Summary> {
    let counts = super::notifications::counts(state, actor, from, to).await?;
    let mut summary = Summary {
        total: counts.total,
        by_status: counts.by_status,
        by_channel: counts.by_channel,
        ..Summary::default()
    };
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
    for (status, currency, amount) in payments::amounts(&state.db, actor.business, from, to).await?
    {
        *summary
            .payments_by_status
            .entry(status.to_string())
            .or_default() += 1;
        let bucket = if status == PaymentStatus::Paid {
            &mut summary.paid
        } else {
            // Open, expired, failed and refunded are still owed.
            &mut summary.outstanding
        };
        *bucket.entry(currency).or_default() += amount;
    }
    summary.documents_opened =
        document_links::opened_in(&state.db, actor.business, from, to).await?;
    summary.upcoming = reminders::upcoming(&state.db, actor.business, UPCOMING)
        .await?
        .into_iter()
        .filter_map(|r| Some((r.id, r.title, r.next_run_at.map(Into::into)?)))
        .collect();
    Ok(summary)
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

/// The messages of the business's last `days` days, counted per day in its time zone.
pub async fn daily(state: &AppState, actor: &Actor, zone: Tz, days: u32) -> ServiceResult<Daily> {
    let now = state.clock.now();
    let today = now.with_timezone(&zone).date_naive();
    let first = today - chrono::Days::new(u64::from(days.saturating_sub(1)));
    let offset = zone.offset_from_utc_datetime(&now.naive_utc()).fix();
    let offset_minutes = offset.local_minus_utc() / 60;
    let from = first.and_hms_opt(0, 0, 0).map_or(now, |start| {
        start.and_utc() - chrono::Duration::minutes(offset_minutes.into())
    });
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
    let rows = notifications::per_day(
        &state.db,
        actor.business,
        from,
        now + chrono::Duration::seconds(1),
        offset_minutes,
    )
    .await?;
    for (day, channel, status, count) in rows {
        let Some(index) = daily.days.iter().position(|d| *d == day) else {
            continue;
        };
        if status == NotificationStatus::Failed {
            daily.failed[index] += count;
        } else if let Some(sent) = daily.sent.get_mut(&channel) {
            sent[index] += count;
        }
    }
    Ok(daily)
}
