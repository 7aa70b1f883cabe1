//! Reminders: the list by status, with pause, resume, cancel and send now.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Redirect};
use serde::Deserialize;

use super::csrf;
use super::error::{PathId, WebError};
use super::layout::{Chrome, local, render};
use super::session::Staff;
use crate::domain::ReminderStatus;
use crate::security::tokens;
use crate::services;
use crate::state::AppState;

/// Reminders per page.
const PAGE_SIZE: u64 = 50;

/// The list's query: one status (`active`, `paused`, `completed`, `cancelled`) or all, and what
/// the last action did.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    status: String,
    notice: String,
}

/// One reminder as listed.
struct Row {
    id: i64,
    title: String,
    kind: String,
    status: ReminderStatus,
    next: String,
    clients: i64,
}

/// The reminders page.
#[derive(Template)]
#[template(path = "reminders.html")]
struct RemindersPage {
    chrome: Chrome,
    status: String,
    statuses: &'static [ReminderStatus],
    /// What the last action did: its name (`sent`, `paused`, …) and its words.
    notice: Option<(String, &'static str)>,
    rows: Vec<Row>,
    total: u64,
    /// A fresh idempotency key for each "send now" form: a double click sends once.
    send_key: String,
}

/// What an action did, shown above the list.
fn notice(name: &str) -> Option<&'static str> {
    match name {
        "paused" => Some("Paused: nothing more is sent until you resume it."),
        "resumed" => Some("Resumed from its next occurrence."),
        "cancelled" => Some("Cancelled for good; its history stays."),
        "sent" => Some("Sent now: the messages are on their way (see Messages)."),
        "created" => Some("Saved: it runs by itself from its first date."),
        "saved" => Some("Changes saved: they apply from its next date."),
        _ => None,
    }
}

/// `GET /reminders`.
pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "reminders").await?;
    let status = query.status.parse::<ReminderStatus>().ok();
    let found = services::reminders::summaries(&state, &staff.actor, status, PAGE_SIZE, 0).await?;
    let zone = chrome.zone();
    let rows = found
        .items
        .into_iter()
        .map(|item| Row {
            id: item.reminder.id,
            title: item.reminder.title,
            kind: item.reminder.kind.to_string(),
            status: item.reminder.status,
            next: item
                .reminder
                .next_run_at
                .map_or_else(|| "–".to_owned(), |at| local(at.into(), zone)),
            clients: item.clients,
        })
        .collect();
    render(&RemindersPage {
        chrome,
        status: status.map(|s| s.to_string()).unwrap_or_default(),
        statuses: ReminderStatus::ALL,
        notice: notice(&query.notice).map(|text| (query.notice.clone(), text)),
        rows,
        total: found.total,
        send_key: tokens::random_token(),
    })
}

/// An action's form: the CSRF token, and for "send now" its idempotency key.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ActionForm {
    csrf: String,
    key: String,
}

/// `POST /reminders/{id}/{action}`: pause, resume, cancel or send now, with the API's rules.
pub(super) async fn act(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    PathId(id): PathId,
    Path((_, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Result<Redirect, WebError> {
    csrf::check_session(&state, &staff.claims, &headers, &form.csrf)?;
    let actor = &staff.actor;
    let done = match action.as_str() {
        "pause" => {
            services::reminders::pause(&state, actor, id).await?;
            "paused"
        }
        "resume" => {
            services::reminders::resume(&state, actor, id).await?;
            "resumed"
        }
        "cancel" => {
            services::reminders::cancel(&state, actor, id).await?;
            "cancelled"
        }
        "send" => {
            let key = Some(form.key.as_str()).filter(|key| !key.is_empty());
            services::reminders::send_now(&state, actor, id, key).await?;
            "sent"
        }
        _ => return Err(WebError::NotFound),
    };
    Ok(Redirect::to(&format!("/reminders?notice={done}")))
}
