//! Writing and changing a reminder: what it says, on which channels and from which sender, when
//! (once, a recurrence built from plain choices, or before a due date), the payment it asks
//! for, the documents it carries and its clients (found by a search, so any number can be
//! chosen) — with a preview of the next dates and of the message a chosen client would get,
//! before saving. Previews and searches are plain form posts, so the form works without
//! JavaScript.

mod draft;

use std::collections::HashSet;
use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use self::draft::Draft;
use super::csrf;
use super::error::{PathId, WebError};
use super::form::Fields;
use super::layout::{Chrome, error_for, render};
use super::session::Staff;
use crate::domain::schedule::Schedule;
use crate::domain::{Channel, ClientId, FieldError, ReminderKind};
use crate::entities::{client, document, sender_identity};
use crate::services::messages::PreviewMessage;
use crate::services::reminders::AssignClientsRequest;
use crate::services::reminders::preview::{self, PREVIEW_DATES};
use crate::services::{self, ServiceError};
use crate::state::AppState;

/// Clients a search on the form lists (chosen ones are always listed).
const CLIENTS_FOUND: u64 = 50;
/// Documents offered for carrying.
const DOCUMENTS_SHOWN: u64 = 200;

/// The message a chosen client would get, after a preview.
struct MessagePreview {
    client: String,
    messages: Vec<PreviewMessage>,
}

/// The reminder form.
#[derive(Template)]
#[template(path = "reminder_form.html")]
struct ReminderFormPage {
    chrome: Chrome,
    draft: Draft,
    /// The reminder being changed, or `None` for a new one.
    editing: Option<i64>,
    kinds: &'static [ReminderKind],
    channels: [Channel; 3],
    /// Chosen clients, always listed (checked).
    chosen: Vec<client::Model>,
    /// Clients the search found that are not chosen yet, and how many it found in all.
    found: Vec<client::Model>,
    found_total: u64,
    /// The business's verified sender identities per channel.
    identities: Vec<(Channel, Vec<sender_identity::Model>)>,
    /// Documents for every client (not one client's own).
    documents: Vec<document::Model>,
    errors: Vec<FieldError>,
    /// The next dates, after a preview.
    dates: Option<Vec<String>>,
    message: Option<MessagePreview>,
}

impl ReminderFormPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }

    fn has_channel(&self, channel: &Channel) -> bool {
        self.draft.channels.iter().any(|c| c == channel.as_str())
    }

    fn has_document(&self, id: &i64) -> bool {
        self.draft.documents.iter().any(|d| *d == id.to_string())
    }

    fn sender_of(&self, channel: &Channel, id: &i64) -> bool {
        self.draft
            .senders
            .iter()
            .any(|(c, chosen)| c == channel && *chosen == id.to_string())
    }

    fn previewed_for(&self, id: &i64) -> bool {
        self.draft.preview_client == id.to_string()
    }

    /// Where the form posts.
    fn action(&self) -> String {
        self.editing.map_or_else(
            || "/reminders/new".to_owned(),
            |id| format!("/reminders/{id}"),
        )
    }
}

/// What the page shows besides the draft: previews and errors.
#[derive(Default)]
struct Outcome {
    errors: Vec<FieldError>,
    dates: Option<Vec<String>>,
    message: Option<MessagePreview>,
}

async fn page(
    state: &AppState,
    staff: &Staff,
    chrome: Chrome,
    draft: Draft,
    editing: Option<i64>,
    outcome: Outcome,
) -> Result<Html<String>, WebError> {
    let actor = &staff.actor;
    let chosen = services::clients::many(state, actor, &draft.client_ids()).await?;
    let search = Some(draft.client_query.trim()).filter(|q| !q.is_empty());
    let listed = services::clients::list(
        state,
        actor,
        search,
        services::clients::ClientSort::default(),
        CLIENTS_FOUND,
        0,
        None,
    )
    .await?;
    let chosen_ids: HashSet<i64> = chosen.iter().map(|c| c.id).collect();
    let found = listed
        .items
        .into_iter()
        .filter(|c| !chosen_ids.contains(&c.id))
        .collect();
    let verified: Vec<sender_identity::Model> = services::sender_identities::list(state, actor)
        .await?
        .into_iter()
        .filter(|identity| identity.verified_at.is_some())
        .collect();
    let identities = Channel::ALL
        .iter()
        .map(|channel| {
            let of_channel = verified
                .iter()
                .filter(|identity| identity.channel == *channel)
                .cloned()
                .collect();
            (*channel, of_channel)
        })
        .collect();
    let documents =
        services::documents::list(state, actor, None, Default::default(), DOCUMENTS_SHOWN, 0)
            .await?
            .items
            .into_iter()
            .filter(|d| d.client_id.is_none())
            .collect();
    render(&ReminderFormPage {
        chrome,
        draft,
        editing,
        kinds: ReminderKind::ALL,
        channels: Channel::ALL,
        chosen,
        found,
        found_total: listed.total,
        identities,
        documents,
        errors: outcome.errors,
        dates: outcome.dates,
        message: outcome.message,
    })
}

/// `GET /reminders/new`.
pub(super) async fn new_page(
    State(state): State<Arc<AppState>>,
    staff: Staff,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "reminders").await?;
    page(
        &state,
        &staff,
        chrome,
        Draft::blank(),
        None,
        Outcome::default(),
    )
    .await
}

/// `GET /reminders/{id}/edit`: the form filled from the saved reminder.
pub(super) async fn edit_page(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    PathId(id): PathId,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "reminders").await?;
    let saved = services::reminders::get(&state, &staff.actor, id).await?;
    let draft = Draft::saved(&saved.reminder, &saved.client_ids, &saved.document_ids);
    page(&state, &staff, chrome, draft, Some(id), Outcome::default()).await
}

