//! Clients as the original took and showed them: `phone_number` (and the model's
//! `secondary_phone_number` and `whatsapp_phone_number`), `skip`/`limit`/`search` lists as
//! arrays, `PUT` updates, and `bulk-import` of a JSON list.
//!
//! A client here has one phone number: the main one, else the secondary, else the WhatsApp one
//! is kept, and a second, different number is refused (422) rather than dropped. A WhatsApp
//! number means WhatsApp opt-in. `address` and `notes` have no place here and are refused when
//! not blank; a client cannot be made inactive (`is_active: false`) — delete it instead.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::super::error::{ApiError, ApiResult};
use super::super::extract::{ApiJson, ApiQuery, CsvBody, PathId};
use super::{deleted, firm_user_id, renamed, window};
use crate::domain::{Actor, ClientId, CountryCode, PhoneE164, Validation};
use crate::entities::client;
use crate::repositories::notifications::NotificationFilter;
use crate::services::clients::{self as service, UpdateClientRequest};
use crate::services::{double_option, import, notifications};
use crate::state::AppState;

/// Our field names and the original's.
const FIELDS: &[(&str, &str)] = &[("phone", "phone_number")];

/// The original's `ClientCreate` (with the model's two other numbers).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(super) struct ClientCreate {
    name: String,
    email: Option<String>,
    phone_number: Option<String>,
    secondary_phone_number: Option<String>,
    whatsapp_phone_number: Option<String>,
    address: Option<String>,
    notes: Option<String>,
    #[serde(default = "active")]
    is_active: bool,
}

fn active() -> bool {
    true
}

/// The original's `ClientUpdate`: absent fields stay, `null` clears.
#[derive(Debug, Deserialize)]
pub(super) struct ClientUpdate {
    name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    phone_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    secondary_phone_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    whatsapp_phone_number: Option<Option<String>>,
    address: Option<String>,
    notes: Option<String>,
    is_active: Option<bool>,
}

/// The original's `Client`, with its two other numbers.
#[derive(Debug, Serialize)]
pub(super) struct OriginalClient {
    id: i64,
    /// The business's first owner (the original's one user per firm).
    user_id: i64,
    name: String,
    email: Option<String>,
    /// In E.164 (`+393331234567`).
    phone_number: Option<String>,
    /// Always `null`: one number per client here.
    secondary_phone_number: Option<String>,
    /// The number, when the client accepts WhatsApp.
    whatsapp_phone_number: Option<String>,
    /// Always `null`: not kept here.
    address: Option<String>,
    /// Always `null`: not kept here.
    notes: Option<String>,
    /// Always `true`.
    is_active: bool,
    created_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
}

impl OriginalClient {
    fn of(client: client::Model, user_id: i64) -> Self {
        Self {
            id: client.id,
            user_id,
            name: client.name,
            email: client.email,
            whatsapp_phone_number: client.phone.clone().filter(|_| client.whatsapp_opt_in),
            phone_number: client.phone,
            secondary_phone_number: None,
            address: None,
            notes: None,
            is_active: true,
            created_at: *client.created_at,
            updated_at: Some(*client.updated_at),
        }
    }
}

/// The original's `ClientDetail`: a client and its counts.
#[derive(Debug, Serialize)]
pub(super) struct ClientDetail {
    #[serde(flatten)]
    client: OriginalClient,
    /// Reminders the client is on, whatever their status.
    reminders_count: u64,
    /// Those of them still `active`.
    active_reminders_count: u64,
    /// Notifications to the client, whatever their status.
    notifications_count: u64,
}

/// The original's list query.
#[derive(Debug, Deserialize)]
pub(super) struct ClientListQuery {
    skip: Option<u64>,
    limit: Option<u64>,
    search: Option<String>,
}

/// The phone numbers of a request, in the original's three fields; `Some(None)` clears.
struct Numbers<'a> {
    main: Option<Option<&'a str>>,
    secondary: Option<Option<&'a str>>,
    whatsapp: Option<Option<&'a str>>,
}

