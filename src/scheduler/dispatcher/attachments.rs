//! The documents the e-mails of a batch attach, each read once and only for its own business.

use std::collections::HashMap;
use std::sync::Arc;

use crate::channels::Attachment;
use crate::entities::notification;
use crate::state::AppState;

/// The files each e-mail of a batch attaches (by notification id), every document read once.
/// A document deleted since the message was written is left out (its link answers 410); one
/// that exists but cannot be read now makes the row `None`, to be tried again later rather
/// than sent without it.
pub(super) async fn attachments_of(
    state: &AppState,
    rows: &[notification::Model],
) -> HashMap<i64, Option<Vec<Attachment>>> {
    let wanted: Vec<(&notification::Model, Vec<i64>)> = rows
        .iter()
        .map(|row| {
            let ids = row.attachment_ids.clone().map(|ids| ids.0);
            (row, ids.unwrap_or_default())
        })
        .filter(|(_, ids)| !ids.is_empty())
        .collect();
    let mut by_row = HashMap::new();
    if wanted.is_empty() {
        return by_row;
    }
    let mut ids: Vec<i64> = wanted
        .iter()
        .flat_map(|(_, ids)| ids.iter().copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let documents = match crate::repositories::document_links::documents(&state.db, &ids).await {
        Ok(documents) => documents,
        Err(error) => {
            tracing::warn!(%error, "attachments not read");
            return wanted.iter().map(|(row, _)| (row.id, None)).collect();
        }
    };
    let mut files: HashMap<i64, Attachment> = HashMap::new();
    for (id, row) in &documents {
        match state.documents.get(&state.db, row).await {
            Ok(bytes) => {
                files.insert(
                    *id,
                    Attachment {
                        name: row.name.clone(),
                        content_type: row.content_type.clone(),
                        bytes: Arc::new(bytes),
                    },
                );
            }
            Err(error) => tracing::warn!(document_id = id, %error, "attachment not read"),
        }
    }
    for (row, ids) in wanted {
        // Only the business's own documents, whatever the row says; gone ones are left out.
        let attached = ids
            .iter()
            .filter(|id| {
                documents
                    .get(id)
                    .is_some_and(|d| d.business_id == row.business_id)
            })
            .map(|id| files.get(id).cloned())
            .collect::<Option<Vec<_>>>();
        by_row.insert(row.id, attached);
    }
    by_row
}
