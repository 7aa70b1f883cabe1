//! Messages: the notification history, newest first, filtered by status and channel.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Redirect};
use serde::Deserialize;

use super::csrf;
use super::error::{PathId, WebError};
use super::layout::{Chrome, local, render};
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
    id: i64,
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
        Default::default(),
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
        None,
    )
    .await?;
    let zone = chrome.zone();
    let rows = found
        .items
        .into_iter()
        .map(|row| Row {
            id: row.id,
            at: local(row.occurrence_at.into(), zone),
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

/// One message with every try at sending it and what the provider answered.
#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    chrome: Chrome,
    message: crate::entities::notification::Model,
    at: String,
    /// (when, outcome, code, what was said, provider's id), oldest first.
    attempts: Vec<(String, String, String, String, String)>,
    can_resend: bool,
}

/// `GET /messages/{id}`.
pub(super) async fn show(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    PathId(id): PathId,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "messages").await?;
    let (message, attempts) = services::notifications::get(&state, &staff.actor, id).await?;
    let zone = chrome.zone();
    let when = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&zone)
            .format("%-d %b %Y, %H:%M:%S")
            .to_string()
    };
    let attempts = attempts
        .into_iter()
        .map(|attempt| {
            (
                when(*attempt.attempted_at),
                attempt.outcome.to_string(),
                attempt.error_code.unwrap_or_default(),
                attempt.error_message.unwrap_or_default(),
                attempt.provider_message_id.unwrap_or_default(),
            )
        })
        .collect();
    render(&MessagePage {
        at: when(*message.occurrence_at),
        can_resend: matches!(
            message.status,
            NotificationStatus::Failed
                | NotificationStatus::Sent
                | NotificationStatus::Delivered
                | NotificationStatus::Read
        ),
        chrome,
        message,
        attempts,
    })
}

/// The resend form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ResendForm {
    csrf: String,
}

/// `POST /messages/{id}/resend`: back to the queue with the API's rules (a client who has
/// opted out since is refused with the reason).
pub(super) async fn resend(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    PathId(id): PathId,
    Form(form): Form<ResendForm>,
) -> Result<Redirect, WebError> {
    csrf::check_session(&state, &staff.claims, &headers, &form.csrf)?;
    services::notifications::resend(&state, &staff.actor, id).await?;
    Ok(Redirect::to(&format!("/messages/{id}")))
}
