//! `/notifications`: the history and retries.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiQuery, PathId};
use super::paging::{ListWindow, Listed};
use super::responses::{AttemptResponse, ListResponse, NotificationResponse};
use crate::domain::{Actor, Channel, NotificationStatus};
use crate::repositories::notifications::NotificationFilter;
use crate::services::notifications::{self, Counts, NotificationSortKey};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(get_notification))
        .routes(routes!(retry_notification))
        .routes(routes!(resend_notification))
        .routes(routes!(mark_notification_read))
        .routes(routes!(count_notifications))
}

/// `GET /notifications` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only notifications in this status: `pending`, `sending`, `sent`, `delivered`, `read`,
    /// `failed`, `skipped` or `cancelled`.
    #[param(value_type = Option<NotificationStatus>)]
    pub status: Option<String>,
    /// Only notifications on this channel: `email`, `sms` or `whatsapp`.
    #[param(value_type = Option<Channel>)]
    pub channel: Option<String>,
    /// Only notifications to this client.
    pub client_id: Option<i64>,
    /// Only notifications of this reminder.
    pub reminder_id: Option<i64>,
    /// Only occurrences at or after this instant (RFC 3339, e.g. `2027-01-01T00:00:00Z`).
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub from: Option<DateTime<Utc>>,
    /// Only occurrences before this instant (RFC 3339; exclusive).
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub to: Option<DateTime<Utc>>,
    /// `true`: only those not yet marked read in the firm's inbox; `false`: only read ones;
    /// absent: both.
    pub unread: Option<bool>,
}

/// Lists the business's notifications, newest occurrence first.
///
/// One notification per client, channel and occurrence of a reminder; the filters combine.
/// Attempts are left out here (fetch one by id for them).
#[utoipa::path(
    get, path = "/notifications", tag = "notifications", security(("oauth2" = [])), params(NotificationQuery, ListWindow<NotificationSortKey>),
    responses(
        (status = 200, description = "A page of notifications", body = ListResponse<NotificationResponse>),
        (status = 422, description = "Unknown `status` or `channel`, a bad date-time, `limit` or `offset` out of range, or `after` not a notification of the business or given with `offset`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list_notifications(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<NotificationQuery>,
    window: ListWindow<NotificationSortKey>,
) -> ApiResult<Listed<NotificationResponse>> {
    let status = query
        .status
        .map(|status| status.parse::<NotificationStatus>())
        .transpose()
        .map_err(|message| ApiError::invalid("status", message))?;
    let channel = query
        .channel
        .map(|channel| Channel::parse(&channel))
        .transpose()
        .map_err(|message| ApiError::invalid("channel", message))?;
    let filter = NotificationFilter {
        status,
        channel,
        client_id: query.client_id,
        reminder_id: query.reminder_id,
        from: query.from,
        to: query.to,
        unread: query.unread,
        statuses: Vec::new(),
    };
    let paged = notifications::list(
        &state,
        &actor,
        &filter,
        window.sort,
        window.page.limit,
        window.page.offset,
        window.after,
    )
    .await?;
    Ok(window.answer_by_key(paged, |n| n.id, NotificationResponse::from))
}

/// One notification with its attempts.
#[utoipa::path(
    get, path = "/notifications/{id}", tag = "notifications", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses(
        (status = 200, description = "The notification, with `attempts`", body = NotificationResponse),
        (status = 404, description = "No such notification in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_notification(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<NotificationResponse>> {
    let (row, attempts) = notifications::get(&state, &actor, id).await?;
    let mut response = NotificationResponse::from(row);
    response.attempts = Some(attempts.into_iter().map(AttemptResponse::from).collect());
    Ok(Json(response))
}

/// Retries a failed notification.
///
/// It goes back to the queue as `pending`, due now, with a fresh round of attempts; its
/// earlier attempts stay in its history. Only a `failed` notification can be retried.
#[utoipa::path(
    post, path = "/notifications/{id}/retry", tag = "notifications", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses(
        (status = 200, description = "The notification, `pending` again", body = NotificationResponse),
        (status = 404, description = "No such notification in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The notification is not `failed`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn retry_notification(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<NotificationResponse>> {
    Ok(Json(notifications::retry(&state, &actor, id).await?.into()))
}

/// Sends a notification again.
///
/// For a `sent`, `delivered`, `read` or `failed` notification the client needs once more: it
/// goes back to the queue as `pending`, due now; its earlier attempts stay in its history. A
/// client since deleted, opted out or without the address is refused (409), not queued.
#[utoipa::path(
    post, path = "/notifications/{id}/resend", tag = "notifications", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses(
        (status = 200, description = "The notification, `pending` again", body = NotificationResponse),
        (status = 404, description = "No such notification in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not in a status that can be resent, or the client can no longer get it on this channel", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn resend_notification(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<NotificationResponse>> {
    Ok(Json(
        notifications::resend(&state, &actor, id).await?.into(),
    ))
}

/// Marks a notification read in the firm's inbox.
///
/// Sets `inbox_read_at`, shared by everyone in the business; marking it again keeps the first
/// time.
/// `GET /notifications?unread=true` lists the rest. This is the firm's inbox, not the
/// client's read receipt (status `read`).
#[utoipa::path(
    post, path = "/notifications/{id}/mark-read", tag = "notifications", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses(
        (status = 200, description = "The notification, with `inbox_read_at` set", body = NotificationResponse),
        (status = 404, description = "No such notification in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn mark_notification_read(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<NotificationResponse>> {
    Ok(Json(
        notifications::mark_read(&state, &actor, id).await?.into(),
    ))
}

/// `GET /notifications/counts` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountsQuery {
    /// Count occurrences at or after this instant (RFC 3339); default: no lower bound.
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub from: Option<DateTime<Utc>>,
    /// Count occurrences before this instant (RFC 3339; exclusive); default: no upper bound.
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub to: Option<DateTime<Utc>>,
}

/// Counts notifications per status and channel.
///
/// Notifications whose occurrence falls in `[from, to)`; all of them by default.
#[utoipa::path(
    get, path = "/notifications/counts", tag = "notifications", security(("oauth2" = [])), params(CountsQuery),
    responses(
        (status = 200, description = "The counts", body = Counts),
        (status = 422, description = "`from` or `to` is not an RFC 3339 date-time between 1970 and 9999", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn count_notifications(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<CountsQuery>,
) -> ApiResult<Json<Counts>> {
    Ok(Json(
        notifications::counts(&state, &actor, query.from, query.to).await?,
    ))
}
