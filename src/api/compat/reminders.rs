//! Reminders as the original took and showed them: one `notification_type`, a `reminder_type`,
//! a `reminder_date` with `is_recurring` and `recurrence_pattern`, `is_active`, `client_ids`;
//! `PUT` updates, `DELETE`, and `send-now` with its answer.
//!
//! Translated onto ours: the date becomes a `once` schedule (or the start of a `recurring` one,
//! whose rule the pattern gives) in the business's time zone; `description` is the body, kept
//! literally (text with template marks is wrapped in `{% raw %}`); `is_active: false` pauses.
//! A cancelled reminder (the original's delete) stays listed, inactive.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::super::error::{ApiError, ApiResult};
use super::super::extract::{ApiJson, ApiQuery, PathId};
use super::{deleted, firm_user_id, renamed, window};
use crate::domain::schedule::{OnceSchedule, RecurringSchedule, ScheduleSpec, resolve_local};
use crate::domain::{Actor, Channel, ClientId, NotificationStatus, ReminderKind, ReminderStatus};
use crate::domain::{FieldError, Validation};
use crate::repositories::notifications::NotificationFilter;
use crate::services::reminders::{
    self as service, AssignClientsRequest, CreateReminderRequest, ReminderWithClients,
    UpdateReminderRequest,
};
use crate::services::{business, double_option, notifications};
use crate::state::AppState;

/// Our field names and the original's.
const FIELDS: &[(&str, &str)] = &[
    ("title", "title"),
    ("body", "description"),
    ("kind", "reminder_type"),
    ("channels", "notification_type"),
    ("schedule", "reminder_date"),
    ("schedule.at", "reminder_date"),
    ("schedule.start", "reminder_date"),
    ("schedule.rrule", "recurrence_pattern"),
    ("sender_identity_ids", "sender_identity_id"),
    ("client_ids", "client_ids"),
];

/// The original's `ReminderCreate`.
#[derive(Debug, Deserialize)]
pub(super) struct ReminderCreate {
    title: String,
    description: Option<String>,
    reminder_type: String,
    notification_type: String,
    reminder_date: String,
    #[serde(default)]
    is_recurring: bool,
    recurrence_pattern: Option<String>,
    #[serde(default = "active")]
    is_active: bool,
    email_configuration_id: Option<i64>,
    sender_identity_id: Option<i64>,
    client_ids: Vec<i64>,
}

fn active() -> bool {
    true
}

/// The original's `ReminderUpdate`: absent fields stay.
#[derive(Debug, Deserialize)]
pub(super) struct ReminderUpdate {
    title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    description: Option<Option<String>>,
    reminder_type: Option<String>,
    notification_type: Option<String>,
    reminder_date: Option<String>,
    is_recurring: Option<bool>,
    recurrence_pattern: Option<String>,
    is_active: Option<bool>,
    email_configuration_id: Option<i64>,
    client_ids: Option<Vec<i64>>,
}

/// The original's `ReminderSchema`.
#[derive(Debug, Serialize)]
pub(super) struct OriginalReminder {
    id: i64,
    user_id: i64,
    title: String,
    description: Option<String>,
    /// `PAYMENT`, `DEADLINE` or `NOTIFICATION` (ours other than payment and deadline).
    reminder_type: &'static str,
    /// `EMAIL`, `SMS` or `WHATSAPP`: the reminder's first channel.
    notification_type: String,
    /// The schedule's first occurrence (a `before_due` one's due time), UTC.
    reminder_date: Option<DateTime<Utc>>,
    is_recurring: bool,
    /// The RRULE the pattern became (`WEEKLY_MON` is `FREQ=WEEKLY;BYDAY=MO`).
    recurrence_pattern: Option<String>,
    /// `true` while `active`; paused, completed and cancelled ones are `false`.
    is_active: bool,
    /// Always `null`: provider accounts are the business's here.
    email_configuration_id: Option<i64>,
    sender_identity_id: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
}

/// The original's `ReminderDetail`.
#[derive(Debug, Serialize)]
pub(super) struct ReminderDetail {
    #[serde(flatten)]
    reminder: OriginalReminder,
    /// Ids of its clients.
    clients: Vec<i64>,
    notifications_count: u64,
    /// Sent, delivered or read.
    sent_count: u64,
    failed_count: u64,
}

/// The original's list query.
#[derive(Debug, Deserialize)]
pub(super) struct ReminderListQuery {
    skip: Option<u64>,
    limit: Option<u64>,
    #[serde(default)]
    active_only: bool,
    sender_identity_id: Option<i64>,
}

