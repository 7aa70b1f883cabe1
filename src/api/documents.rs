//! `/documents`: upload (multipart), list, read, download, rename and delete a firm's documents.

use std::sync::Arc;

use axum::Json;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiJson, ApiQuery, PathId, parse_id};
use super::paging::{ListWindow, Listed};
use super::responses::ListResponse;
use crate::documents::kind;
use crate::domain::Actor;
use crate::entities::document;
use crate::services::documents::{
    self, DocumentSortKey, LinkSortKey, UpdateDocumentRequest, Upload,
};
use crate::state::AppState;

/// Room for the multipart framing and the small fields around the file.
const FORM_OVERHEAD: usize = 64 * 1024;

/// Routes of this module; uploads take `DOCUMENT_MAX_BYTES`.
pub fn router(document_max_bytes: usize) -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_documents))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(upload_document))
                .layer(DefaultBodyLimit::max(document_max_bytes + FORM_OVERHEAD)),
        )
        .routes(routes!(get_document, update_document, delete_document))
        .routes(routes!(download_document))
        .routes(routes!(list_links))
        .routes(routes!(revoke_link))
}

/// A client's link to a document and its opens.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentLinkResponse {
    /// The link's id, for `POST /documents/{id}/links/{link_id}/revoke`.
    pub id: i64,
    /// The client it was made for.
    pub client_id: i64,
    /// When it was made, with the first message that carried it (UTC).
    pub created_at: DateTime<Utc>,
    /// When the firm withdrew it (it answers 410 since); `null` while it works.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Each open, oldest first: when, and the notification whose link it was.
    pub opens: Vec<DocumentOpenResponse>,
}

/// One open of a document link.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentOpenResponse {
    /// When the client opened it (UTC).
    pub at: DateTime<Utc>,
    /// The notification whose link was opened; `null` when it cannot be told.
    pub notification_id: Option<i64>,
}

impl From<documents::LinkWithOpens> for DocumentLinkResponse {
    fn from(value: documents::LinkWithOpens) -> Self {
        Self {
            id: value.link.id,
            client_id: value.link.client_id,
            created_at: value.link.created_at.0,
            revoked_at: value.link.revoked_at.map(|at| at.0),
            opens: value
                .opens
                .into_iter()
                .map(|open| DocumentOpenResponse {
                    at: open.opened_at.0,
                    notification_id: open.notification_id,
                })
                .collect(),
        }
    }
}

