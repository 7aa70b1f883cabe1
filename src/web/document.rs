//! One document: its details, a form to rename it or change when its links expire (what the
//! API's `PATCH` allows), its links — one per client it was sent to — with their opens and a
//! way to revoke each, and deletion after a confirmation.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::csrf;
use super::documents::{expiry_from, local_field, size};
use super::error::{PathId, WebError};
use super::layout::{Chrome, error_for, local, render};
use super::session::Staff;
use crate::domain::FieldError;
use crate::entities::document;
use crate::repositories::document_links::LinkSort;
use crate::services::documents::UpdateDocumentRequest;
use crate::services::{self, ServiceError};
use crate::state::AppState;

/// The most links a document's page lists (one per client it went to), oldest first.
const LINKS_SHOWN: u64 = 1_000;

/// The page's query: `?notice=` names what the last action did.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ShowQuery {
    notice: String,
}

/// What an action did, shown at the top of the page.
fn notice(name: &str) -> Option<&'static str> {
    match name {
        "saved" => Some("Saved."),
        "revoked" => Some("Revoked: that client's link no longer opens the document."),
        _ => None,
    }
}

/// One client's link, as listed.
struct LinkRow {
    id: i64,
    client_id: i64,
    client: String,
    /// When it was made, with the first message that carried it.
    sent: String,
    /// When it was revoked; `None` while it works.
    revoked: Option<String>,
    /// Each open, oldest first: when, and the message whose link it was.
    opens: Vec<(String, Option<i64>)>,
}

/// The change form's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ChangeForm {
    name: String,
    link_expires_at: String,
    csrf: String,
}

/// A document's page.
#[derive(Template)]
#[template(path = "document.html")]
struct DocumentPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    document: document::Model,
    kind: String,
    size: String,
    uploaded: String,
    changed: String,
    /// When its links stop working; `None`: never.
    expires: Option<String>,
    /// The client it belongs to (id, name); `None` when it is for everyone.
    owner: Option<(i64, String)>,
    links: Vec<LinkRow>,
    form: ChangeForm,
    errors: Vec<FieldError>,
}

impl DocumentPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// The page of `document`, with the change form as given and its errors.
async fn page(
    state: &AppState,
    staff: &Staff,
    chrome: Chrome,
    document: document::Model,
    form: ChangeForm,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
) -> Result<Html<String>, WebError> {
    let links = services::documents::links(
        state,
        &staff.actor,
        document.id,
        LinkSort::default(),
        LINKS_SHOWN,
        0,
    )
    .await?
    .items;
    let mut clients: Vec<i64> = links.iter().map(|item| item.link.client_id).collect();
    clients.extend(document.client_id);
    let names = services::clients::names(state, &staff.actor, &clients).await?;
    let name_of = |id: i64| {
        names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("client {id}"))
    };
    let zone = chrome.zone();
    let links = links
        .into_iter()
        .map(|item| LinkRow {
            id: item.link.id,
            client_id: item.link.client_id,
            client: name_of(item.link.client_id),
            sent: local(item.link.created_at.0, zone),
            revoked: item.link.revoked_at.map(|at| local(at.0, zone)),
            opens: item
                .opens
                .into_iter()
                .map(|open| (local(open.opened_at.0, zone), open.notification_id))
                .collect(),
        })
        .collect();
    render(&DocumentPage {
        notice,
        kind: document
            .content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .to_owned(),
        size: size(document.size_bytes),
        uploaded: local(document.created_at.0, zone),
        changed: local(document.updated_at.0, zone),
        expires: document.link_expires_at.map(|at| local(at.0, zone)),
        owner: document.client_id.map(|id| (id, name_of(id))),
        chrome,
        document,
        links,
        form,
        errors,
    })
}

/// The change form filled with the document as it is.
fn form_of(document: &document::Model, chrome: &Chrome) -> ChangeForm {
    ChangeForm {
        name: document.name.clone(),
        link_expires_at: document
            .link_expires_at
            .map(|at| local_field(at.0, chrome.zone()))
            .unwrap_or_default(),
        csrf: String::new(),
    }
}