/// Our body of a reminder: the description kept literally.
fn body_of(description: Option<&str>, title: &str) -> String {
    let text = description
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .unwrap_or(title);
    if ["{{", "{%", "{#"].iter().any(|mark| text.contains(mark)) {
        format!("{{% raw %}}{text}{{% endraw %}}")
    } else {
        text.to_owned()
    }
}

/// The description a body shows: a literal body unwrapped.
fn description_of(body: &str) -> String {
    body.strip_prefix("{% raw %}")
        .and_then(|inner| inner.strip_suffix("{% endraw %}"))
        .unwrap_or(body)
        .to_owned()
}

fn kind_of(name: &str) -> Result<&'static str, String> {
    match name.trim().to_ascii_uppercase().as_str() {
        "PAYMENT" => Ok("payment"),
        "DEADLINE" => Ok("deadline"),
        "NOTIFICATION" => Ok("custom"),
        _ => Err("must be PAYMENT, DEADLINE or NOTIFICATION".into()),
    }
}

fn original_kind(kind: ReminderKind) -> &'static str {
    match kind {
        ReminderKind::Payment => "PAYMENT",
        ReminderKind::Deadline => "DEADLINE",
        _ => "NOTIFICATION",
    }
}

fn channel_of(name: &str) -> Result<String, String> {
    Channel::parse(&name.trim().to_ascii_lowercase())
        .map(|channel| channel.as_str().to_owned())
        .map_err(|_| "must be EMAIL, SMS or WHATSAPP".into())
}

/// An ISO 8601 date-time as Pydantic read it: with an offset, or naive (taken as UTC).
pub(super) fn instant_of(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|instant| instant.with_timezone(&Utc))
        .or_else(|_| {
            [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M:%S%.f",
            ]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .map(|naive| naive.and_utc())
            .ok_or(())
        })
        .map_err(|()| format!("{text:?} is not an ISO 8601 date-time, e.g. 2027-03-27T15:00:00Z"))
}

/// The schedule the original's date and recurrence make, in `zone`.
fn schedule_of(
    instant: DateTime<Utc>,
    recurring: bool,
    pattern: Option<&str>,
    zone: &str,
    validation: &mut Validation,
) -> Option<ScheduleSpec> {
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    let local = instant
        .with_timezone(&tz)
        .naive_local()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let pattern = pattern.map(str::trim).filter(|text| !text.is_empty());
    let timezone = Some(zone.to_owned());
    match (recurring, pattern) {
        (false, None) => Some(ScheduleSpec::Once(OnceSchedule {
            at: local,
            timezone,
        })),
        (true, Some(rule)) => Some(ScheduleSpec::Recurring(RecurringSchedule {
            rrule: rule.to_owned(),
            start: local,
            timezone,
        })),
        (true, None) => {
            validation.push(
                "recurrence_pattern",
                "Recurring reminders must have a recurrence pattern",
            );
            None
        }
        (false, Some(_)) => {
            validation.push(
                "recurrence_pattern",
                "is only kept for a recurring reminder: set is_recurring to true, or leave it out",
            );
            None
        }
    }
}

/// The original's date and recurrence of a stored schedule.
fn date_and_rule(spec: &ScheduleSpec, zone: &str) -> (Option<DateTime<Utc>>, Option<String>) {
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    let at = |local: &str| {
        NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S")
            .ok()
            .map(|naive| resolve_local(tz, naive))
    };
    match spec {
        ScheduleSpec::Once(once) => (at(&once.at), None),
        ScheduleSpec::Recurring(rule) => (at(&rule.start), Some(rule.rrule.clone())),
        ScheduleSpec::BeforeDue(due) => (at(&due.due), None),
    }
}

fn refuse_email_configuration(validation: &mut Validation, id: Option<i64>) {
    if id.is_some() {
        validation.push(
            "email_configuration_id",
            "is not kept here: a business's provider accounts are set with PATCH /business \
             (providers); leave it out",
        );
    }
}

impl OriginalReminder {
    fn of(found: &ReminderWithClients, user_id: i64) -> Self {
        let row = &found.reminder;
        let (reminder_date, rule) = date_and_rule(&row.schedule, &row.timezone);
        Self {
            id: row.id,
            user_id,
            title: row.title.clone(),
            description: Some(description_of(&row.body)),
            reminder_type: original_kind(row.kind),
            notification_type: row
                .channels
                .to_vec()
                .first()
                .map_or("EMAIL".into(), |channel| {
                    channel.as_str().to_ascii_uppercase()
                }),
            reminder_date,
            is_recurring: rule.is_some(),
            recurrence_pattern: rule,
            is_active: row.status == ReminderStatus::Active,
            email_configuration_id: None,
            sender_identity_id: row
                .sender_identity_ids
                .as_ref()
                .and_then(|senders| senders.0.values().next().copied()),
            created_at: *row.created_at,
            updated_at: Some(*row.updated_at),
        }
    }
}

