//! Clients: the list with search and paging, the add form, and a client's page.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::csrf;
use super::error::{PathId, WebError};
use super::layout::{Chrome, error_for, local, render};
use super::session::Staff;
use crate::domain::{ClientId, FieldError, Money};
use crate::entities::client;
use crate::repositories::notifications::NotificationFilter;
use crate::repositories::payments::PaymentFilter;
use crate::services::clients::ClientSort;
use crate::services::{self, ServiceError};
use crate::state::AppState;

/// Clients per page.
const PAGE_SIZE: u64 = 25;

/// The list's query: `?q=` searches name, e-mail and phone; `?sort=` orders by `name`,
/// `email` or `added` (`-` first for descending); `?page=` counts from 1.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    q: String,
    sort: String,
    page: u64,
}

/// The clients page.
#[derive(Template)]
#[template(path = "clients.html")]
struct ClientsPage {
    chrome: Chrome,
    query: String,
    sort: ClientSort,
    clients: Vec<client::Model>,
    total: u64,
    page: u64,
    pages: u64,
}

impl ClientsPage {
    fn link(&self, sort: ClientSort, page: u64) -> String {
        let query: String = form_urlencoded::byte_serialize(self.query.as_bytes()).collect();
        format!("/clients?q={query}&sort={sort}&page={page}")
    }

    /// The link to another page of the same search in the same order.
    fn page_link(&self, page: u64) -> String {
        self.link(self.sort, page)
    }

    /// The link that orders by a column (`name`, `email`): ascending, or descending when it is
    /// ascending already.
    fn sort_link(&self, column: &str) -> String {
        let mut sort: ClientSort = column.parse().unwrap_or_default();
        sort.descending = self.sort.key == sort.key && !self.sort.descending;
        self.link(sort, 1)
    }

    /// `aria-sort` of a column's heading: how the list is ordered by it, if it is.
    fn aria_sort(&self, column: &str) -> &'static str {
        match column.parse::<ClientSort>() {
            Ok(sort) if sort.key == self.sort.key && self.sort.descending => "descending",
            Ok(sort) if sort.key == self.sort.key => "ascending",
            _ => "none",
        }
    }
}

/// `GET /clients`.
pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "clients").await?;
    let page = query.page.max(1);
    let sort: ClientSort = query.sort.parse().unwrap_or_default();
    let found = services::clients::list(
        &state,
        &staff.actor,
        Some(query.q.as_str()),
        sort,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
        None,
    )
    .await?;
    render(&ClientsPage {
        chrome,
        query: query.q,
        sort,
        clients: found.items,
        total: found.total,
        page,
        pages: found.total.div_ceil(PAGE_SIZE).max(1),
    })
}

/// The add-a-client form, with what was typed and the errors next to their fields.
#[derive(Template)]
#[template(path = "client_form.html")]
struct ClientFormPage {
    chrome: Chrome,
    form: ClientForm,
    errors: Vec<FieldError>,
    /// `/clients` for a new client, `/clients/{id}` for a change.
    action: String,
    /// The page's heading and its button.
    heading: &'static str,
}

impl ClientFormPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// The add-a-client form's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ClientForm {
    name: String,
    email: String,
    phone: String,
    whatsapp_opt_in: Option<String>,
    timezone: String,
    external_ref: String,
    csrf: String,
}

/// `GET /clients/new`.
pub(super) async fn new_page(
    State(state): State<Arc<AppState>>,
    staff: Staff,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "clients").await?;
    render(&ClientFormPage {
        chrome,
        form: ClientForm::default(),
        errors: Vec::new(),
        action: "/clients".into(),
        heading: "Add a client",
    })
}

/// `GET /clients/{id}/edit`: the form with the client's details.
pub(super) async fn edit_page(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    PathId(id): PathId,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "clients").await?;
    let client = services::clients::get(&state, &staff.actor, ClientId(id)).await?;
    render(&ClientFormPage {
        chrome,
        form: ClientForm {
            name: client.name,
            email: client.email.unwrap_or_default(),
            phone: client.phone.unwrap_or_default(),
            whatsapp_opt_in: client.whatsapp_opt_in.then(|| "on".to_owned()),
            timezone: client.timezone.unwrap_or_default(),
            external_ref: client.external_ref.unwrap_or_default(),
            csrf: String::new(),
        },
        errors: Vec::new(),
        action: format!("/clients/{id}"),
        heading: "Change a client",
    })
}

