//! `/clients`: CRUD, search and CSV import.

use std::sync::Arc;

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, Problem};
use super::extract::{ApiJson, ApiQuery, CsvBody, PathId};
use super::paging::{ListWindow, Listed};
use super::responses::{ClientResponse, ListResponse};
use crate::domain::{Actor, ClientId};
use crate::services::clients::{self, ClientSortKey, CreateClientRequest, UpdateClientRequest};
use crate::services::import::{self, ImportReport};
use crate::services::privacy;
use crate::state::AppState;

/// Routes of this module; the import route takes `IMPORT_MAX_BYTES`.
pub fn router(import_max_bytes: usize) -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_clients, create_client))
        .routes(routes!(get_client, update_client, delete_client))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(import_clients))
                .layer(DefaultBodyLimit::max(import_max_bytes)),
        )
}

/// `GET /clients` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientQuery {
    /// Only clients whose name or e-mail contains this text, ignoring case, or whose phone
    /// contains its digits when it is written as a phone number (only digits, spaces and
    /// `+ - ( ) .`, at least 3 digits): `Client 12` does not match phones with 12 in them.
    pub q: Option<String>,
}

/// Lists the clients of the caller's business, oldest first.
#[utoipa::path(
    get, path = "/clients", tag = "clients", security(("oauth2" = [])),
    params(ClientQuery, ListWindow<ClientSortKey>),
    responses(
        (status = 200, description = "A page of clients", body = ListResponse<ClientResponse>),
        (status = 422, description = "`limit` or `offset` out of range, or `after` not a client of the business or given with `offset` or `sort=email`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list_clients(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<ClientQuery>,
    window: ListWindow<ClientSortKey>,
) -> ApiResult<Listed<ClientResponse>> {
    let paged = clients::list(
        &state,
        &actor,
        query.q.as_deref(),
        window.sort,
        window.page.limit,
        window.page.offset,
        window.after,
    )
    .await?;
    Ok(window.answer_by_key(paged, |c| c.id, ClientResponse::from))
}

/// Adds a client.
///
/// Any signed-in user may. The e-mail is lowercased and the phone stored in E.164 (a number
/// without a country code is read in the business's `default_country`).
#[utoipa::path(
    post, path = "/clients", tag = "clients", security(("oauth2" = [])),
    request_body = CreateClientRequest,
    responses(
        (status = 201, description = "Added", body = ClientResponse),
        (status = 409, description = "Another client of the business has this e-mail or `external_ref`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field; `errors` names each", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn create_client(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiJson(request): ApiJson<CreateClientRequest>,
) -> ApiResult<(StatusCode, Json<ClientResponse>)> {
    let client = clients::create(&state, &actor, request).await?;
    Ok((StatusCode::CREATED, Json(client.into())))
}

/// One client of the caller's business.
#[utoipa::path(
    get, path = "/clients/{id}", tag = "clients", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Client id")),
    responses(
        (status = 200, description = "The client", body = ClientResponse),
        (status = 404, description = "No such client in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_client(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<ClientResponse>> {
    Ok(Json(
        clients::get(&state, &actor, ClientId(id)).await?.into(),
    ))
}

/// Changes a client.
///
/// Absent fields stay as they are; `null` (or a blank text) clears an optional one. Opt-outs
/// changed here take effect for messages not yet sent.
#[utoipa::path(
    patch, path = "/clients/{id}", tag = "clients", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Client id")),
    request_body = UpdateClientRequest,
    responses(
        (status = 200, description = "The client as changed", body = ClientResponse),
        (status = 404, description = "No such client in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another client of the business has this e-mail or `external_ref`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field; `errors` names each", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update_client(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(request): ApiJson<UpdateClientRequest>,
) -> ApiResult<Json<ClientResponse>> {
    Ok(Json(
        clients::update(&state, &actor, ClientId(id), request)
            .await?
            .into(),
    ))
}

/// `DELETE /clients/{id}` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteClientQuery {
    /// `true`: erase the client's personal data everywhere (name, addresses, message texts)
    /// but keep the anonymous records; owners and admins only. Default `false`: delete.
    pub erase: Option<bool>,
}

/// Deletes a client, or with `erase=true` erases their personal data.
///
/// A plain delete removes the client and their own documents (any signed-in user may).
/// `erase=true` is for erasure requests: it blanks their personal data but keeps the
/// anonymous history and counts; it takes an owner or admin (a member gets 403). Both are
/// audited (`client.deleted`, `client.erased`).
#[utoipa::path(
    delete, path = "/clients/{id}", tag = "clients", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Client id"), DeleteClientQuery),
    responses(
        (status = 204, description = "Deleted, or erased"),
        (status = 404, description = "No such client in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn delete_client(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<DeleteClientQuery>,
) -> ApiResult<StatusCode> {
    if query.erase == Some(true) {
        privacy::erase(&state, &actor, ClientId(id)).await?;
    } else {
        clients::delete(&state, &actor, ClientId(id)).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Imports clients from a CSV file.
///
/// Send the file as `text/csv` with a header row; only `name` is required. A row whose e-mail
/// (or, without one, `external_ref`) matches an existing client updates it, and its blank
/// cells leave that client's values alone. Bad rows are reported and skipped; the rest are
/// imported. The body may be at most `IMPORT_MAX_BYTES` (default 64 MiB).
#[utoipa::path(
    post, path = "/clients/import", tag = "clients", security(("oauth2" = [])),
    request_body(content = CsvBody, content_type = "text/csv",
        description = "Header row: name,email,phone,whatsapp_opt_in,preferred_channels,timezone,external_ref,opted_out_email,opted_out_sms,opted_out_whatsapp"),
    responses(
        (status = 200, description = "What was created and updated, and the rows refused", body = ImportReport),
        (status = 413, description = "The file is larger than `IMPORT_MAX_BYTES`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as `text/csv` (or `application/csv`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The header row cannot be read or has no `name` column", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn import_clients(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    CsvBody(body): CsvBody,
) -> ApiResult<Json<ImportReport>> {
    Ok(Json(import::import_csv(&state, &actor, body).await?))
}