/// Notifications of a reminder in any of `statuses` (all when empty).
async fn count(
    state: &AppState,
    actor: &Actor,
    reminder: i64,
    statuses: Vec<NotificationStatus>,
) -> ApiResult<u64> {
    let filter = NotificationFilter {
        reminder_id: Some(reminder),
        statuses,
        ..Default::default()
    };
    Ok(
        notifications::list(state, actor, &filter, Default::default(), 1, 0, None)
            .await?
            .total,
    )
}

async fn detail(
    state: &AppState,
    actor: &Actor,
    found: ReminderWithClients,
) -> ApiResult<ReminderDetail> {
    let id = found.reminder.id;
    let user_id = firm_user_id(state, actor.business, actor.user.0).await?;
    Ok(ReminderDetail {
        reminder: OriginalReminder::of(&found, user_id),
        notifications_count: count(state, actor, id, Vec::new()).await?,
        sent_count: count(
            state,
            actor,
            id,
            vec![
                NotificationStatus::Sent,
                NotificationStatus::Delivered,
                NotificationStatus::Read,
            ],
        )
        .await?,
        failed_count: count(state, actor, id, vec![NotificationStatus::Failed]).await?,
        clients: found.client_ids,
    })
}

/// Pauses or resumes a reminder as `is_active` asks.
async fn set_active(
    state: &AppState,
    actor: &Actor,
    found: ReminderWithClients,
    active: Option<bool>,
) -> ApiResult<ReminderWithClients> {
    let id = found.reminder.id;
    Ok(match (active, found.reminder.status) {
        (Some(false), ReminderStatus::Active) => service::pause(state, actor, id).await?,
        (Some(true), ReminderStatus::Paused) => service::resume(state, actor, id).await?,
        _ => found,
    })
}

/// `GET /reminders/`: a JSON array of the business's reminders, newest first.
pub(super) async fn list_reminders(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<ReminderListQuery>,
) -> ApiResult<Json<Vec<OriginalReminder>>> {
    let (limit, offset) = window(query.skip, query.limit)?;
    let status = query.active_only.then_some(ReminderStatus::Active);
    let user_id = firm_user_id(&state, actor.business, actor.user.0).await?;
    let page = match query.sender_identity_id {
        None => {
            service::list(&state, &actor, status, Default::default(), limit, offset)
                .await?
                .items
        }
        // Not a column of its own: read the list through, keeping those that name it.
        Some(identity) => {
            let mut kept = Vec::new();
            let mut read = 0;
            loop {
                let page =
                    service::list(&state, &actor, status, Default::default(), 200, read).await?;
                let fetched = page.items.len() as u64;
                kept.extend(page.items.into_iter().filter(|found| {
                    found
                        .reminder
                        .sender_identity_ids
                        .as_ref()
                        .is_some_and(|senders| senders.0.values().any(|id| *id == identity))
                }));
                read += fetched;
                if fetched < 200 || kept.len() as u64 >= offset + limit {
                    break;
                }
            }
            kept.into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .collect()
        }
    };
    Ok(Json(
        page.iter()
            .map(|found| OriginalReminder::of(found, user_id))
            .collect(),
    ))
}

/// `POST /reminders/`: 201 with the original's `ReminderDetail`.
pub(super) async fn create_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiJson(body): ApiJson<ReminderCreate>,
) -> ApiResult<(StatusCode, Json<ReminderDetail>)> {
    let zone = business::get(&state, &actor).await?.timezone;
    let mut validation = Validation::new();
    refuse_email_configuration(&mut validation, body.email_configuration_id);
    let kind = validation.check("reminder_type", kind_of(&body.reminder_type));
    let channel = validation.check("notification_type", channel_of(&body.notification_type));
    let instant = validation.check("reminder_date", instant_of(&body.reminder_date));
    let schedule = instant.and_then(|instant| {
        schedule_of(
            instant,
            body.is_recurring,
            body.recurrence_pattern.as_deref(),
            &zone,
            &mut validation,
        )
    });
    validation.finish().map_err(ApiError::Validation)?;
    let (Some(kind), Some(channel), Some(schedule)) = (kind, channel, schedule) else {
        return Err(ApiError::invalid("body", "invalid reminder"));
    };
    let request = CreateReminderRequest {
        body: body_of(body.description.as_deref(), &body.title),
        title: body.title,
        kind: Some(kind.to_owned()),
        channels: Some(vec![channel]),
        subject: None,
        whatsapp_template: None,
        schedule,
        payment: None,
        sender_identity_ids: body.sender_identity_id.map(|id| vec![id]),
        document_ids: None,
        attach_documents: None,
        client_ids: body.client_ids,
    };
    let created = service::create(&state, &actor, request)
        .await
        .map_err(|error| renamed(error, FIELDS))?;
    let created = set_active(&state, &actor, created, Some(body.is_active)).await?;
    Ok((
        StatusCode::CREATED,
        Json(detail(&state, &actor, created).await?),
    ))
}

