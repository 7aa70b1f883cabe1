//! Settings: owners and admins only, as in the API. The overview page holds the business's
//! settings, its staff, this month's usage against its monthly caps and the latest audited
//! actions; provider accounts and sender identities have pages of their own, linked from it.

mod business;
pub(super) mod identities;
mod provider_fields;
pub(super) mod providers;
mod staff;

pub(super) use business::{update_business, update_caps};
pub(super) use staff::{add_staff, update_staff};

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::error::WebError;
use super::layout::{Chrome, error_for, local, render};
use super::session::Staff;
use crate::domain::{Channel, FieldError, Role};
use crate::entities::{business as business_row, user};
use crate::services::{self, ServiceError};
use crate::state::AppState;

/// Audited actions shown, newest first.
const AUDIT_SHOWN: u64 = 20;

/// What the overview's forms held when one was refused, to show again as typed.
#[derive(Default)]
struct Typed {
    /// The add-a-person form: e-mail, name, role.
    newcomer: (String, String, String),
    /// The caps form, per channel in [`Channel::ALL`] order.
    caps: Option<[String; 3]>,
}

/// The settings overview, with the errors of the form last sent and what it held.
#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    business: business_row::Model,
    staff: Vec<user::Model>,
    channels: [Channel; 3],
    roles: [Role; 3],
    errors: Vec<FieldError>,
    /// The add-a-person form as typed, after an error.
    newcomer: (String, String, String),
    notice: Option<&'static str>,
    /// This month's sends per channel: (channel, messages, parts, cap).
    usage: Vec<(String, i64, i64, String)>,
    /// The caps form: (channel, its value as shown, empty for no cap).
    caps: Vec<(Channel, String)>,
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

    /// The error of a channel's cap (`usage_caps.<channel>`).
    fn cap_error(&self, channel: &Channel) -> Option<&str> {
        self.error(&format!("usage_caps.{channel}"))
    }
}

/// The overview for an owner or admin; a member gets the 403 page.
async fn page(
    state: &AppState,
    staff: &Staff,
    errors: Vec<FieldError>,
    typed: Typed,
    notice: Option<&'static str>,
) -> Result<Html<String>, WebError> {
    if !staff.actor.role.can_manage() {
        return Err(WebError::Forbidden);
    }
    let (chrome, business) = Chrome::with_business(state, staff, "settings").await?;
    let people = services::users::list(state, &staff.actor, Default::default(), 200, 0)
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
    let stored_caps = business.usage_caps.clone().unwrap_or_default();
    let caps = match typed.caps {
        Some(values) => Channel::ALL.into_iter().zip(values).collect(),
        None => Channel::ALL
            .into_iter()
            .map(|channel| {
                let shown = stored_caps
                    .of(channel)
                    .map(|cap| cap.to_string())
                    .unwrap_or_default();
                (channel, shown)
            })
            .collect(),
    };
    let zone = chrome.zone();
    let names: std::collections::HashMap<i64, String> = people
        .iter()
        .map(|person| (person.id, person.full_name.clone()))
        .collect();
    let audit = services::audit::list(
        state,
        &staff.actor,
        None,
        Default::default(),
        AUDIT_SHOWN,
        0,
    )
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
        let at = local(entry.created_at.into(), zone);
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
        newcomer: typed.newcomer,
        notice,
        usage,
        caps,
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
        Some("caps") => Some("The monthly caps are saved."),
        _ => None,
    };
    page(&state, &staff, Vec::new(), Typed::default(), notice).await
}

/// The answer to an overview form: back to the page with a notice (`/settings?saved={done}`),
/// or the page again with its errors and what was typed.
async fn answer(
    state: &AppState,
    staff: &Staff,
    result: Result<(), ServiceError>,
    typed: Typed,
    done: &'static str,
) -> Result<Response, WebError> {
    let errors = match result {
        Ok(()) => return Ok(Redirect::to(&format!("/settings?saved={done}")).into_response()),
        Err(ServiceError::Validation(errors)) => errors,
        Err(ServiceError::Conflict(message)) => vec![FieldError::new("email", message)],
        Err(other) => return Err(other.into()),
    };
    let html = page(state, staff, errors, typed, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}
