//! Documents: the business's files with their type, size and upload time, an upload form
//! (multipart, no JavaScript needed) with the API's checks and limit, and downloads. One
//! document's page is `document.rs`.

use std::sync::Arc;

use askama::Template;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::csrf;
use super::error::{PathId, WebError};
use super::layout::{Chrome, error_for, local, render};
use super::session::Staff;
use crate::domain::FieldError;
use crate::services::documents::Upload;
use crate::services::{self, ServiceError};
use crate::state::AppState;

/// Documents per page.
const PAGE_SIZE: u64 = 50;
/// Clients offered on the upload form.
const CLIENTS_SHOWN: u64 = 200;
/// Room for the multipart framing and the small fields around the file (as the API allows).
const FORM_OVERHEAD: usize = 64 * 1024;
/// How a `datetime-local` field writes a time.
const LOCAL_FIELD: &str = "%Y-%m-%dT%H:%M";

/// The body limit of the upload form: `DOCUMENT_MAX_BYTES` and the fields around the file.
pub(super) fn upload_limit(state: &AppState) -> DefaultBodyLimit {
    DefaultBodyLimit::max(state.settings.document_max_bytes + FORM_OVERHEAD)
}

/// A size for people: bytes, KB or MB (of 1024), one decimal.
pub(super) fn size(bytes: i64) -> String {
    let (tenths, unit) = match bytes {
        ..1024 => return format!("{bytes} bytes"),
        1024..1_048_576 => (bytes * 10 / 1024, "KB"),
        _ => (bytes * 10 / 1_048_576, "MB"),
    };
    format!("{}.{} {unit}", tenths / 10, tenths % 10)
}

/// An instant as a `datetime-local` field holds it, in the business's zone.
pub(super) fn local_field(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format(LOCAL_FIELD).to_string()
}

/// A link expiry typed in a `datetime-local` field, read in the business's zone; `None` when
/// the field is empty (links never expire). At a time the clocks skip it is an error; at one
/// they repeat, the earlier.
pub(super) fn expiry_from(text: &str, zone: Tz) -> Result<Option<DateTime<Utc>>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let naive = NaiveDateTime::parse_from_str(text, LOCAL_FIELD)
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| "Give a date and a time, such as 2031-01-31 17:00.".to_owned())?;
    let at = zone
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| format!("There is no {text} in {zone}: the clocks go forward then."))?;
    crate::domain::date_range::check_utc(at.with_timezone(&Utc)).map(Some)
}

/// The list's query: `?page=` counts from 1; `?notice=` names what the last action did.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    page: u64,
    notice: String,
}

/// What an action did, shown above the list.
fn notice(name: &str) -> Option<&'static str> {
    match name {
        "uploaded" => Some("Uploaded: a reminder can now carry it."),
        "deleted" => Some("Deleted: its links no longer open it."),
        _ => None,
    }
}

/// One document as listed.
struct Row {
    id: i64,
    name: String,
    kind: String,
    size: String,
    uploaded: String,
    /// The client it belongs to (id, name); `None` when it is for everyone.
    client: Option<(i64, String)>,
}

/// What the upload form held besides its file, kept when it is shown again.
#[derive(Debug, Default)]
struct UploadDraft {
    client_id: String,
    link_expires_at: String,
}

/// The documents page: the upload form and the list.
#[derive(Template)]
#[template(path = "documents.html")]
struct DocumentsPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    /// The largest file taken, for people.
    max_size: String,
    /// Clients the upload form offers (id, name), and whether there are more.
    clients: Vec<(i64, String)>,
    more_clients: bool,
    draft: UploadDraft,
    errors: Vec<FieldError>,
    rows: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
}

impl DocumentsPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }

    /// Whether the form had this client chosen.
    fn chosen(&self, id: &i64) -> bool {
        self.draft.client_id == id.to_string()
    }

    /// The link to another page of the list.
    fn page_link(&self, page: u64) -> String {
        format!("/documents?page={page}")
    }
}

