//! CSV import of clients: rows are read one at a time from the uploaded bytes and written in
//! chunks, each chunk in one transaction. A row whose e-mail (or, without one, external_ref)
//! matches an existing client updates it; blank cells leave existing values alone. On MySQL and
//! PostgreSQL a chunk of new clients only is written alongside the one before it (the
//! database's work on two connections); any chunk that may update a client waits its turn.

mod parse;
mod write;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde::Serialize;
use tokio::sync::mpsc;

use self::write::{Matching, write_chunk};
use super::clients::phone_region;
use super::{ServiceError, ServiceResult};
use crate::db::Backend;
use crate::domain::Actor;
use crate::state::AppState;

/// Rows written per transaction.
const CHUNK: usize = 500;

/// Chunks of new clients written at once, each in its own transaction on its own connection,
/// where the database takes concurrent writers.
const WRITERS: usize = 2;

/// Adds what a written chunk did to `report`.
fn add_chunk(
    state: &AppState,
    written: ServiceResult<ImportReport>,
    report: &mut ImportReport,
) -> ServiceResult<()> {
    state.list_totals.forget_all();
    let written = written?;
    report.created += written.created;
    report.updated += written.updated;
    report.errors.extend(written.errors);
    Ok(())
}

/// The mark some editors put before UTF-8 text.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Columns the import understands; others are reported in `ignored_columns`.
pub const COLUMNS: [&str; 10] = [
    "name",
    "email",
    "phone",
    "whatsapp_opt_in",
    "preferred_channels",
    "timezone",
    "external_ref",
    "opted_out_email",
    "opted_out_sms",
    "opted_out_whatsapp",
];

/// One refused row.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportError {
    /// Line number in the file (the header is line 1).
    pub row: u64,
    /// The column at fault, or `row` for the row as a whole.
    pub field: String,
    /// What is wrong with it, e.g. `"+44 20" is not a valid phone number`.
    pub message: String,
}

/// What the import did.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// New clients.
    pub created: u64,
    /// Existing clients changed (matched by e-mail, else external_ref).
    pub updated: u64,
    /// Refused rows; the others were imported.
    pub errors: Vec<ImportError>,
    /// Header columns that were not understood and so not imported.
    pub ignored_columns: Vec<String>,
}

impl ImportReport {
    /// Records a refused row.
    fn refuse(&mut self, row: u64, field: &str, message: &str) {
        self.errors.push(ImportError {
            row,
            field: field.into(),
            message: message.into(),
        });
    }
}

/// Imports clients from CSV bytes with a header row. The rows are read and checked on a
/// blocking thread while earlier chunks are written.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, bytes = body.len()))]
pub async fn import_csv(
    state: &AppState,
    actor: &Actor,
    body: Bytes,
) -> ServiceResult<ImportReport> {
    let body = if body.starts_with(BYTE_ORDER_MARK) {
        body.slice(BYTE_ORDER_MARK.len()..)
    } else {
        body
    };
    let headers: Vec<String> = parse::reader(&body)
        .headers()
        .map_err(|error| {
            ServiceError::invalid("body", format!("the header row cannot be read: {error}"))
        })?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if !headers.iter().any(|h| h == "name") {
        return Err(ServiceError::invalid(
            "body",
            format!(
                "the header row needs a name column; known columns: {}",
                COLUMNS.join(",")
            ),
        ));
    }
    let mut report = ImportReport {
        ignored_columns: headers
            .iter()
            .filter(|h| !COLUMNS.contains(&h.as_str()))
            .cloned()
            .collect(),
        ..ImportReport::default()
    };
    let region = phone_region(&state.db, actor.business).await?;
    let mut matching = Matching::start(&state.db, actor).await?;

    let (sender, mut chunks) = mpsc::channel(1);
    let reading =
        tokio::task::spawn_blocking(move || parse::read_rows(&body, &headers, region, &sender));
    let writers = if Backend::from(state.db.get_database_backend()).writes_concurrently() {
        WRITERS
    } else {
        1
    };
    let mut writing = FuturesUnordered::new();
    loop {
        // Chunks being written go on while the next is read.
        let chunk = tokio::select! {
            chunk = chunks.recv() => chunk,
            Some(written) = writing.next() => {
                add_chunk(state, written, &mut report)?;
                continue;
            }
        };
        let Some(chunk) = chunk else {
            break;
        };
        report.errors.extend(chunk.errors);
        let lookups = matching.keys(&chunk.rows);
        // A chunk that may change stored clients (or those an earlier chunk writes) waits for
        // the chunks before it, as if written one after the other; one of new clients only
        // may go alongside them.
        let room = if lookups.0.is_empty() && lookups.1.is_empty() {
            writers
        } else {
            1
        };
        while writing.len() >= room
            && let Some(written) = writing.next().await
        {
            add_chunk(state, written, &mut report)?;
        }
        matching.note_rows(&chunk.rows);
        writing.push(write_chunk(&state.db, actor, chunk.rows, lookups));
    }
    while let Some(written) = writing.next().await {
        add_chunk(state, written, &mut report)?;
    }
    reading.await.map_err(|error| {
        ServiceError::Internal(anyhow::Error::new(error).context("reading the CSV rows stopped"))
    })?;
    report.errors.sort_by_key(|error| error.row);
    tracing::info!(
        created = report.created,
        updated = report.updated,
        errors = report.errors.len(),
        "clients imported"
    );
    Ok(report)
}
