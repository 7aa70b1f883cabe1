//! CSV import of clients: rows are read one at a time from the uploaded bytes and written in
//! chunks, each chunk in one transaction. A row whose e-mail (or, without one, external_ref)
//! matches an existing client updates it; blank cells leave existing values alone.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue, IntoActiveModel, Iterable, Set, TransactionTrait};
use serde::Serialize;

use super::clients::{UpdateClientRequest, apply_changes, blank_row, phone_region};
use super::{ServiceError, ServiceResult, is_unique_violation};
use crate::domain::{Actor, CountryCode, Validation};
use crate::entities::client;
use crate::repositories::clients;
use crate::state::AppState;

/// Rows written per transaction.
const CHUNK: usize = 500;

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

struct ParsedRow {
    line: u64,
    /// The row's validated, normalised values; only the columns the row sets are `Set`.
    values: client::ActiveModel,
    has_name: bool,
    email: Option<String>,
    external_ref: Option<String>,
}

/// Copies the columns `values` sets onto `target`.
fn merge(target: &mut client::ActiveModel, values: &client::ActiveModel) {
    for column in client::Column::iter() {
        if let ActiveValue::Set(value) = values.get(column) {
            target.set(column, value);
        }
    }
}

/// Line numbers of byte offsets in a file, counted forward once. (After a line ended by CRLF,
/// as spreadsheets write them, the CSV reader places the next record at the `\n` and counts
/// its line one short.)
struct LineCounter<'a> {
    body: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(body: &'a [u8]) -> Self {
        Self {
            body,
            byte: 0,
            line: 1,
        }
    }

    /// The 1-based line holding byte `offset`; offsets come in increasing order.
    fn line_at(&mut self, offset: u64) -> u64 {
        let mut offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.body.len());
        // A record placed on the `\n` of a CRLF starts after it.
        if self.body.get(offset) == Some(&b'\n') {
            offset += 1;
        }
        if offset > self.byte {
            let newlines = self.body[self.byte..offset]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.line += newlines as u64;
            self.byte = offset;
        }
        self.line
    }
}

/// Imports clients from CSV bytes with a header row.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, bytes = body.len()))]
pub async fn import_csv(
    state: &AppState,
    actor: &Actor,
    body: &[u8],
) -> ServiceResult<ImportReport> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers: Vec<String> = reader
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

    let mut chunk = Vec::with_capacity(CHUNK);
    let mut lines = LineCounter::new(body);
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
                if record.iter().all(str::is_empty) {
                    continue;
                }
                match parse_row(&headers, &record, line, region) {
                    Ok(row) => chunk.push(row),
                    Err(errors) => report.errors.extend(errors),
                }
            }
            Err(error) => report.errors.push(ImportError {
                row: error.position().map_or(0, |p| lines.line_at(p.byte())),
                field: "row".into(),
                message: format!("cannot be read: {error}"),
            }),
        }
        if chunk.len() == CHUNK {
            write_chunk(state, actor, std::mem::take(&mut chunk), &mut report).await?;
        }
    }
    write_chunk(state, actor, chunk, &mut report).await?;
    report.errors.sort_by_key(|error| error.row);
    tracing::info!(
        created = report.created,
        updated = report.updated,
        errors = report.errors.len(),
        "clients imported"
    );
    Ok(report)
}

fn parse_bool(field: &str, value: &str) -> Result<bool, ImportError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" => Ok(true),
        "0" | "false" | "no" | "n" => Ok(false),
        _ => Err(ImportError {
            row: 0,
            field: field.into(),
            message: format!("{value:?} is not true/false/yes/no/1/0"),
        }),
    }
}

fn parse_row(
    headers: &[String],
    record: &csv::StringRecord,
    line: u64,
    region: Option<CountryCode>,
) -> Result<ParsedRow, Vec<ImportError>> {
    let mut changes = UpdateClientRequest::default();
    let mut opted_out = super::clients::OptOutsPatch::default();
    let mut errors = Vec::new();
    for (header, value) in headers.iter().zip(record.iter()) {
        if value.is_empty() {
            continue;
        }
        if value.contains('\0') {
            errors.push(ImportError {
                row: line,
                field: header.clone(),
                message: "must not contain NUL characters".into(),
            });
            continue;
        }
        let text = Some(value.to_owned());
        match header.as_str() {
            "name" => changes.name = text,
            "email" => changes.email = Some(text),
            "phone" => changes.phone = Some(text),
            "timezone" => changes.timezone = Some(text),
            "external_ref" => changes.external_ref = Some(text),
            "preferred_channels" => {
                changes.preferred_channels = Some(
                    value
                        .split([';', '|', ','])
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                );
            }
            flag @ ("whatsapp_opt_in" | "opted_out_email" | "opted_out_sms"
            | "opted_out_whatsapp") => match parse_bool(flag, value) {
                Ok(value) => match flag {
                    "whatsapp_opt_in" => changes.whatsapp_opt_in = Some(value),
                    "opted_out_email" => opted_out.email = Some(value),
                    "opted_out_sms" => opted_out.sms = Some(value),
                    _ => opted_out.whatsapp = Some(value),
                },
                Err(error) => errors.push(ImportError { row: line, ..error }),
            },
            _ => {}
        }
    }
    if opted_out.email.is_some() || opted_out.sms.is_some() || opted_out.whatsapp.is_some() {
        changes.opted_out = Some(opted_out);
    }
    // Validate into a scratch row to learn the normalised e-mail and every field error.
    let mut scratch = <client::ActiveModel as Default>::default();
    let mut validation = Validation::new();
    apply_changes(&mut validation, &mut scratch, &changes, region);
    if let Err(field_errors) = validation.finish() {
        errors.extend(field_errors.into_iter().map(|e| ImportError {
            row: line,
            field: e.field,
            message: e.message,
        }));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ParsedRow {
        line,
        has_name: changes.name.is_some(),
        email: scratch.email.try_as_ref().cloned().flatten(),
        external_ref: scratch.external_ref.try_as_ref().cloned().flatten(),
        values: scratch,
    })
}