impl Numbers<'_> {
    /// Our `phone` and `whatsapp_opt_in` changes, given the client's current number: one number
    /// is kept, and another given that differs is refused naming its field.
    fn into_changes(
        self,
        current: Option<&str>,
        region: Option<CountryCode>,
        validation: &mut Validation,
    ) -> (Option<Option<String>>, Option<bool>) {
        fn given(text: Option<&str>) -> Option<&str> {
            text.map(str::trim).filter(|t| !t.is_empty())
        }
        let mut parse = |field: &str, text: &str| {
            validation.check(
                field,
                PhoneE164::parse(text, region).map(|p| p.as_str().to_owned()),
            )
        };
        let main = self
            .main
            .map(|text| given(text).and_then(|text| parse("phone_number", text)));
        let mut kept = match &main {
            Some(number) => number.clone(),
            None => current.map(str::to_owned),
        };
        let mut phone = main;
        let mut different = Vec::new();
        for (field, value) in [
            ("secondary_phone_number", self.secondary),
            ("whatsapp_phone_number", self.whatsapp),
        ] {
            let Some(number) = value.and_then(given).and_then(|text| parse(field, text)) else {
                continue;
            };
            match &kept {
                None => {
                    kept = Some(number.clone());
                    phone = Some(Some(number));
                }
                Some(same) if *same == number => {}
                Some(_) => different.push(field),
            }
        }
        for field in different {
            validation.push(
                field,
                "differs from the client's phone_number: a client has one phone number here; \
                 send the same number, or none",
            );
        }
        let whatsapp = self.whatsapp.map(|text| given(text).is_some());
        (phone, whatsapp)
    }
}

/// Refuses what has no place here: a non-blank `address` or `notes`, `is_active: false`.
fn refuse_unkept(
    validation: &mut Validation,
    address: Option<&str>,
    notes: Option<&str>,
    is_active: Option<bool>,
) {
    for (field, value) in [("address", address), ("notes", notes)] {
        if value.is_some_and(|text| !text.trim().is_empty()) {
            validation.push(field, "is not kept here: send it blank or leave it out");
        }
    }
    if is_active == Some(false) {
        validation.push(
            "is_active",
            "a client cannot be made inactive here: delete it instead",
        );
    }
}

impl ClientCreate {
    /// Our request for this body, or every field that cannot be kept.
    fn to_ours(&self, region: Option<CountryCode>) -> Result<UpdateClientRequest, ApiError> {
        let mut validation = Validation::new();
        refuse_unkept(
            &mut validation,
            self.address.as_deref(),
            self.notes.as_deref(),
            Some(self.is_active),
        );
        let numbers = Numbers {
            main: Some(self.phone_number.as_deref()),
            secondary: Some(self.secondary_phone_number.as_deref()),
            whatsapp: Some(self.whatsapp_phone_number.as_deref()),
        };
        let (phone, whatsapp) = numbers.into_changes(None, region, &mut validation);
        validation.finish().map_err(ApiError::Validation)?;
        Ok(UpdateClientRequest {
            name: Some(self.name.clone()),
            email: self.email.clone().map(Some),
            phone,
            whatsapp_opt_in: whatsapp,
            ..Default::default()
        })
    }
}

async fn region(state: &AppState, actor: &Actor) -> ApiResult<Option<CountryCode>> {
    Ok(service::phone_region(&state.db, actor.business).await?)
}

/// Adds a client from the original's body.
async fn create(
    state: &AppState,
    actor: &Actor,
    body: &ClientCreate,
    region: Option<CountryCode>,
) -> ApiResult<client::Model> {
    let request = body.to_ours(region)?;
    service::create_from(state, actor, request)
        .await
        .map_err(|error| renamed(error, FIELDS))
}

/// `GET /clients/`: a JSON array of the business's clients, oldest first.
pub(super) async fn list_clients(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<ClientListQuery>,
) -> ApiResult<Json<Vec<OriginalClient>>> {
    let (limit, offset) = window(query.skip, query.limit)?;
    let search = query
        .search
        .as_deref()
        .filter(|text| !text.trim().is_empty());
    let paged = service::list(
        &state,
        &actor,
        search,
        Default::default(),
        limit,
        offset,
        None,
    )
    .await?;
    let user_id = firm_user_id(&state, actor.business, actor.user.0).await?;
    Ok(Json(
        paged
            .items
            .into_iter()
            .map(|client| OriginalClient::of(client, user_id))
            .collect(),
    ))
}

/// `POST /clients/`: 201 with the original's `Client`.
pub(super) async fn create_client(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiJson(body): ApiJson<ClientCreate>,
) -> ApiResult<(StatusCode, Json<OriginalClient>)> {
    let region = region(&state, &actor).await?;
    let client = create(&state, &actor, &body, region).await?;
    let user_id = firm_user_id(&state, actor.business, actor.user.0).await?;
    Ok((
        StatusCode::CREATED,
        Json(OriginalClient::of(client, user_id)),
    ))
}