/// Lists the links sent to clients for a document, with every open.
///
/// One link per client the document was sent to, revoked ones included.
#[utoipa::path(
    get, path = "/documents/{id}/links", tag = "documents", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Document id"), ListWindow<LinkSortKey>),
    responses(
        (status = 200, description = "A page of the links to the document", body = ListResponse<DocumentLinkResponse>),
        (status = 404, description = "No such document in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_links(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    window: ListWindow<LinkSortKey>,
) -> ApiResult<Listed<DocumentLinkResponse>> {
    let links = documents::links(
        &state,
        &actor,
        id,
        window.sort,
        window.page.limit,
        window.page.offset,
    )
    .await?;
    Ok(window.answer(links, DocumentLinkResponse::from))
}

/// Withdraws one client's link to a document.
///
/// The link answers 410 from now on; other clients' links keep working. Revoking it again
/// changes nothing. Audited (`documents.link_revoked`).
#[utoipa::path(
    post, path = "/documents/{id}/links/{link_id}/revoke", tag = "documents", security(("oauth2" = [])),
    params(
        ("id" = i64, Path, description = "Document id"),
        ("link_id" = i64, Path, description = "Link id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such document in the caller's business, or no such link to it", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn revoke_link(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    axum::extract::Path((id, link_id)): axum::extract::Path<(String, String)>,
) -> ApiResult<StatusCode> {
    documents::revoke_link(&state, &actor, parse_id(&id)?, parse_id(&link_id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Where a document's bytes may be kept: in the database, or in the object store.
pub const STORAGE_KINDS: [&str; 2] = ["database", "object"];

/// A document (its bytes at `/documents/{id}/content`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentResponse {
    /// The document's id.
    pub id: i64,
    /// Its file name, shown to clients and used when they download it; the extension matches
    /// the content.
    pub name: String,
    /// Its media type (e.g. `application/pdf`), found from the content when uploaded.
    pub content_type: String,
    /// Its size in bytes.
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// The client it belongs to (only reminders to them carry it); `null` when it is for
    /// everyone.
    pub client_id: Option<i64>,
    /// Links to it answer 410 after this instant (UTC); `null`: they never expire.
    pub link_expires_at: Option<DateTime<Utc>>,
    /// Where its bytes are kept: `database`, or `object` (the configured object store).
    #[schema(schema_with = super::openapi::document_storage)]
    pub storage: &'static str,
    /// When it was uploaded (UTC).
    pub created_at: DateTime<Utc>,
    /// When it was last renamed or its expiry changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<document::Model> for DocumentResponse {
    fn from(row: document::Model) -> Self {
        Self {
            id: row.id,
            name: row.name,
            content_type: row.content_type,
            size_bytes: row.size_bytes,
            sha256: row.sha256,
            client_id: row.client_id,
            link_expires_at: row.link_expires_at.map(|at| at.0),
            storage: if row.storage_key.is_some() {
                STORAGE_KINDS[1]
            } else {
                STORAGE_KINDS[0]
            },
            created_at: row.created_at.0,
            updated_at: row.updated_at.0,
        }
    }
}

/// The upload form (`multipart/form-data`).
#[derive(utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "describes the multipart form in the OpenAPI document only"
)]
struct UploadForm {
    /// The file: PDF, PNG, JPEG, plain text, CSV, Word, Excel, PowerPoint or OpenDocument,
    /// recognised by its content; its name's extension must agree.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
    /// The client it is for (their invoice); omit for a document for everyone.
    client_id: Option<i64>,
    /// RFC 3339: links to it answer 410 after this; omit for links that never expire.
    link_expires_at: Option<DateTime<Utc>>,
}

/// `GET /documents` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// Only this client's own documents; omit for all, shared ones included.
    pub client_id: Option<i64>,
}

fn form_error(error: &MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::BadRequest(format!(
            "the multipart form cannot be read: {}",
            error.body_text()
        ))
    }
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![crate::domain::FieldError::new(field, message)])
}

