//! `/clients`: CRUD, search and CSV import.

use std::sync::Arc;

use axum::Json;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiJson, ApiQuery, Page, PathId, read_body};
use super::responses::{ClientResponse, ListResponse};
use crate::domain::{Actor, ClientId};
use crate::services::clients::{self, CreateClientRequest, UpdateClientRequest};
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
    /// Matches name, e-mail or phone, ignoring case.
    pub q: Option<String>,
    /// 1 to 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// Default 0.
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub offset: Option<u64>,
}

/// Clients of the caller's business.
#[utoipa::path(
    get, path = "/clients", tag = "clients", security(("oauth2" = [])), params(ClientQuery),
    responses(
        (status = 200, body = ListResponse<ClientResponse>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list_clients(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<ClientQuery>,
) -> ApiResult<Json<ListResponse<ClientResponse>>> {
    let page = Page::new(query.limit, query.offset)?;
    let paged = clients::list(&state, &actor, query.q.as_deref(), page.limit, page.offset).await?;
    Ok(Json(ListResponse::from_page(
        paged,
        page,
        ClientResponse::from,
    )))
}

/// Adds a client.
#[utoipa::path(
    post, path = "/clients", tag = "clients", security(("oauth2" = [])),
    request_body = CreateClientRequest,
    responses(
        (status = 201, body = ClientResponse),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
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

/// One client.
#[utoipa::path(
    get, path = "/clients/{id}", tag = "clients", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Client id")),
    responses(
        (status = 200, body = ClientResponse),
        (status = 404, body = Problem, content_type = "application/problem+json"),
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

/// Changes a client; absent fields stay, `null` clears.
#[utoipa::path(
    patch, path = "/clients/{id}", tag = "clients", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Client id")),
    request_body = UpdateClientRequest,
    responses(
        (status = 200, body = ClientResponse),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
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
    /// but keep the anonymous records; owners and admins only.
    pub erase: Option<bool>,
}

/// Deletes a client, or with `erase=true` erases their personal data (audited).
#[utoipa::path(
    delete, path = "/clients/{id}", tag = "clients", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Client id"), DeleteClientQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
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

/// Imports clients from CSV (`text/csv`, header row `name,email,phone,…`); a row whose e-mail
/// matches an existing client updates it.
#[utoipa::path(
    post, path = "/clients/import", tag = "clients", security(("oauth2" = [])),
    request_body(content = String, content_type = "text/csv",
        description = "Header row: name,email,phone,whatsapp_opt_in,preferred_channels,timezone,external_ref,opted_out_email,opted_out_sms,opted_out_whatsapp"),
    responses(
        (status = 200, body = ImportReport),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn import_clients(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    request: Request,
) -> ApiResult<Json<ImportReport>> {
    let media = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    if !matches!(media.as_deref(), Some("text/csv" | "application/csv")) {
        return Err(ApiError::UnsupportedMediaType(
            "Send the file as text/csv.".into(),
        ));
    }
    let body = read_body(request, &state).await?;
    Ok(Json(import::import_csv(&state, &actor, &body).await?))
}
