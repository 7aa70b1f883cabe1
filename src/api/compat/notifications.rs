//! Notifications as the original showed them: arrays filtered by its upper-case statuses
//! (`PENDING`, `SENT`, `FAILED`, `CANCELLED`), `notification_type`, dates, with the reminder's
//! title and the client's name; one by id; and `resend`.
//!
//! Ours has more states; each is shown as the original's nearest: `sending` as `PENDING`,
//! `delivered` and `read` as `SENT`, `skipped` as `CANCELLED` (its reason in `error_message`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::super::error::{ApiError, ApiResult};
use super::super::extract::{ApiQuery, PathId};
use super::reminders::instant_of;
use super::{firm_user_id, window};
use crate::domain::{Actor, Channel, NotificationStatus};
use crate::entities::notification;
use crate::repositories::notifications::NotificationFilter;
use crate::services::{clients, notifications, reminders};
use crate::state::AppState;

/// The original's list query.
#[derive(Debug, Deserialize)]
pub(super) struct NotificationListQuery {
    skip: Option<u64>,
    limit: Option<u64>,
    reminder_id: Option<i64>,
    client_id: Option<i64>,
    /// `PENDING`, `SENT`, `FAILED` or `CANCELLED` (case ignored).
    status: Option<String>,
    /// `EMAIL`, `SMS` or `WHATSAPP` (case ignored).
    notification_type: Option<String>,
    /// Occurrences at or after this ISO 8601 date-time.
    start_date: Option<String>,
    /// Occurrences before this ISO 8601 date-time.
    end_date: Option<String>,
}

/// The original's `NotificationDetail`.
#[derive(Debug, Serialize)]
pub(super) struct OriginalNotification {
    id: i64,
    user_id: i64,
    reminder_id: i64,
    client_id: i64,
    notification_type: String,
    /// The text sent (the rendered body).
    message: Option<String>,
    status: &'static str,
    sent_at: Option<DateTime<Utc>>,
    /// Why it failed, or why it was skipped.
    error_message: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
    reminder_title: String,
    client_name: String,
}

/// The original's status of one of ours.
fn original_status(status: NotificationStatus) -> &'static str {
    match status {
        NotificationStatus::Pending | NotificationStatus::Sending => "PENDING",
        NotificationStatus::Sent | NotificationStatus::Delivered | NotificationStatus::Read => {
            "SENT"
        }
        NotificationStatus::Failed => "FAILED",
        NotificationStatus::Skipped | NotificationStatus::Cancelled => "CANCELLED",
    }
}

/// Our statuses one of the original's stands for.
fn our_statuses(name: &str) -> Result<Vec<NotificationStatus>, ApiError> {
    Ok(match name.trim().to_ascii_uppercase().as_str() {
        "PENDING" => vec![NotificationStatus::Pending, NotificationStatus::Sending],
        "SENT" => vec![
            NotificationStatus::Sent,
            NotificationStatus::Delivered,
            NotificationStatus::Read,
        ],
        "FAILED" => vec![NotificationStatus::Failed],
        "CANCELLED" => vec![NotificationStatus::Cancelled, NotificationStatus::Skipped],
        _ => {
            return Err(ApiError::BadRequest(format!(
                "Invalid status value: {name} (PENDING, SENT, FAILED or CANCELLED)"
            )));
        }
    })
}

/// Shows notifications as the original did, with their reminders' titles and clients' names.
async fn shown(
    state: &AppState,
    actor: &Actor,
    rows: Vec<notification::Model>,
) -> ApiResult<Vec<OriginalNotification>> {
    let user_id = firm_user_id(state, actor.business, actor.user.0).await?;
    let client_ids: Vec<i64> = rows.iter().map(|row| row.client_id).collect();
    let names = clients::names(state, actor, &client_ids).await?;
    let reminder_ids: Vec<i64> = rows.iter().map(|row| row.reminder_id).collect();
    let titles = reminders::titles(state, actor, &reminder_ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| OriginalNotification {
            id: row.id,
            user_id,
            reminder_id: row.reminder_id,
            client_id: row.client_id,
            notification_type: row.channel.as_str().to_ascii_uppercase(),
            message: Some(row.body),
            status: original_status(row.status),
            sent_at: row.sent_at.map(|at| *at),
            error_message: row.error_message.or(row.error_code),
            created_at: *row.created_at,
            updated_at: Some(*row.updated_at),
            reminder_title: titles.get(&row.reminder_id).cloned().unwrap_or_default(),
            client_name: names.get(&row.client_id).cloned().unwrap_or_default(),
        })
        .collect())
}

/// `GET /notifications/`: a JSON array, newest occurrence first.
pub(super) async fn list_notifications(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<NotificationListQuery>,
) -> ApiResult<Json<Vec<OriginalNotification>>> {
    let (limit, offset) = window(query.skip, query.limit)?;
    let statuses = query.status.as_deref().map(our_statuses).transpose()?;
    let channel = query
        .notification_type
        .as_deref()
        .map(|name| Channel::parse(&name.trim().to_ascii_lowercase()))
        .transpose()
        .map_err(|_| {
            ApiError::invalid("query.notification_type", "must be EMAIL, SMS or WHATSAPP")
        })?;
    let date = |field: &str, text: &Option<String>| {
        text.as_deref()
            .map(instant_of)
            .transpose()
            .map_err(|message| ApiError::invalid(field, message))
    };
    let filter = NotificationFilter {
        statuses: statuses.unwrap_or_default(),
        channel,
        client_id: query.client_id,
        reminder_id: query.reminder_id,
        from: date("query.start_date", &query.start_date)?,
        to: date("query.end_date", &query.end_date)?,
        ..Default::default()
    };
    let page = notifications::list(
        &state,
        &actor,
        &filter,
        Default::default(),
        limit,
        offset,
        None,
    )
    .await?;
    Ok(Json(shown(&state, &actor, page.items).await?))
}

/// `GET /notifications/{id}`: the original's `NotificationDetail`.
pub(super) async fn read_notification(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<OriginalNotification>> {
    let (row, _) = notifications::get(&state, &actor, id).await?;
    let mut shown = shown(&state, &actor, vec![row]).await?;
    shown.pop().map(Json).ok_or(ApiError::NotFound)
}

/// `POST /notifications/{id}/resend`: as ours, answered with the original's
/// `{status, message, notification_id}`.
pub(super) async fn resend_notification(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<Value>> {
    notifications::resend(&state, &actor, id).await?;
    Ok(Json(json!({
        "status": "success",
        "message": "Notification queued for resending",
        "notification_id": id,
    })))
}
