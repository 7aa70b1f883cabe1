//! `/reminders`: CRUD, clients, occurrences, pause/resume and sending on demand.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiJson, ApiQuery, Page, PathId, parse_id};
use super::responses::{
    ListResponse, NotificationResponse, OccurrencesResponse, ReminderResponse, SendResponse,
};
use crate::domain::{Actor, ClientId, ReminderStatus};
use crate::services::reminders::{
    self, AssignClientsRequest, CreateReminderRequest, UpdateReminderRequest,
};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_reminders, create_reminder))
        .routes(routes!(get_reminder, update_reminder, cancel_reminder))
        .routes(routes!(assign_clients))
        .routes(routes!(unassign_client))
        .routes(routes!(list_occurrences))
        .routes(routes!(send_reminder))
        .routes(routes!(pause_reminder))
        .routes(routes!(resume_reminder))
}

/// `GET /reminders` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReminderQuery {
    /// Only reminders in this status.
    #[param(value_type = Option<ReminderStatus>)]
    pub status: Option<String>,
    /// 1 to 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// Default 0.
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub offset: Option<u64>,
}

/// Reminders of the caller's business, newest first.
#[utoipa::path(
    get, path = "/reminders", tag = "reminders", security(("oauth2" = [])), params(ReminderQuery),
    responses((status = 200, body = ListResponse<ReminderResponse>), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
pub(super) async fn list_reminders(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<ReminderQuery>,
) -> ApiResult<Json<ListResponse<ReminderResponse>>> {
    let page = Page::new(query.limit, query.offset)?;
    let status = query
        .status
        .map(|status| status.parse::<ReminderStatus>())
        .transpose()
        .map_err(|message| ApiError::invalid("status", message))?;
    let paged = reminders::list(&state, &actor, status, page.limit, page.offset).await?;
    Ok(Json(ListResponse::from_page(
        paged,
        page,
        ReminderResponse::from,
    )))
}

/// Writes a reminder: templates, schedule and clients are checked now.
#[utoipa::path(
    post, path = "/reminders", tag = "reminders", security(("oauth2" = [])),
    request_body = CreateReminderRequest,
    responses((status = 201, body = ReminderResponse), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
pub(super) async fn create_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiJson(request): ApiJson<CreateReminderRequest>,
) -> ApiResult<(StatusCode, Json<ReminderResponse>)> {
    let reminder = reminders::create(&state, &actor, request).await?;
    Ok((StatusCode::CREATED, Json(reminder.into())))
}

/// One reminder.
#[utoipa::path(
    get, path = "/reminders/{id}", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id")),
    responses((status = 200, body = ReminderResponse), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn get_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<ReminderResponse>> {
    Ok(Json(reminders::get(&state, &actor, id).await?.into()))
}

/// Changes a reminder; a new schedule starts from now.
#[utoipa::path(
    patch, path = "/reminders/{id}", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id")),
    request_body = UpdateReminderRequest,
    responses(
        (status = 200, body = ReminderResponse),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(request): ApiJson<UpdateReminderRequest>,
) -> ApiResult<Json<ReminderResponse>> {
    Ok(Json(
        reminders::update(&state, &actor, id, request).await?.into(),
    ))
}

/// Cancels a reminder; its history stays, queued notifications are cancelled.
#[utoipa::path(
    delete, path = "/reminders/{id}", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id")),
    responses((status = 204, description = "Cancelled"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn cancel_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    reminders::cancel(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Assigns clients.
#[utoipa::path(
    post, path = "/reminders/{id}/clients", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id")),
    request_body = AssignClientsRequest,
    responses((status = 200, body = ReminderResponse), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn assign_clients(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(request): ApiJson<AssignClientsRequest>,
) -> ApiResult<Json<ReminderResponse>> {
    Ok(Json(
        reminders::assign(&state, &actor, id, request).await?.into(),
    ))
}

/// Unassigns a client.
#[utoipa::path(
    delete, path = "/reminders/{id}/clients/{client_id}", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id"), ("client_id" = i64, Path, description = "Client id")),
    responses((status = 204, description = "Unassigned"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn unassign_client(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    axum::extract::Path((id, client_id)): axum::extract::Path<(String, String)>,
) -> ApiResult<StatusCode> {
    reminders::unassign(
        &state,
        &actor,
        parse_id(&id)?,
        ClientId(parse_id(&client_id)?),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /reminders/{id}/occurrences` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OccurrenceQuery {
    /// 1 to 100; default 10.
    pub limit: Option<usize>,
}

/// The next occurrences, in the schedule's zone.
#[utoipa::path(
    get, path = "/reminders/{id}/occurrences", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id"), OccurrenceQuery),
    responses((status = 200, body = OccurrencesResponse), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn list_occurrences(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<OccurrenceQuery>,
) -> ApiResult<Json<OccurrencesResponse>> {
    let limit = query.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 100"));
    }
    let (timezone, items) = reminders::occurrences(&state, &actor, id, limit).await?;
    Ok(Json(OccurrencesResponse {
        timezone,
        items: items.into_iter().map(|t| t.to_rfc3339()).collect(),
    }))
}

/// Sends the reminder to its clients now. With an `Idempotency-Key` header a repeated call
/// answers with the first call's notifications and sends nothing.
#[utoipa::path(
    post, path = "/reminders/{id}/send", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a repeated call safe")),
    responses(
        (status = 202, body = SendResponse),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn send_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, Json<SendResponse>)> {
    let key = match headers.get("idempotency-key") {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?
                .trim()
                .to_owned(),
        ),
        None => None,
    };
    let created = reminders::send_now(&state, &actor, id, key.as_deref()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SendResponse {
            notifications: created
                .into_iter()
                .map(NotificationResponse::from)
                .collect(),
        }),
    ))
}

/// Pauses: no more occurrences, queued notifications cancelled.
#[utoipa::path(
    post, path = "/reminders/{id}/pause", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id")),
    responses((status = 200, body = ReminderResponse), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
async fn pause_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<ReminderResponse>> {
    Ok(Json(reminders::pause(&state, &actor, id).await?.into()))
}

/// Resumes from the next occurrence after now.
#[utoipa::path(
    post, path = "/reminders/{id}/resume", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id")),
    responses((status = 200, body = ReminderResponse), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
async fn resume_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<ReminderResponse>> {
    Ok(Json(reminders::resume(&state, &actor, id).await?.into()))
}
