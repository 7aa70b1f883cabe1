//! Messages: the notification history, newest first, filtered by status and channel.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use chrono_tz::Tz;
use serde::Deserialize;

use super::error::WebError;
use super::layout::{Chrome, render};
use super::session::Staff;
use crate::domain::{Channel, NotificationStatus};
use crate::repositories::notifications::NotificationFilter;
use crate::services;
use crate::state::AppState;

/// Messages per page.
const PAGE_SIZE: u64 = 50;

/// The history's filters; an unknown value is no filter.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    status: String,
    channel: String,
    page: u64,
}

/// One message as listed.
struct Row {
    at: String,
    channel: Channel,
    recipient: String,
    subject: String,
    status: NotificationStatus,
    why: String,
    attempts: i32,
}

/// The messages page.
#[derive(Template)]
#[template(path = "messages.html")]
struct MessagesPage {
    chrome: Chrome,
    status: String,
    channel: String,
    statuses: &'static [NotificationStatus],
    channels: [Channel; 3],
    rows: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
}

impl MessagesPage {
    /// The link to another page with the same filters.
    fn page_link(&self, page: u64) -> String {
        format!(
            "/messages?status={}&channel={}&page={page}",
            self.status, self.channel
        )
    }
}

/// `GET /messages`.
pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "messages").await?;
    let status = query.status.parse::<NotificationStatus>().ok();
    let channel = Channel::parse(&query.channel).ok();
    let filter = NotificationFilter {
        status,
        channel,
        ..NotificationFilter::default()
    };
    let page = query.page.max(1);
    let found = services::notifications::list(
        &state,
        &staff.actor,
        &filter,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let zone: Tz = chrome.timezone.parse().unwrap_or(chrono_tz::UTC);
    let rows = found
        .items
        .into_iter()
        .map(|row| Row {
            at: row
                .occurrence_at
                .with_timezone(&zone)
                .format("%-d %b %Y, %H:%M")
                .to_string(),
            channel: row.channel,
            recipient: row.recipient.unwrap_or_default(),
            subject: row
                .subject
                .unwrap_or_else(|| row.body.chars().take(80).collect()),
            status: row.status,
            why: row.error_code.unwrap_or_default(),
            attempts: row.attempt_count,
        })
        .collect();
    render(&MessagesPage {
        chrome,
        status: status.map(|s| s.to_string()).unwrap_or_default(),
        channel: channel.map(|c| c.to_string()).unwrap_or_default(),
        statuses: NotificationStatus::ALL,
        channels: Channel::ALL,
        rows,
        total: found.total,
        page,
        pages: found.total.div_ceil(PAGE_SIZE).max(1),
    })
}
