//! Payments: what each client owes or paid, by status, with their payment links.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;

use super::error::WebError;
use super::layout::{Chrome, local, render};
use super::session::Staff;
use crate::domain::{Money, PaymentStatus};
use crate::repositories::payments::PaymentFilter;
use crate::services;
use crate::state::AppState;

/// Payments per page.
const PAGE_SIZE: u64 = 50;

/// The list's filter: one status, or all.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    status: String,
}

/// One payment as listed.
struct Row {
    client_id: i64,
    amount: String,
    status: PaymentStatus,
    paid: String,
    url: String,
}

/// The payments page.
#[derive(Template)]
#[template(path = "payments.html")]
struct PaymentsPage {
    chrome: Chrome,
    status: String,
    statuses: &'static [PaymentStatus],
    rows: Vec<Row>,
    total: u64,
}

/// `GET /payments`.
pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "payments").await?;
    let status = query.status.parse::<PaymentStatus>().ok();
    let filter = PaymentFilter {
        status,
        ..PaymentFilter::default()
    };
    let found = services::payments::list(
        &state,
        &staff.actor,
        &filter,
        Default::default(),
        PAGE_SIZE,
        0,
    )
    .await?;
    let zone = chrome.zone();
    let rows = found
        .items
        .into_iter()
        .map(|item| Row {
            client_id: item.payment.client_id,
            amount: Money::new(item.payment.amount, &item.payment.currency)
                .map(|money| money.to_string())
                .unwrap_or_default(),
            status: item.payment.status,
            paid: item
                .payment
                .paid_at
                .map_or_else(String::new, |at| local(at.into(), zone)),
            url: item.url,
        })
        .collect();
    render(&PaymentsPage {
        chrome,
        status: status.map(|s| s.to_string()).unwrap_or_default(),
        statuses: PaymentStatus::ALL,
        rows,
        total: found.total,
    })
}