/// `POST /clients/{id}`: saves the changes with the API's rules; an emptied field is removed.
pub(super) async fn save(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    PathId(id): PathId,
    Form(form): Form<ClientForm>,
) -> Result<Response, WebError> {
    csrf::check_session(&state, &staff.claims, &headers, &form.csrf)?;
    let request = services::clients::UpdateClientRequest {
        name: Some(form.name.clone()),
        email: Some(optional(&form.email)),
        phone: Some(optional(&form.phone)),
        whatsapp_opt_in: Some(form.whatsapp_opt_in.is_some()),
        preferred_channels: None,
        timezone: Some(optional(&form.timezone)),
        external_ref: Some(optional(&form.external_ref)),
        opted_out: None,
    };
    let errors = match services::clients::update(&state, &staff.actor, ClientId(id), request).await
    {
        Ok(_) => return Ok(Redirect::to(&format!("/clients/{id}")).into_response()),
        Err(ServiceError::Validation(errors)) => errors,
        Err(ServiceError::Conflict(message)) => vec![FieldError::new("email", message)],
        Err(other) => return Err(other.into()),
    };
    let chrome = Chrome::of(&state, &staff, "clients").await?;
    let page = ClientFormPage {
        chrome,
        form,
        errors,
        action: format!("/clients/{id}"),
        heading: "Change a client",
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|text| !text.is_empty())
}

/// `POST /clients`: adds a client with the API's rules; errors come back next to their fields.
pub(super) async fn create(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    Form(form): Form<ClientForm>,
) -> Result<Response, WebError> {
    csrf::check_session(&state, &staff.claims, &headers, &form.csrf)?;
    let request = services::clients::CreateClientRequest {
        name: form.name.clone(),
        email: optional(&form.email),
        phone: optional(&form.phone),
        whatsapp_opt_in: form.whatsapp_opt_in.is_some(),
        preferred_channels: Vec::new(),
        timezone: optional(&form.timezone),
        external_ref: optional(&form.external_ref),
        opted_out: None,
    };
    let errors = match services::clients::create(&state, &staff.actor, request).await {
        Ok(saved) => return Ok(Redirect::to(&format!("/clients/{}", saved.id)).into_response()),
        Err(ServiceError::Validation(errors)) => errors,
        Err(ServiceError::Conflict(message)) => vec![FieldError {
            field: "email".into(),
            message,
        }],
        Err(other) => return Err(other.into()),
    };
    let chrome = Chrome::of(&state, &staff, "clients").await?;
    let page = ClientFormPage {
        chrome,
        form,
        errors,
        action: "/clients".into(),
        heading: "Add a client",
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

/// Messages and payments shown on a client's page, newest first.
const CLIENT_HISTORY: u64 = 20;

/// A client's page: their details, their latest messages and their payments.
#[derive(Template)]
#[template(path = "client.html")]
struct ClientPage {
    chrome: Chrome,
    client: client::Model,
    /// (when, channel, status, why, tries), in the business's zone.
    messages: Vec<(String, String, String, String, i32)>,
    /// (amount, status, link).
    payments: Vec<(String, String, String)>,
}

/// `GET /clients/{id}`.
pub(super) async fn show(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    PathId(id): PathId,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "clients").await?;
    let client = services::clients::get(&state, &staff.actor, ClientId(id)).await?;
    let zone = chrome.zone();
    let filter = NotificationFilter {
        client_id: Some(id),
        ..NotificationFilter::default()
    };
    let messages = services::notifications::list(
        &state,
        &staff.actor,
        &filter,
        Default::default(),
        CLIENT_HISTORY,
        0,
        None,
    )
    .await?
    .items
    .into_iter()
    .map(|row| {
        (
            local(row.occurrence_at.into(), zone),
            row.channel.to_string(),
            row.status.to_string(),
            row.error_code.unwrap_or_default(),
            row.attempt_count,
        )
    })
    .collect();
    let payment_filter = PaymentFilter {
        client_id: Some(id),
        ..PaymentFilter::default()
    };
    let payments = services::payments::list(
        &state,
        &staff.actor,
        &payment_filter,
        Default::default(),
        CLIENT_HISTORY,
        0,
    )
    .await?
    .items
    .into_iter()
    .map(|item| {
        let amount = Money::new(item.payment.amount, &item.payment.currency)
            .map(|money| money.to_string())
            .unwrap_or_default();
        (amount, item.payment.status.to_string(), item.url)
    })
    .collect();
    render(&ClientPage {
        chrome,
        client,
        messages,
        payments,
    })
}

/// The confirmation before erasing a client.
#[derive(Template)]
#[template(path = "client_erase.html")]
struct ErasePage {
    chrome: Chrome,
    client: client::Model,
}

/// `GET /clients/{id}/erase`: owners and admins only, as the erasure itself.
pub(super) async fn erase_page(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    PathId(id): PathId,
) -> Result<Html<String>, WebError> {
    if !staff.actor.role.can_manage() {
        return Err(WebError::Forbidden);
    }
    let chrome = Chrome::of(&state, &staff, "clients").await?;
    let client = services::clients::get(&state, &staff.actor, ClientId(id)).await?;
    render(&ErasePage { chrome, client })
}

/// The erasure's form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct EraseForm {
    csrf: String,
}

/// `POST /clients/{id}/erase`: erases the client's personal data with the API's rule
/// (owners and admins; the history stays, without what identifies them).
pub(super) async fn erase(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    PathId(id): PathId,
    Form(form): Form<EraseForm>,
) -> Result<Redirect, WebError> {
    csrf::check_session(&state, &staff.claims, &headers, &form.csrf)?;
    services::privacy::erase(&state, &staff.actor, ClientId(id)).await?;
    Ok(Redirect::to("/clients"))
}