/// `GET /clients/{id}`: the original's `ClientDetail`.
pub(super) async fn read_client(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<ClientDetail>> {
    let client = service::get(&state, &actor, ClientId(id)).await?;
    let statuses = service::reminder_statuses(&state, &actor, ClientId(id)).await?;
    let filter = NotificationFilter {
        client_id: Some(id),
        ..Default::default()
    };
    let sent = notifications::list(&state, &actor, &filter, Default::default(), 1, 0, None).await?;
    let user_id = firm_user_id(&state, actor.business, actor.user.0).await?;
    Ok(Json(ClientDetail {
        client: OriginalClient::of(client, user_id),
        reminders_count: statuses.len() as u64,
        active_reminders_count: statuses
            .iter()
            .filter(|status| **status == crate::domain::ReminderStatus::Active)
            .count() as u64,
        notifications_count: sent.total,
    }))
}

/// `PUT /clients/{id}`: absent fields stay; the original's `Client`.
pub(super) async fn update_client(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(body): ApiJson<ClientUpdate>,
) -> ApiResult<Json<OriginalClient>> {
    let current = service::get(&state, &actor, ClientId(id)).await?;
    let region = region(&state, &actor).await?;
    let mut validation = Validation::new();
    refuse_unkept(
        &mut validation,
        body.address.as_deref(),
        body.notes.as_deref(),
        body.is_active,
    );
    let numbers = Numbers {
        main: body.phone_number.as_ref().map(Option::as_deref),
        secondary: body.secondary_phone_number.as_ref().map(Option::as_deref),
        whatsapp: body.whatsapp_phone_number.as_ref().map(Option::as_deref),
    };
    let (phone, whatsapp) = numbers.into_changes(current.phone.as_deref(), region, &mut validation);
    validation.finish().map_err(ApiError::Validation)?;
    let request = UpdateClientRequest {
        name: body.name,
        email: body.email,
        phone,
        whatsapp_opt_in: whatsapp,
        ..Default::default()
    };
    let client = service::update(&state, &actor, ClientId(id), request)
        .await
        .map_err(|error| renamed(error, FIELDS))?;
    let user_id = firm_user_id(&state, actor.business, actor.user.0).await?;
    Ok(Json(OriginalClient::of(client, user_id)))
}

/// `DELETE /clients/{id}`: 200 with the original's `detail`.
pub(super) async fn delete_client(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<Value>> {
    service::delete(&state, &actor, ClientId(id)).await?;
    Ok(deleted("Client"))
}

/// One refused item of a bulk import, as the original reported it.
#[derive(Debug, Serialize)]
struct FailedImport {
    data: ClientCreate,
    error: String,
}

/// The original's bulk-import report.
#[derive(Debug, Serialize)]
struct BulkReport {
    imported_count: usize,
    failed_count: usize,
    failed_imports: Vec<FailedImport>,
}

/// Why an item was refused, in one line.
fn in_words(error: &ApiError) -> String {
    match error {
        ApiError::Validation(errors) => errors
            .iter()
            .map(|error| format!("{}: {}", error.field, error.message))
            .collect::<Vec<_>>()
            .join("; "),
        ApiError::Conflict(detail) => detail.clone(),
        _ => "the client could not be added".into(),
    }
}

/// `POST /clients/bulk-import`: a JSON list of the original's `ClientCreate`, each added on its
/// own; the original's `{imported_count, failed_count, failed_imports}`. A CSV body
/// (`text/csv`) is our import, with our report.
pub(super) async fn bulk_import(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    request: Request,
) -> ApiResult<Response> {
    let csv = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().to_ascii_lowercase().contains("csv"));
    if csv {
        let CsvBody(body) = CsvBody::from_request(request, &state).await?;
        return Ok(Json(import::import_csv(&state, &actor, body).await?).into_response());
    }
    let ApiJson(items) = ApiJson::<Vec<ClientCreate>>::from_request(request, &state).await?;
    let region = region(&state, &actor).await?;
    let mut report = BulkReport {
        imported_count: 0,
        failed_count: 0,
        failed_imports: Vec::new(),
    };
    for item in items {
        match create(&state, &actor, &item, region).await {
            Ok(_) => report.imported_count += 1,
            Err(error @ (ApiError::Validation(_) | ApiError::Conflict(_))) => {
                report.failed_imports.push(FailedImport {
                    error: in_words(&error),
                    data: item,
                });
            }
            Err(error) => return Err(error),
        }
    }
    report.failed_count = report.failed_imports.len();
    Ok(Json(report).into_response())
}
