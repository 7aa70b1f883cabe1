//! Reading an import's CSV rows into validated changes, on a thread of its own: rows are read
//! one at a time and sent on in chunks, so the file is never held as parsed rows and the
//! database writes of one chunk overlap the checks of the next.

use bytes::Bytes;
use tokio::sync::mpsc;

use super::{CHUNK, ImportError};
use crate::domain::{CountryCode, Validation};
use crate::entities::client;
use crate::services::clients::{OptOutsPatch, UpdateClientRequest, apply_changes};

/// One row that passed its checks.
pub(super) struct ParsedRow {
    /// Its line in the file (the header is line 1).
    pub line: u64,
    /// The row's validated, normalised values; only the columns the row sets are `Set`.
    pub values: client::ActiveModel,
    /// Whether the row names the client (a new client needs a name).
    pub has_name: bool,
    /// The normalised e-mail, the row's first key to an existing client.
    pub email: Option<String>,
    /// The external reference, its key when it has no e-mail.
    pub external_ref: Option<String>,
}

/// Up to [`CHUNK`] rows read, with the refusals met while reading them.
#[derive(Default)]
pub(super) struct Chunk {
    pub rows: Vec<ParsedRow>,
    pub errors: Vec<ImportError>,
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

/// A CSV reader of the file's bytes, trimming cells and allowing short rows.
pub(super) fn reader(body: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body)
}

/// Reads every row after the header of `body` (without its byte-order mark), sending chunks
/// to `chunks` until the file ends or the receiver hangs up. Runs on a blocking thread.
pub(super) fn read_rows(
    body: &Bytes,
    headers: &[String],
    region: Option<CountryCode>,
    chunks: &mpsc::Sender<Chunk>,
) {
    let mut reader = reader(body);
    let mut lines = LineCounter::new(body);
    let mut chunk = Chunk::default();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
                if record.iter().all(str::is_empty) {
                    continue;
                }
                match parse_row(headers, &record, line, region) {
                    Ok(row) => chunk.rows.push(row),
                    Err(errors) => chunk.errors.extend(errors),
                }
            }
            Err(error) => chunk.errors.push(ImportError {
                row: error.position().map_or(0, |p| lines.line_at(p.byte())),
                field: "row".into(),
                message: format!("cannot be read: {error}"),
            }),
        }
        if chunk.rows.len() == CHUNK && chunks.blocking_send(std::mem::take(&mut chunk)).is_err() {
            return;
        }
    }
    let _ = chunks.blocking_send(chunk);
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
    let mut opted_out = OptOutsPatch::default();
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
