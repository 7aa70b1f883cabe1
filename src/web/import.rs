//! Importing clients from a CSV file: upload, a look at the first rows and at the columns that
//! will be read, then the import with the API's rules and its report of every refused row. The
//! file travels back with the confirmation (nothing is kept on the server in between).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::csrf;
use super::error::WebError;
use super::layout::{Chrome, render};
use super::session::Staff;
use crate::services::import::{COLUMNS, ImportReport};
use crate::services::{self, ServiceError};
use crate::state::AppState;

/// Rows shown before importing.
const PREVIEW_ROWS: usize = 10;
/// The largest file the console takes (larger ones go through `POST /api/v1/clients/import`).
const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// The import form's own body limit, above the service's `MAX_BODY_BYTES`: a file up to twice
/// the largest taken gets the page that says so rather than a bare "too large".
pub(super) fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(2 * MAX_FILE_BYTES)
}

/// The import page in its three states: choose a file, look at it, see what was done.
#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    chrome: Chrome,
    /// The columns the file may have.
    columns: &'static [&'static str],
    /// A problem with the file itself.
    problem: Option<String>,
    /// After upload: the file, its header and first rows, and the columns that will be ignored.
    preview: Option<Preview>,
    /// After import: what was done.
    report: Option<ImportReport>,
}

struct Preview {
    file: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    total: usize,
    ignored: Vec<String>,
}

async fn page(
    state: &AppState,
    staff: &Staff,
    problem: Option<String>,
    preview: Option<Preview>,
    report: Option<ImportReport>,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(state, staff, "clients").await?;
    render(&ImportPage {
        chrome,
        columns: &COLUMNS,
        problem,
        preview,
        report,
    })
}

/// `GET /clients/import`.
pub(super) async fn form(
    State(state): State<Arc<AppState>>,
    staff: Staff,
) -> Result<Html<String>, WebError> {
    page(&state, &staff, None, None, None).await
}

/// Reads the file's header and first rows as the importer will.
fn preview_of(file: String) -> Result<Preview, String> {
    let text = file.strip_prefix('\u{feff}').unwrap_or(&file);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|error| format!("The header row cannot be read: {error}"))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if !header.iter().any(|h| h == "name") {
        return Err("The file needs a header row with a name column.".into());
    }
    let mut rows = Vec::new();
    let mut total = 0;
    for record in reader.records() {
        total += 1;
        if let Ok(record) = record
            && rows.len() < PREVIEW_ROWS
        {
            rows.push(record.iter().map(str::to_owned).collect());
        }
    }
    let ignored = header
        .iter()
        .filter(|h| !COLUMNS.contains(&h.as_str()))
        .cloned()
        .collect();
    Ok(Preview {
        file,
        header,
        rows,
        total,
        ignored,
    })
}

/// `POST /clients/import`: with a file, shows it; with `intent=import`, imports it.
pub(super) async fn submit(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let (mut token, mut intent, mut file) = (String::new(), String::new(), None);
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(|_| {
            WebError::Refused(StatusCode::BAD_REQUEST, "The upload broke off.".into())
        })?;
        match name.as_str() {
            "csrf" => token = String::from_utf8_lossy(&bytes).into_owned(),
            "intent" => intent = String::from_utf8_lossy(&bytes).into_owned(),
            "file" | "content" if !bytes.is_empty() => file = Some(bytes),
            _ => {}
        }
    }
    csrf::check_session(&state, &staff.claims, &headers, &token)?;
    let Some(bytes) = file else {
        let html = page(
            &state,
            &staff,
            Some("Choose a CSV file.".into()),
            None,
            None,
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    };
    if bytes.len() > MAX_FILE_BYTES {
        let problem = format!(
            "The file is larger than {} MB: import it through the API (POST /api/v1/clients/import).",
            MAX_FILE_BYTES / 1024 / 1024
        );
        let html = page(&state, &staff, Some(problem), None, None).await?;
        return Ok((StatusCode::PAYLOAD_TOO_LARGE, html).into_response());
    }
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        let problem = "The file is not UTF-8 text: save it as CSV UTF-8 and try again.".into();
        let html = page(&state, &staff, Some(problem), None, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    };
    if intent == "import" {
        return match services::import::import_csv(&state, &staff.actor, text.into()).await {
            Ok(report) => Ok(page(&state, &staff, None, None, Some(report))
                .await?
                .into_response()),
            Err(ServiceError::Validation(errors)) => {
                let problem = errors
                    .into_iter()
                    .map(|e| e.message)
                    .collect::<Vec<_>>()
                    .join("; ");
                let html = page(&state, &staff, Some(problem), None, None).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
            }
            Err(other) => Err(other.into()),
        };
    }
    match preview_of(text) {
        Ok(preview) => Ok(page(&state, &staff, None, Some(preview), None)
            .await?
            .into_response()),
        Err(problem) => {
            let html = page(&state, &staff, Some(problem), None, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}