/// Reads the form, stopping as soon as the file passes the limit.
async fn read_form(mut form: Multipart, limit: usize) -> ApiResult<Upload> {
    let mut file = None;
    let mut client_id = None;
    let mut link_expires_at = None;
    while let Some(mut field) = form.next_field().await.map_err(|e| form_error(&e))? {
        match field.name().unwrap_or_default() {
            "file" => {
                let name = field.file_name().unwrap_or("document").to_owned();
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| form_error(&e))? {
                    if bytes.len() + chunk.len() > limit {
                        return Err(ApiError::TooLarge(format!(
                            "Documents may be at most {limit} bytes."
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some((name, bytes));
            }
            "client_id" => {
                let text = field.text().await.map_err(|e| form_error(&e))?;
                client_id = Some(
                    text.trim()
                        .parse::<i64>()
                        .map_err(|_| invalid("client_id", "must be a client id"))?,
                );
            }
            "link_expires_at" => {
                let text = field.text().await.map_err(|e| form_error(&e))?;
                let at = DateTime::parse_from_rfc3339(text.trim())
                    .map_err(|_| invalid("link_expires_at", "must be an RFC 3339 date-time"))?
                    .with_timezone(&Utc);
                link_expires_at = Some(
                    crate::domain::date_range::check_utc(at)
                        .map_err(|message| invalid("link_expires_at", &message))?,
                );
            }
            other => {
                return Err(invalid(
                    other,
                    "unknown field: send file, client_id and link_expires_at",
                ));
            }
        }
    }
    let (name, bytes) = file.ok_or_else(|| invalid("file", "is required"))?;
    Ok(Upload {
        name,
        bytes,
        client_id,
        link_expires_at,
    })
}

/// Uploads a document.
///
/// Send `multipart/form-data` with `file`, and optionally `client_id` and `link_expires_at`.
/// Its type is found from its content: a type clients may not be sent is a 415, a file over
/// `DOCUMENT_MAX_BYTES` (default 10 MiB) a 413. Audited (`documents.uploaded`).
#[utoipa::path(
    post, path = "/documents", tag = "documents", security(("oauth2" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = DocumentResponse),
        (status = 413, description = "The file is larger than `DOCUMENT_MAX_BYTES`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart/form-data, or a file type clients may not be sent", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No or empty `file`, an unknown form field, or a bad `client_id` or `link_expires_at`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn upload_document(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<DocumentResponse>)> {
    let form = form.map_err(|_| {
        ApiError::UnsupportedMediaType("Send the document as multipart/form-data.".into())
    })?;
    let upload = read_form(form, state.settings.document_max_bytes).await?;
    let saved = documents::upload(&state, &actor, upload).await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// Lists the business's documents, newest first.
#[utoipa::path(
    get, path = "/documents", tag = "documents", security(("oauth2" = [])), params(DocumentQuery, ListWindow<DocumentSortKey>),
    responses(
        (status = 200, description = "A page of documents", body = ListResponse<DocumentResponse>),
        (status = 422, description = "`limit` or `offset` out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_documents(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<DocumentQuery>,
    window: ListWindow<DocumentSortKey>,
) -> ApiResult<Listed<DocumentResponse>> {
    let paged = documents::list(
        &state,
        &actor,
        query.client_id,
        window.sort,
        window.page.limit,
        window.page.offset,
    )
    .await?;
    Ok(window.answer(paged, DocumentResponse::from))
}

/// One document's details (its bytes are at `/documents/{id}/content`).
#[utoipa::path(
    get, path = "/documents/{id}", tag = "documents", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document", body = DocumentResponse),
        (status = 404, description = "No such document in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_document(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<DocumentResponse>> {
    Ok(Json(documents::get(&state, &actor, id).await?.into()))
}

/// Downloads a document's bytes, served as its clients get them.
///
/// With its own `Content-Type` and file name: PNG, JPEG and plain text are shown inline,
/// everything else (PDF included) is downloaded as an attachment.
#[utoipa::path(
    get, path = "/documents/{id}/content", tag = "documents", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Document id")),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 404, description = "No such document in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn download_document(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let (row, bytes) = documents::content(&state, &actor, id).await?;
    Ok(file_response(&row, bytes))
}

/// Renames a document or changes when its links expire.
///
/// A new expiry applies to every link to it, sent or not.
#[utoipa::path(
    patch, path = "/documents/{id}", tag = "documents", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Document id")),
    request_body = UpdateDocumentRequest,
    responses(
        (status = 200, description = "The document as changed", body = DocumentResponse),
        (status = 404, description = "No such document in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A name whose extension does not match the content, or an expiry outside 1970 to 9999", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update_document(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    ApiJson(request): ApiJson<UpdateDocumentRequest>,
) -> ApiResult<Json<DocumentResponse>> {
    Ok(Json(
        documents::update(&state, &actor, id, request).await?.into(),
    ))
}

/// Deletes a document, its bytes and its links (which then answer 410).
///
/// A document a reminder still carries (to everyone, or to one client) is refused with a 409
/// naming the reminders: take it off them first. Audited (`documents.deleted`).
#[utoipa::path(
    delete, path = "/documents/{id}", tag = "documents", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Document id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such document in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn delete_document(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    documents::delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// RFC 8187 encoding of a file name for `filename*`.
fn encoded_name(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A document's bytes with its type and name, and headers that keep the browser from running
/// anything in it: no sniffing, a sandboxing CSP, no caching, no referrer. PNG, JPEG and plain
/// text are shown inline, everything else is an attachment.
pub fn file_response(row: &document::Model, bytes: Vec<u8>) -> Response {
    serve(row, bytes, kind::is_inline(&row.content_type))
}

/// A document's bytes as [`file_response`] serves them, but always as an attachment: the
/// console's "Download".
pub(crate) fn download_response(row: &document::Model, bytes: Vec<u8>) -> Response {
    serve(row, bytes, false)
}

/// A document's bytes with its headers, shown inline or downloaded as asked.
fn serve(row: &document::Model, bytes: Vec<u8>, inline: bool) -> Response {
    let fallback: String = row
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "{}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        encoded_name(&row.name)
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    let set = |value: &str| {
        HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
    };
    headers.insert(header::CONTENT_TYPE, set(&row.content_type));
    headers.insert(header::CONTENT_DISPOSITION, set(&disposition));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        ),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    response
}
