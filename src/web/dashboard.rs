//! The dashboard: the last 30 days at a glance.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Html;

use super::charts;
use super::error::WebError;
use super::layout::{Chrome, local, render};
use super::session::Staff;
use crate::domain::Money;
use crate::services;
use crate::services::dashboard::Daily;
use crate::state::AppState;

/// Days the dashboard looks back.
const WINDOW_DAYS: u32 = 30;

/// The dashboard page.
#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    total: i64,
    by_status: Vec<(String, i64)>,
    /// Over SMS and WhatsApp only; `None` (shown as unknown) without any.
    delivery_rate: Option<String>,
    sent: i64,
    delivered: i64,
    failed: i64,
    paid: Vec<String>,
    outstanding: Vec<String>,
    documents_opened: i64,
    upcoming: Vec<(i64, String, String)>,
    /// Messages per day, as SVG.
    chart: String,
    /// The same figures as a table, for those who do not see the chart.
    daily: Daily,
}

impl DashboardPage {
    /// The sent messages of one day across channels.
    fn sent_on(&self, index: &usize) -> i64 {
        self.daily.sent.values().map(|counts| counts[*index]).sum()
    }
}

/// Amounts per currency, as people read them (`£125.00`).
fn amounts(per_currency: &std::collections::BTreeMap<String, i64>) -> Vec<String> {
    per_currency
        .iter()
        .map(|(currency, minor)| {
            Money::new(*minor, currency)
                .map(|money| money.to_string())
                .unwrap_or_else(|_| format!("{minor} {currency}"))
        })
        .collect()
}

/// `GET /dashboard`.
pub(super) async fn page(
    State(state): State<Arc<AppState>>,
    staff: Staff,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "dashboard").await?;
    let zone = chrome.zone();
    let (summary, daily) =
        services::dashboard::recent(&state, &staff.actor, zone, WINDOW_DAYS).await?;
    let page = DashboardPage {
        chart: charts::messages_per_day(&daily)?,
        daily,
        total: summary.total,
        by_status: summary.by_status.into_iter().collect(),
        delivery_rate: summary
            .delivery_rate
            .map(|rate| format!("{:.1} %", rate * 100.0)),
        sent: summary.sent,
        delivered: summary.delivered,
        failed: summary.failed,
        paid: amounts(&summary.paid),
        outstanding: amounts(&summary.outstanding),
        documents_opened: summary.documents_opened,
        upcoming: summary
            .upcoming
            .into_iter()
            .map(|(id, title, at)| (id, title, local(at, zone)))
            .collect(),
        chrome,
    };
    render(&page)
}