/// `GET /documents/{id}`.
pub(super) async fn show(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    PathId(id): PathId,
    Query(query): Query<ShowQuery>,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "documents").await?;
    let document = services::documents::get(&state, &staff.actor, id).await?;
    let form = form_of(&document, &chrome);
    let notice = notice(&query.notice);
    page(&state, &staff, chrome, document, form, Vec::new(), notice).await
}

/// `POST /documents/{id}`: renames it or changes when its links expire, with the API's rules
/// (the name's extension must still match the content; an emptied expiry means never). An
/// expiry left as shown is left as it is, to the second.
pub(super) async fn save(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    PathId(id): PathId,
    Form(form): Form<ChangeForm>,
) -> Result<Response, WebError> {
    csrf::check_session(&state, &staff.claims, &headers, &form.csrf)?;
    let chrome = Chrome::of(&state, &staff, "documents").await?;
    let document = services::documents::get(&state, &staff.actor, id).await?;
    let unchanged = form_of(&document, &chrome).link_expires_at == form.link_expires_at.trim();
    let errors = match expiry_from(&form.link_expires_at, chrome.zone()) {
        Err(message) => vec![FieldError::new("link_expires_at", message)],
        Ok(expiry) => {
            let request = UpdateDocumentRequest {
                name: Some(form.name.clone()),
                link_expires_at: (!unchanged).then_some(expiry),
            };
            match services::documents::update(&state, &staff.actor, id, request).await {
                Ok(_) => {
                    return Ok(
                        Redirect::to(&format!("/documents/{id}?notice=saved")).into_response()
                    );
                }
                Err(ServiceError::Validation(errors)) => errors,
                Err(other) => return Err(other.into()),
            }
        }
    };
    let html = page(&state, &staff, chrome, document, form, errors, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

/// The form of a one-button action: its token.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ActionForm {
    csrf: String,
}

/// `POST /documents/{id}/links/{link_id}/revoke`: that client's link answers 410 from now on.
pub(super) async fn revoke(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    PathId(id): PathId,
    Path((_, link_id)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Result<Redirect, WebError> {
    csrf::check_session(&state, &staff.claims, &headers, &form.csrf)?;
    let link_id = link_id.parse().map_err(|_| WebError::NotFound)?;
    services::documents::revoke_link(&state, &staff.actor, id, link_id).await?;
    Ok(Redirect::to(&format!("/documents/{id}?notice=revoked")))
}

/// The confirmation before deleting a document, and why it could not be.
#[derive(Template)]
#[template(path = "document_delete.html")]
struct DeletePage {
    chrome: Chrome,
    document: document::Model,
    problem: Option<String>,
}

/// `GET /documents/{id}/delete`.
pub(super) async fn delete_page(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    PathId(id): PathId,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "documents").await?;
    let document = services::documents::get(&state, &staff.actor, id).await?;
    render(&DeletePage {
        chrome,
        document,
        problem: None,
    })
}

/// `POST /documents/{id}/delete`: deletes it, its bytes and its links; refused, with the
/// reminders named, while a reminder carries it.
pub(super) async fn delete(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    PathId(id): PathId,
    Form(form): Form<ActionForm>,
) -> Result<Response, WebError> {
    csrf::check_session(&state, &staff.claims, &headers, &form.csrf)?;
    let problem = match services::documents::delete(&state, &staff.actor, id).await {
        Ok(()) => return Ok(Redirect::to("/documents?notice=deleted").into_response()),
        Err(ServiceError::Conflict(message)) => message,
        Err(other) => return Err(other.into()),
    };
    let chrome = Chrome::of(&state, &staff, "documents").await?;
    let document = services::documents::get(&state, &staff.actor, id).await?;
    let html = render(&DeletePage {
        chrome,
        document,
        problem: Some(problem),
    })?;
    Ok((StatusCode::CONFLICT, html).into_response())
}
