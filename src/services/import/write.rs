//! Writing one chunk of an import's rows in one transaction: rows matching a stored client
//! update it, the others become new clients inserted together.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue, DatabaseConnection, IntoActiveModel, Iterable, Set,
    TransactionTrait,
};

use super::ImportReport;
use super::parse::ParsedRow;
use crate::domain::Actor;
use crate::entities::client;
use crate::repositories::clients;
use crate::services::clients::blank_row;
use crate::services::{ServiceResult, is_unique_violation};

/// Which rows may match a stored client, so that the others skip the lookup.
pub(super) enum Matching {
    /// The business had too many clients to hold their keys: any row may match one.
    Any,
    /// Only a row sharing an e-mail or reference (case ignored, as MySQL compares them) with a
    /// client stored when the import began, or with a row an earlier chunk of this import
    /// wrote, can match. A client added meanwhile through the API shows as a clash when
    /// inserting, and the row is refused rather than lost.
    Known {
        emails: HashSet<String>,
        refs: HashSet<String>,
    },
}

impl Matching {
    /// Clients a business may have for the import to hold their keys (about 100 bytes each).
    const KNOWN_MOST: u64 = 200_000;

    /// How an import into `business` starts.
    pub async fn start(db: &DatabaseConnection, actor: &Actor) -> ServiceResult<Self> {
        let Some(stored) = clients::keys_of_at_most(db, actor.business, Self::KNOWN_MOST).await?
        else {
            return Ok(Self::Any);
        };
        let mut known = Self::Known {
            emails: HashSet::new(),
            refs: HashSet::new(),
        };
        for (email, reference) in stored {
            known.note(email.as_deref(), reference.as_deref());
        }
        Ok(known)
    }

    /// Notes a written client's e-mail and reference.
    fn note(&mut self, email: Option<&str>, reference: Option<&str>) {
        if let Self::Known { emails, refs } = self {
            emails.extend(email.map(str::to_lowercase));
            refs.extend(reference.map(str::to_lowercase));
        }
    }

    /// The e-mails and references of `rows` worth looking up; none when no row can match a
    /// client stored or being written.
    pub fn keys(&self, rows: &[ParsedRow]) -> (Vec<String>, Vec<String>) {
        let wanted = |key: &Option<String>, known: Option<&HashSet<String>>| {
            key.as_ref()
                .filter(|key| known.is_none_or(|set| set.contains(&key.to_lowercase())))
                .cloned()
        };
        let (emails, refs) = match self {
            Self::Any => (None, None),
            Self::Known { emails, refs } => (Some(emails), Some(refs)),
        };
        (
            rows.iter()
                .filter_map(|r| wanted(&r.email, emails))
                .collect(),
            rows.iter()
                .filter_map(|r| wanted(&r.external_ref, refs))
                .collect(),
        )
    }

    /// Notes the e-mails and references of the rows a chunk is about to write, for later
    /// chunks: a later row sharing one is looked up (a superset of what the chunk stores, as a
    /// refused row's keys are noted too; a needless lookup finds nothing).
    pub fn note_rows(&mut self, rows: &[ParsedRow]) {
        for row in rows {
            self.note(row.email.as_deref(), row.external_ref.as_deref());
        }
    }
}

/// Copies the columns `values` sets onto `target`.
fn merge(target: &mut client::ActiveModel, values: &client::ActiveModel) {
    for column in client::Column::iter() {
        if let ActiveValue::Set(value) = values.get(column) {
            target.set(column, value);
        }
    }
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

/// Writes `rows` in one transaction, looking up stored clients by `emails` and `refs` only;
/// returns what was done.
pub(super) async fn write_chunk(
    db: &DatabaseConnection,
    actor: &Actor,
    rows: Vec<ParsedRow>,
    (emails, refs): (Vec<String>, Vec<String>),
) -> ServiceResult<ImportReport> {
    let mut report = ImportReport::default();
    if rows.is_empty() {
        return Ok(report);
    }
    let txn = crate::db::begin_write(db).await?;
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
            report.refuse(row.line, "external_ref", "belongs to another client");
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
                        report.refuse(row.line, "name", "is required for a new client");
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
                        report.refuse(
                            slot.line,
                            "row",
                            "another client has this e-mail or external_ref",
                        );
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        }
        Err(error) => return Err(error.into()),
    }
    txn.commit().await?;
    Ok(report)
}