/// The page at `page` (from 1), with the upload form as it was sent and its errors.
async fn page(
    state: &AppState,
    staff: &Staff,
    chrome: Chrome,
    page: u64,
    notice: Option<&'static str>,
    draft: UploadDraft,
    errors: Vec<FieldError>,
) -> Result<Html<String>, WebError> {
    let page = page.max(1);
    let found = services::documents::list(
        state,
        &staff.actor,
        None,
        Default::default(),
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let owners: Vec<i64> = found.items.iter().filter_map(|row| row.client_id).collect();
    let names = services::clients::names(state, &staff.actor, &owners).await?;
    let zone = chrome.zone();
    let rows = found
        .items
        .into_iter()
        .map(|row| Row {
            client: row.client_id.map(|id| {
                let name = names.get(&id).cloned();
                (id, name.unwrap_or_else(|| format!("client {id}")))
            }),
            id: row.id,
            kind: row
                .content_type
                .split(';')
                .next()
                .unwrap_or_default()
                .to_owned(),
            size: size(row.size_bytes),
            uploaded: local(row.created_at.0, zone),
            name: row.name,
        })
        .collect();
    let clients = services::clients::list(
        state,
        &staff.actor,
        None,
        services::clients::ClientSort::default(),
        CLIENTS_SHOWN,
        0,
        None,
    )
    .await?;
    render(&DocumentsPage {
        chrome,
        notice,
        max_size: size(i64::try_from(state.settings.document_max_bytes).unwrap_or(i64::MAX)),
        more_clients: clients.total > CLIENTS_SHOWN,
        clients: clients
            .items
            .into_iter()
            .map(|client| (client.id, client.name))
            .collect(),
        draft,
        errors,
        rows,
        total: found.total,
        page,
        pages: found.total.div_ceil(PAGE_SIZE).max(1),
    })
}

/// `GET /documents`.
pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "documents").await?;
    let notice = notice(&query.notice);
    page(
        &state,
        &staff,
        chrome,
        query.page,
        notice,
        UploadDraft::default(),
        Vec::new(),
    )
    .await
}

/// The upload form as read: its token, its choices, and the file (name and bytes) unless none
/// was chosen or it passed the limit.
#[derive(Default)]
struct Posted {
    csrf: String,
    draft: UploadDraft,
    file: Option<(String, Vec<u8>)>,
    too_large: bool,
}

/// The form read so far, marked too large, when `error` is the body limit's; otherwise the
/// upload broke off.
fn cut_off(mut posted: Posted, error: &MultipartError) -> Result<Posted, WebError> {
    if error.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return Err(WebError::Refused(
            StatusCode::BAD_REQUEST,
            "The upload broke off: try again.".into(),
        ));
    }
    posted.too_large = true;
    Ok(posted)
}

/// Reads the form, stopping as soon as the file passes `limit` bytes. The page's form sends
/// the token and the choices before the file, so they are read by then.
async fn read(mut form: Multipart, limit: usize) -> Result<Posted, WebError> {
    let mut posted = Posted::default();
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(posted),
            Err(error) => return cut_off(posted, &error),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let mut bytes = Vec::new();
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) if bytes.len() + chunk.len() > limit => {
                        posted.too_large = true;
                        return Ok(posted);
                    }
                    Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                    Ok(None) => break,
                    Err(error) => return cut_off(posted, &error),
                }
            }
            // A form sent without a file chosen has an empty part without a name.
            if !(file_name.is_empty() && bytes.is_empty()) {
                posted.file = Some((file_name, bytes));
            }
            continue;
        }
        let text = match field.text().await {
            Ok(text) => text,
            Err(error) => return cut_off(posted, &error),
        };
        match name.as_str() {
            "csrf" => posted.csrf = text,
            "client_id" => posted.draft.client_id = text.trim().to_owned(),
            "link_expires_at" => posted.draft.link_expires_at = text.trim().to_owned(),
            _ => {}
        }
    }
}