/// Where a row's changes go: an existing client, or a new one keyed by e-mail, reference or line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SlotKey {
    Existing(i64),
    Email(String),
    Reference(String),
    Line(u64),
}

struct Slot {
    model: client::ActiveModel,
    is_new: bool,
    line: u64,
}

async fn write_chunk(
    state: &AppState,
    actor: &Actor,
    rows: Vec<ParsedRow>,
    report: &mut ImportReport,
) -> ServiceResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let emails: Vec<String> = rows.iter().filter_map(|r| r.email.clone()).collect();
    let refs: Vec<String> = rows.iter().filter_map(|r| r.external_ref.clone()).collect();
    let txn = crate::db::begin_write(&state.db).await?;
    let mut existing: HashMap<i64, client::Model> = HashMap::new();
    for found in clients::find_by_emails(&txn, actor.business, &emails)
        .await?
        .into_iter()
        .chain(clients::find_by_external_refs(&txn, actor.business, &refs).await?)
    {
        existing.insert(found.id, found);
    }
    let id_by_email: HashMap<&str, i64> = existing
        .values()
        .filter_map(|c| c.email.as_deref().map(|e| (e, c.id)))
        .collect();
    let id_by_ref: HashMap<&str, i64> = existing
        .values()
        .filter_map(|c| c.external_ref.as_deref().map(|r| (r, c.id)))
        .collect();

    let mut slot_of: HashMap<SlotKey, usize> = HashMap::new();
    let mut slots: Vec<Slot> = Vec::new();
    for row in rows {
        let existing_id = match (&row.email, &row.external_ref) {
            (Some(email), _) => id_by_email.get(email.as_str()).copied(),
            (None, Some(reference)) => id_by_ref.get(reference.as_str()).copied(),
            (None, None) => None,
        };
        if let Some(owner) = row.external_ref.as_deref().and_then(|r| id_by_ref.get(r))
            && Some(*owner) != existing_id
        {
            report.errors.push(ImportError {
                row: row.line,
                field: "external_ref".into(),
                message: "belongs to another client".into(),
            });
            continue;
        }
        let key = match (existing_id, &row.email, &row.external_ref) {
            (Some(id), _, _) => SlotKey::Existing(id),
            (None, Some(email), _) => SlotKey::Email(email.clone()),
            (None, None, Some(reference)) => SlotKey::Reference(reference.clone()),
            (None, None, None) => SlotKey::Line(row.line),
        };
        let index = match slot_of.get(&key) {
            Some(index) => {
                report.updated += 1;
                *index
            }
            None => {
                let (model, is_new) = match existing_id.and_then(|id| existing.get(&id)) {
                    Some(found) => (found.clone().into_active_model(), false),
                    None if !row.has_name => {
                        report.errors.push(ImportError {
                            row: row.line,
                            field: "name".into(),
                            message: "is required for a new client".into(),
                        });
                        continue;
                    }
                    None => (blank_row(actor.business), true),
                };
                if is_new {
                    report.created += 1;
                } else {
                    report.updated += 1;
                }
                slots.push(Slot {
                    model,
                    is_new,
                    line: row.line,
                });
                slot_of.insert(key, slots.len() - 1);
                slots.len() - 1
            }
        };
        merge(&mut slots[index].model, &row.values);
    }

    let now = Utc::now();
    let mut new_rows = Vec::new();
    for mut slot in slots {
        if slot.is_new {
            new_rows.push(slot);
        } else if slot.model.is_changed() {
            slot.model.updated_at = Set(now.into());
            slot.model.update(&txn).await?;
        }
    }
    // New rows go in under a savepoint, so a clash (two new rows sharing a reference, or a
    // client created meanwhile) undoes only them; they are then tried one by one.
    let models = new_rows.iter().map(|slot| slot.model.clone()).collect();
    let batch = txn.begin().await?;
    match clients::insert_many(&batch, models).await {
        Ok(()) => batch.commit().await?,
        Err(error) if is_unique_violation(&error) => {
            batch.rollback().await?;
            for slot in new_rows {
                let single = txn.begin().await?;
                match clients::insert(&single, slot.model).await {
                    Ok(_) => single.commit().await?,
                    Err(error) if is_unique_violation(&error) => {
                        single.rollback().await?;
                        report.created -= 1;
                        report.errors.push(ImportError {
                            row: slot.line,
                            field: "row".into(),
                            message: "another client has this e-mail or external_ref".into(),
                        });
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        }
        Err(error) => return Err(error.into()),
    }
    txn.commit().await?;
    Ok(())
}
