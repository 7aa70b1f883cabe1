//! Settings: owners and admins only, as in the API — the business (name, time zone, sender,
//! country, quiet hours, default channels), its staff (add, role, disable), this month's usage
//! against its caps, and the latest audited actions.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::csrf;
use super::error::{PathId, WebError};
use super::form::Fields;
use super::layout::{Chrome, error_for, render};
use super::session::Staff;
use crate::domain::quiet_hours::QuietHoursSpec;
use crate::domain::{Channel, FieldError, Role, UserId};
use crate::entities::{business, user};
use crate::services::business::UpdateBusinessRequest;
use crate::services::users::{CreateUserRequest, UpdateUserRequest};
use crate::services::{self, ServiceError};
use crate::state::AppState;

/// Audited actions shown, newest first.
const AUDIT_SHOWN: u64 = 20;

/// The settings page, with the errors of the form last sent and what it held.
#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    business: business::Model,
    staff: Vec<user::Model>,
    channels: [Channel; 3],
    roles: [Role; 3],
    errors: Vec<FieldError>,
    /// The add-a-person form as typed, after an error.
    newcomer: (String, String, String),
    notice: Option<&'static str>,
    /// This month's sends per channel: (channel, messages, parts, cap).
    usage: Vec<(String, i64, i64, String)>,
    /// The latest audited actions: (when, who, action, target).
    audit: Vec<(String, String, String, String)>,
}

impl SettingsPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }

    fn default_channel(&self, channel: &Channel) -> bool {
        self.business.default_channels.contains(*channel)
    }
}

async fn page(
    state: &AppState,
    staff: &Staff,
    errors: Vec<FieldError>,
    newcomer: (String, String, String),
    notice: Option<&'static str>,
) -> Result<Html<String>, WebError> {
    if !staff.actor.role.can_manage() {
        return Err(WebError::Forbidden);
    }
    let (chrome, business) = Chrome::with_business(state, staff, "settings").await?;
    let people = services::users::list(state, &staff.actor, 200, 0)
        .await?
        .items;
    let usage = services::usage::usage(state, &staff.actor, None, None)
        .await?
        .channels
        .into_iter()
        .map(|(channel, used)| {
            let cap = used
                .cap
                .map_or_else(|| "none".to_owned(), |cap| cap.to_string());
            (channel, used.messages, used.segments, cap)
        })
        .collect();
    let zone = chrome.zone();
    let names: std::collections::HashMap<i64, String> = people
        .iter()
        .map(|person| (person.id, person.full_name.clone()))
        .collect();
    let audit = services::audit::list(state, &staff.actor, None, AUDIT_SHOWN, 0)
        .await?
        .items
        .into_iter()
        .map(|entry| {
            let who = entry
                .actor_user_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_else(|| "–".to_owned());
            let target = match entry.target_id {
                Some(id) => format!("{} {id}", entry.target_type),
                None => entry.target_type,
            };
            let at = entry
                .created_at
                .with_timezone(&zone)
                .format("%-d %b %Y, %H:%M")
                .to_string();
            (at, who, entry.action, target)
        })
        .collect();
    render(&SettingsPage {
        chrome,
        business,
        staff: people,
        channels: Channel::ALL,
        roles: [Role::Member, Role::Admin, Role::Owner],
        errors,
        newcomer,
        notice,
        usage,
        audit,
    })
}

/// `GET /settings?saved=`: a member gets the 403 page.
pub(super) async fn show(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let notice = match query.get("saved").map(String::as_str) {
        Some("business") => Some("The business's settings are saved."),
        Some("staff") => Some("The staff are updated."),
        _ => None,
    };
    page(&state, &staff, Vec::new(), Default::default(), notice).await
}

fn optional(text: String) -> Option<String> {
    Some(text).filter(|text| !text.is_empty())
}

/// The answer to a settings form: the page again, with its errors when there are some.
async fn answer(
    state: &AppState,
    staff: &Staff,
    result: Result<(), ServiceError>,
    newcomer: (String, String, String),
    done: &'static str,
) -> Result<Response, WebError> {
    let errors = match result {
        Ok(()) => return Ok(Redirect::to(&format!("/settings?saved={done}")).into_response()),
        Err(ServiceError::Validation(errors)) => errors,
        Err(ServiceError::Conflict(message)) => vec![FieldError::new("email", message)],
        Err(other) => return Err(other.into()),
    };
    let html = page(state, staff, errors, newcomer, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

/// `POST /settings/business`: the business's settings, with the API's rules.
pub(super) async fn update_business(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields = Fields::parse(&body);
    csrf::check_session(&state, &staff.claims, &headers, &fields.get("csrf"))?;
    let (start, end) = (fields.get("quiet_start"), fields.get("quiet_end"));
    let request = UpdateBusinessRequest {
        name: Some(fields.get("name")),
        timezone: Some(fields.get("timezone")),
        default_channels: Some(fields.all("default_channel")),
        email_from: Some(optional(fields.get("email_from"))),
        default_country: Some(optional(fields.get("default_country"))),
        quiet_hours: Some(
            (!start.is_empty() || !end.is_empty()).then_some(QuietHoursSpec { start, end }),
        ),
        ..UpdateBusinessRequest::default()
    };
    let result = services::business::update(&state, &staff.actor, request)
        .await
        .map(|_| ());
    answer(&state, &staff, result, Default::default(), "business").await
}

/// `POST /settings/staff`: adds a person with a first password and a role.
pub(super) async fn add_staff(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields = Fields::parse(&body);
    csrf::check_session(&state, &staff.claims, &headers, &fields.get("csrf"))?;
    let role = fields.get("role").parse::<Role>().ok();
    let newcomer = (
        fields.get("email"),
        fields.get("full_name"),
        fields.get("role"),
    );
    let request = CreateUserRequest {
        email: newcomer.0.clone(),
        full_name: newcomer.1.clone(),
        password: fields.get("password"),
        role,
    };
    let result = services::users::create(&state, &staff.actor, request)
        .await
        .map(|_| ());
    answer(&state, &staff, result, newcomer, "staff").await
}

/// `POST /settings/staff/{id}`: a new role, or sign-in disabled or enabled again.
pub(super) async fn update_staff(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    PathId(id): PathId,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields = Fields::parse(&body);
    csrf::check_session(&state, &staff.claims, &headers, &fields.get("csrf"))?;
    let request = UpdateUserRequest {
        role: fields.get("role").parse::<Role>().ok(),
        is_active: match fields.get("active").as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        ..UpdateUserRequest::default()
    };
    let session = staff.claims.sid.as_deref();
    let result = services::users::update(&state, &staff.actor, session, UserId(id), request)
        .await
        .map(|_| ());
    answer(&state, &staff, result, Default::default(), "staff").await
}