/// `POST /reminders/new`: a new reminder (see [`submit`]).
pub(super) async fn create(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    submit(&state, &staff, &headers, &body, None).await
}

/// `POST /reminders/{id}`: a change to a saved reminder (see [`submit`]).
pub(super) async fn save(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    PathId(id): PathId,
    body: Bytes,
) -> Result<Response, WebError> {
    submit(&state, &staff, &headers, &body, Some(id)).await
}

/// A post of the form: `intent=find` searches the clients, `intent=preview` shows the next
/// dates (and the message for the client chosen for it), anything else saves with the API's
/// rules and shows its errors by their fields.
async fn submit(
    state: &AppState,
    staff: &Staff,
    headers: &HeaderMap,
    body: &Bytes,
    editing: Option<i64>,
) -> Result<Response, WebError> {
    let fields = Fields::parse(body);
    csrf::check_session(state, &staff.claims, headers, &fields.get("csrf"))?;
    let draft = Draft::read(&fields);
    let chrome = Chrome::of(state, staff, "reminders").await?;
    let outcome = match fields.get("intent").as_str() {
        "find" => Outcome::default(),
        "preview" => previewed(state, staff, &chrome, &draft).await?,
        _ => {
            let errors = match editing {
                Some(id) => change(state, staff, id, &draft).await?,
                None => add(state, staff, &draft).await?,
            };
            if errors.is_empty() {
                let done = if editing.is_some() {
                    "saved"
                } else {
                    "created"
                };
                return Ok(Redirect::to(&format!("/reminders?notice={done}")).into_response());
            }
            let html = page(
                state,
                staff,
                chrome,
                draft,
                editing,
                Outcome {
                    errors,
                    ..Outcome::default()
                },
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
        }
    };
    Ok(page(state, staff, chrome, draft, editing, outcome)
        .await?
        .into_response())
}

/// Creates the reminder; the errors that kept it from being saved.
async fn add(state: &AppState, staff: &Staff, draft: &Draft) -> Result<Vec<FieldError>, WebError> {
    let (request, errors) = draft.request();
    if !errors.is_empty() {
        return Ok(errors);
    }
    match services::reminders::create(state, &staff.actor, request).await {
        Ok(_) => Ok(Vec::new()),
        Err(error) => refusal(error),
    }
}

/// Changes the reminder, then its clients to those chosen; the errors that kept it from being
/// saved.
async fn change(
    state: &AppState,
    staff: &Staff,
    id: i64,
    draft: &Draft,
) -> Result<Vec<FieldError>, WebError> {
    let actor = &staff.actor;
    let (patch, errors) = draft.patch();
    if !errors.is_empty() {
        return Ok(errors);
    }
    let saved = match services::reminders::update(state, actor, id, patch).await {
        Ok(saved) => saved,
        Err(error) => return refusal(error),
    };
    let chosen: HashSet<i64> = draft.client_ids().into_iter().collect();
    let added: Vec<i64> = chosen
        .iter()
        .filter(|id| !saved.client_ids.contains(id))
        .copied()
        .collect();
    if !added.is_empty() {
        let request = AssignClientsRequest {
            client_ids: added,
            clients: Vec::new(),
        };
        if let Err(error) = services::reminders::assign(state, actor, id, request).await {
            return refusal(error);
        }
    }
    for removed in saved.client_ids.iter().filter(|id| !chosen.contains(id)) {
        services::reminders::unassign(state, actor, id, ClientId(*removed)).await?;
    }
    Ok(Vec::new())
}

/// A service's refusal as errors by field; other failures are the error page.
fn refusal(error: ServiceError) -> Result<Vec<FieldError>, WebError> {
    match error {
        ServiceError::Validation(found) => Ok(found),
        other => Err(other.into()),
    }
}

/// The next dates in the schedule's zone; with a client chosen for it, the draft checked as
/// saving would check it and the message that client would get, dates in their zone.
async fn previewed(
    state: &AppState,
    staff: &Staff,
    chrome: &Chrome,
    draft: &Draft,
) -> Result<Outcome, WebError> {
    let shown = |at: chrono::DateTime<chrono::Utc>, zone: chrono_tz::Tz| {
        at.with_timezone(&zone)
            .format("%A %-d %B %Y, %H:%M %Z")
            .to_string()
    };
    let Ok(client) = draft.preview_client.parse::<i64>() else {
        return Ok(match Schedule::parse(&draft.spec(), chrome.zone()) {
            Ok(schedule) => Outcome {
                dates: Some(
                    schedule
                        .occurrences(state.clock.now(), None, PREVIEW_DATES)
                        .into_iter()
                        .map(|at| shown(at, schedule.zone()))
                        .collect(),
                ),
                ..Outcome::default()
            },
            Err(errors) => Outcome {
                errors,
                ..Outcome::default()
            },
        });
    };
    let (request, errors) = draft.request();
    if !errors.is_empty() {
        return Ok(Outcome {
            errors,
            ..Outcome::default()
        });
    }
    match preview::draft(state, &staff.actor, &request, ClientId(client)).await {
        Ok(found) => Ok(Outcome {
            dates: Some(
                found
                    .dates
                    .iter()
                    .map(|at| shown(*at, found.zone))
                    .collect(),
            ),
            message: Some(MessagePreview {
                client: found.client.name,
                messages: found.messages,
            }),
            errors: Vec::new(),
        }),
        // The client was deleted since the form was shown (or never was the business's).
        Err(ServiceError::NotFound) => Ok(Outcome {
            errors: vec![FieldError::new("client_id", "no such client")],
            ..Outcome::default()
        }),
        Err(error) => Ok(Outcome {
            errors: refusal(error)?,
            ..Outcome::default()
        }),
    }
}
