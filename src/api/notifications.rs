//! `/notifications`: the history and retries.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiQuery, Page, PathId};
use super::responses::{AttemptResponse, ListResponse, NotificationResponse};
use crate::domain::{Actor, Channel, NotificationStatus};
use crate::repositories::notifications::NotificationFilter;
use crate::services::notifications::{self, Counts};
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
    /// Only notifications in this status.
    #[param(value_type = Option<NotificationStatus>)]
    pub status: Option<String>,
    /// Only notifications on this channel.
    #[param(value_type = Option<Channel>)]
    pub channel: Option<String>,
    /// One client.
    pub client_id: Option<i64>,
    /// One reminder.
    pub reminder_id: Option<i64>,
    /// Occurrences at or after (RFC 3339).
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub from: Option<DateTime<Utc>>,
    /// Occurrences before (RFC 3339).
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub to: Option<DateTime<Utc>>,
    /// `true`: only those not yet marked read in the firm's inbox; `false`: only read ones.
    pub unread: Option<bool>,
    /// 1 to 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// Default 0.
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub offset: Option<u64>,
}

/// The history, newest first.
#[utoipa::path(
    get, path = "/notifications", tag = "notifications", security(("oauth2" = [])), params(NotificationQuery),
    responses((status = 200, body = ListResponse<NotificationResponse>), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
pub(super) async fn list_notifications(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<NotificationQuery>,
) -> ApiResult<Json<ListResponse<NotificationResponse>>> {
    let page = Page::new(query.limit, query.offset)?;
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
    };
    let paged = notifications::list(&state, &actor, &filter, page.limit, page.offset).await?;
    Ok(Json(ListResponse::from_page(
        paged,
        page,
        NotificationResponse::from,
    )))
}

/// One notification with its attempts.
#[utoipa::path(
    get, path = "/notifications/{id}", tag = "notifications", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses((status = 200, body = NotificationResponse), (status = 404, body = Problem, content_type = "application/problem+json"))
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

/// Sends a failed notification again.
#[utoipa::path(
    post, path = "/notifications/{id}/retry", tag = "notifications", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses(
        (status = 200, body = NotificationResponse),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
async fn retry_notification(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<NotificationResponse>> {
    Ok(Json(notifications::retry(&state, &actor, id).await?.into()))
}

/// Sends a sent or failed notification again; its earlier attempts stay in its history.
#[utoipa::path(
    post, path = "/notifications/{id}/resend", tag = "notifications", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses(
        (status = 200, body = NotificationResponse),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
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

/// Marks a notification read in the firm's inbox (`GET /notifications?unread=true` lists the rest).
#[utoipa::path(
    post, path = "/notifications/{id}/mark-read", tag = "notifications", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses((status = 200, body = NotificationResponse), (status = 404, body = Problem, content_type = "application/problem+json"))
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
    /// Occurrences at or after (RFC 3339).
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub from: Option<DateTime<Utc>>,
    /// Occurrences before (RFC 3339).
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub to: Option<DateTime<Utc>>,
}

/// How many notifications per status and channel.
#[utoipa::path(
    get, path = "/notifications/counts", tag = "notifications", security(("oauth2" = [])), params(CountsQuery),
    responses((status = 200, body = Counts), (status = 422, body = Problem, content_type = "application/problem+json"))
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
