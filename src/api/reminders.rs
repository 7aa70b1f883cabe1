//! `/reminders`: CRUD, clients, occurrences, previews (in `preview`), pause/resume and sending
//! on demand.

mod preview;

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiJson, ApiQuery, Page, PathId, parse_id};
use super::paging::{ListWindow, Listed};
use super::responses::{
    ListResponse, NotificationResponse, OccurrencesResponse, ReminderResponse, SendResponse,
};
use crate::domain::{Actor, ClientId, ReminderStatus};
use crate::services::reminders::{
    self, AssignClientsRequest, CreateReminderRequest, ReminderSortKey, UpdateReminderRequest,
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
        // A fixed segment outranks `{id}`: `/reminders/preview` never reads as a reminder's id.
        .routes(routes!(preview::preview_draft))
        .routes(routes!(preview::preview_saved))
        .routes(routes!(send_reminder))
        .routes(routes!(pause_reminder))
        .routes(routes!(resume_reminder))
}

/// `GET /reminders` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReminderQuery {
    /// Only reminders in this status: `active`, `paused`, `completed` or `cancelled`.
    #[param(value_type = Option<ReminderStatus>)]
    pub status: Option<String>,
}

/// Lists the reminders of the caller's business, newest first.
#[utoipa::path(
    get, path = "/reminders", tag = "reminders", security(("oauth2" = [])), params(ReminderQuery, ListWindow<ReminderSortKey>),
    responses(
        (status = 200, description = "A page of reminders", body = ListResponse<ReminderResponse>),
        (status = 422, description = "Unknown `status`, or `limit` or `offset` out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list_reminders(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<ReminderQuery>,
    window: ListWindow<ReminderSortKey>,
) -> ApiResult<Listed<ReminderResponse>> {
    let status = query
        .status
        .map(|status| status.parse::<ReminderStatus>())
        .transpose()
        .map_err(|message| ApiError::invalid("status", message))?;
    let paged = reminders::list(
        &state,
        &actor,
        status,
        window.sort,
        window.page.limit,
        window.page.offset,
    )
    .await?;
    Ok(window.answer(paged, ReminderResponse::from))
}

/// Creates a reminder and assigns its clients.
///
/// Everything is checked now, so a reminder that could never be sent is refused rather than
/// failing later: templates must render with a sample client, the schedule needs a future
/// occurrence and occurrences at least `MIN_OCCURRENCE_INTERVAL_SECONDS` (default 3600)
/// apart, clients, documents and sender identities must be the business's, and in production
/// each channel (and Stripe, for a payment) needs a provider account. A 422 lists the errors.
#[utoipa::path(
    post, path = "/reminders", tag = "reminders", security(("oauth2" = [])),
    request_body = CreateReminderRequest,
    responses(
        (status = 201, description = "Created, `active`, with its first occurrence in `next_run_at`", body = ReminderResponse),
        (status = 422, description = "Invalid field; `errors` names each", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn create_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiJson(request): ApiJson<CreateReminderRequest>,
) -> ApiResult<(StatusCode, Json<ReminderResponse>)> {
    let reminder = reminders::create(&state, &actor, request).await?;
    Ok((StatusCode::CREATED, Json(reminder.into())))
}

/// One reminder, with its clients and documents.
#[utoipa::path(
    get, path = "/reminders/{id}", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id")),
    responses(
        (status = 200, description = "The reminder", body = ReminderResponse),
        (status = 404, description = "No such reminder in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<ReminderResponse>> {
    Ok(Json(reminders::get(&state, &actor, id).await?.into()))
}

/// Changes a reminder.
///
/// Absent fields stay as they are; `null` clears an optional one. A new schedule starts from
/// now (occurrences already past are not sent) and brings a `completed` reminder back to
/// `active`. A new payment amount applies to payments not yet made. Checks as on create.
#[utoipa::path(
    patch, path = "/reminders/{id}", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id")),
    request_body = UpdateReminderRequest,
    responses(
        (status = 200, description = "The reminder as changed", body = ReminderResponse),
        (status = 404, description = "No such reminder in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The reminder is cancelled and can no longer change", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field; `errors` names each", body = Problem, content_type = "application/problem+json"),
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

/// Cancels a reminder for good.
///
/// Nothing more is planned or sent: its pending notifications become `cancelled`
/// (`reminder_cancelled`); its history and payments stay. Cancelling a cancelled reminder
/// again changes nothing. Audited (`reminder.cancelled`).
#[utoipa::path(
    delete, path = "/reminders/{id}", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id")),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 404, description = "No such reminder in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn cancel_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    reminders::cancel(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Assigns clients to a reminder, optionally each with their own document.
///
/// Clients already assigned stay (assigning again is harmless); a reminder asking for payment
/// gets a payment for each new client. A cancelled reminder is a 409.
#[utoipa::path(
    post, path = "/reminders/{id}/clients", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id")),
    request_body = AssignClientsRequest,
    responses(
        (status = 200, description = "The reminder with its clients", body = ReminderResponse),
        (status = 404, description = "No such reminder in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No client named, a client or document not the business's, or another client's document", body = Problem, content_type = "application/problem+json"),
    )
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

/// Takes a client off a reminder; they get none of its later occurrences.
#[utoipa::path(
    delete, path = "/reminders/{id}/clients/{client_id}", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id"), ("client_id" = i64, Path, description = "Client id")),
    responses(
        (status = 204, description = "Unassigned"),
        (status = 404, description = "No such reminder, or the client is not assigned to it", body = Problem, content_type = "application/problem+json"),
    )
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

/// Occurrences listed when `limit` is not given.
const OCCURRENCES_SHOWN: u64 = 10;

/// `GET /reminders/{id}/occurrences` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OccurrenceQuery {
    /// How many occurrences: 1 to 200 (the limit of every list); default 10.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// Previews a reminder's next occurrences, in the schedule's zone.
///
/// Starts from the next one due; none for a completed or cancelled reminder. Nothing is sent.
#[utoipa::path(
    get, path = "/reminders/{id}/occurrences", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id"), OccurrenceQuery),
    responses(
        (status = 200, description = "The next occurrences", body = OccurrencesResponse),
        (status = 404, description = "No such reminder in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_occurrences(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<OccurrenceQuery>,
) -> ApiResult<Json<OccurrencesResponse>> {
    let page = Page::new(Some(query.limit.unwrap_or(OCCURRENCES_SHOWN)), None)?;
    let (timezone, items) = reminders::occurrences(&state, &actor, id, page.limit as usize).await?;
    Ok(Json(OccurrencesResponse {
        timezone,
        items: items.into_iter().map(|t| t.to_rfc3339()).collect(),
    }))
}

/// Sends a reminder to its clients now.
///
/// Makes one notification per client and channel for an occurrence at this moment (trigger
/// `manual`) and queues them; the schedule is unchanged. With an `Idempotency-Key` header a
/// repeated call answers with the first call's notifications and sends nothing. Works on
/// active, paused and completed reminders. Audited (`reminder.sent_manually`).
#[utoipa::path(
    post, path = "/reminders/{id}/send", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id"), ("Idempotency-Key" = Option<String>, Header, description = "1 to 191 visible ASCII characters; a repeated call with the same key answers with the first call's notifications and sends nothing")),
    responses(
        (status = 202, description = "Queued: the notifications made (or those of the first call with this key)", body = SendResponse),
        (status = 404, description = "No such reminder in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The reminder is cancelled, or a call with this key is still in progress", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The reminder has no clients, or the key is empty, too long or not ASCII", body = Problem, content_type = "application/problem+json"),
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

/// Pauses a reminder.
///
/// Nothing is planned or sent until it is resumed; its pending notifications become
/// `cancelled` (`paused`). Pausing a paused reminder changes nothing.
#[utoipa::path(
    post, path = "/reminders/{id}/pause", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id")),
    responses(
        (status = 200, description = "The reminder, `paused`", body = ReminderResponse),
        (status = 404, description = "No such reminder in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Only an active reminder can be paused", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn pause_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<ReminderResponse>> {
    Ok(Json(reminders::pause(&state, &actor, id).await?.into()))
}

/// Resumes a paused reminder.
///
/// It goes on from its next occurrence after now; those that fell while it was paused are
/// not sent, and with none left it becomes `completed`. Resuming an active reminder changes
/// nothing.
#[utoipa::path(
    post, path = "/reminders/{id}/resume", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id")),
    responses(
        (status = 200, description = "The reminder, `active` (or `completed`)", body = ReminderResponse),
        (status = 404, description = "No such reminder in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Only a paused reminder can be resumed", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn resume_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<ReminderResponse>> {
    Ok(Json(reminders::resume(&state, &actor, id).await?.into()))
}