/// `POST /documents`: stores the file with the API's checks (its content decides its type,
/// `DOCUMENT_MAX_BYTES` its size); a refusal is shown beside its field.
pub(super) async fn upload(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let form = form.map_err(|_| {
        WebError::Refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the document from the upload form.".into(),
        )
    })?;
    let limit = state.settings.document_max_bytes;
    let posted = read(form, limit).await?;
    csrf::check_session(&state, &staff.claims, &headers, &posted.csrf)?;
    let chrome = Chrome::of(&state, &staff, "documents").await?;
    let zone = chrome.zone();
    let draft = posted.draft;
    let mut errors = Vec::new();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let client_id = match draft.client_id.as_str() {
        "" => None,
        id => {
            let parsed = id.parse::<i64>().ok();
            if parsed.is_none() {
                errors.push(FieldError::new(
                    "client_id",
                    "Choose a client from the list.",
                ));
            }
            parsed
        }
    };
    let link_expires_at = match expiry_from(&draft.link_expires_at, zone) {
        Ok(at) => at,
        Err(message) => {
            errors.push(FieldError::new("link_expires_at", message));
            None
        }
    };
    if posted.too_large {
        status = StatusCode::PAYLOAD_TOO_LARGE;
        errors.push(FieldError::new(
            "file",
            format!(
                "Documents may be at most {limit} bytes ({}).",
                size(i64::try_from(limit).unwrap_or(i64::MAX))
            ),
        ));
    } else if posted.file.is_none() {
        errors.push(FieldError::new("file", "Choose a file to upload."));
    }
    if let (Some((name, bytes)), true) = (posted.file, errors.is_empty()) {
        let upload = Upload {
            name,
            bytes,
            client_id,
            link_expires_at,
        };
        match services::documents::upload(&state, &staff.actor, upload).await {
            Ok(_) => return Ok(Redirect::to("/documents?notice=uploaded").into_response()),
            Err(ServiceError::TooLarge(message)) => {
                status = StatusCode::PAYLOAD_TOO_LARGE;
                errors.push(FieldError::new("file", message));
            }
            Err(ServiceError::UnsupportedMediaType(message)) => {
                status = StatusCode::UNSUPPORTED_MEDIA_TYPE;
                errors.push(FieldError::new("file", message));
            }
            Err(ServiceError::Validation(refused)) => errors = refused,
            Err(other) => return Err(other.into()),
        }
    }
    let html = page(&state, &staff, chrome, 1, None, draft, errors).await?;
    Ok((status, html).into_response())
}

/// `GET /documents/{id}/content`: the file as uploaded, as a download.
pub(super) async fn download(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    PathId(id): PathId,
) -> Result<Response, WebError> {
    let (row, bytes) = services::documents::content(&state, &staff.actor, id).await?;
    Ok(crate::api::documents::download_response(&row, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size(0), "0 bytes");
        assert_eq!(size(1023), "1023 bytes");
        assert_eq!(size(1536), "1.5 KB");
        assert_eq!(size(10 * 1024 * 1024), "10.0 MB");
    }

    #[test]
    fn expiries_are_read_in_the_business_zone() {
        let london = chrono_tz::Europe::London;
        assert_eq!(expiry_from("", london), Ok(None));
        let summer = expiry_from("2031-07-01T17:00", london).unwrap().unwrap();
        assert_eq!(summer.to_rfc3339(), "2031-07-01T16:00:00+00:00");
        assert_eq!(local_field(summer, london), "2031-07-01T17:00");
        // 01:30 on the last Sunday of March does not happen in London.
        assert!(expiry_from("2031-03-30T01:30", london).is_err());
        assert!(expiry_from("tomorrow", london).is_err());
    }
}
