//! `GET /dashboard/summary`: what was sent, delivered, failed, paid and outstanding.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::ServiceResult;
use crate::domain::{Actor, NotificationStatus, PaymentStatus};
use crate::repositories::{document_links, payments, reminders};
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