/// `GET /reminders/{id}`: the original's `ReminderDetail`.
pub(super) async fn read_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<ReminderDetail>> {
    let found = service::get(&state, &actor, id).await?;
    Ok(Json(detail(&state, &actor, found).await?))
}

/// Our changes for the original's update of `current`.
fn changes(
    body: &ReminderUpdate,
    current: &ReminderWithClients,
) -> Result<UpdateReminderRequest, Vec<FieldError>> {
    let row = &current.reminder;
    let mut validation = Validation::new();
    refuse_email_configuration(&mut validation, body.email_configuration_id);
    let kind = body
        .reminder_type
        .as_deref()
        .and_then(|name| validation.check("reminder_type", kind_of(name)));
    let channel = body
        .notification_type
        .as_deref()
        .and_then(|name| validation.check("notification_type", channel_of(name)));
    let timing_changes = body.reminder_date.is_some()
        || body.is_recurring.is_some()
        || body.recurrence_pattern.is_some();
    let schedule = if timing_changes {
        let (date, rule) = date_and_rule(&row.schedule, &row.timezone);
        let instant = match &body.reminder_date {
            Some(text) => validation.check("reminder_date", instant_of(text)),
            None => date,
        };
        let recurring = body.is_recurring.unwrap_or(rule.is_some());
        let pattern = match &body.recurrence_pattern {
            Some(pattern) => Some(pattern.clone()),
            None => rule.filter(|_| recurring),
        };
        instant.and_then(|instant| {
            schedule_of(
                instant,
                recurring,
                pattern.as_deref(),
                &row.timezone,
                &mut validation,
            )
        })
    } else {
        None
    };
    validation.finish()?;
    let title = body.title.clone().unwrap_or_else(|| row.title.clone());
    Ok(UpdateReminderRequest {
        title: body.title.clone(),
        kind: kind.map(str::to_owned),
        channels: channel.map(|channel| vec![channel]),
        body: body
            .description
            .as_ref()
            .map(|text| body_of(text.as_deref(), &title)),
        schedule,
        ..Default::default()
    })
}

/// `PUT /reminders/{id}`: absent fields stay; `client_ids` replaces the clients; the original's
/// `ReminderDetail`.
pub(super) async fn update_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(body): ApiJson<ReminderUpdate>,
) -> ApiResult<Json<ReminderDetail>> {
    let current = service::get(&state, &actor, id).await?;
    let request = changes(&body, &current).map_err(ApiError::Validation)?;
    let mut found = service::update(&state, &actor, id, request)
        .await
        .map_err(|error| renamed(error, FIELDS))?;
    if let Some(wanted) = &body.client_ids {
        let wanted: BTreeSet<i64> = wanted.iter().copied().collect();
        let added: Vec<i64> = wanted
            .iter()
            .copied()
            .filter(|client| !found.client_ids.contains(client))
            .collect();
        if !added.is_empty() {
            let request = AssignClientsRequest {
                client_ids: added,
                clients: Vec::new(),
            };
            found = service::assign(&state, &actor, id, request)
                .await
                .map_err(|error| renamed(error, FIELDS))?;
        }
        for client in found.client_ids.clone() {
            if !wanted.contains(&client) {
                service::unassign(&state, &actor, id, ClientId(client)).await?;
            }
        }
        found = service::get(&state, &actor, id).await?;
    }
    let found = set_active(&state, &actor, found, body.is_active).await?;
    Ok(Json(detail(&state, &actor, found).await?))
}

/// `DELETE /reminders/{id}`: cancels it (its history stays); 200 with the original's `detail`.
pub(super) async fn delete_reminder(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<Value>> {
    service::cancel(&state, &actor, id).await?;
    Ok(deleted("Reminder"))
}

/// `POST /reminders/{id}/send-now`: as ours (`POST /reminders/{id}/send`), answered 200 with the
/// original's `{status, message, reminder_id, notification_count}`.
pub(super) async fn send_now(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<Value>> {
    let created = service::send_now(&state, &actor, id, None).await?;
    Ok(Json(json!({
        "status": "success",
        "message": format!(
            "Reminder queued for immediate sending to {} recipients",
            created.len()
        ),
        "reminder_id": id,
        "notification_count": created.len(),
    })))
}
