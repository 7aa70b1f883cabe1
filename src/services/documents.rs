//! Documents: uploaded files checked by their content, kept in the document store, for everyone
//! or for one client of the business.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, IntoActiveModel, Set};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::audit::{self, Target};
use super::{ServiceError, ServiceResult, double_option};
use crate::documents::{StoreError, kind};
use crate::domain::{Actor, BusinessId, ClientId, Validation};
use crate::entities::{Timestamp, client, document, reminder};
pub use crate::repositories::document_links::{LinkSort, LinkSortKey};
pub use crate::repositories::documents::{DocumentSort, DocumentSortKey};
use crate::repositories::{Paged, clients, document_links, documents};
use crate::state::AppState;

/// A file as uploaded.
#[derive(Debug)]
pub struct Upload {
    /// The name the browser sent (any directories are dropped).
    pub name: String,
    pub bytes: Vec<u8>,
    /// The client it is for; `None` for everyone.
    pub client_id: Option<i64>,
    /// Links stop working after this.
    pub link_expires_at: Option<DateTime<Utc>>,
}

/// `PATCH /documents/{id}`: absent fields stay, `null` clears the expiry.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateDocumentRequest {
    /// A new file name, shown and downloaded: up to 255 characters, any directories dropped;
    /// its extension must still match the content.
    pub name: Option<String>,
    /// A new expiry (RFC 3339) after which links to it answer 410; `null`: never expire.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub link_expires_at: Option<Option<DateTime<Utc>>>,
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Database(error) => error.into(),
            other => Self::Internal(anyhow::Error::new(other).context("document store")),
        }
    }
}

/// The last path component of an uploaded name, without control characters; `document` when
/// nothing is left.
fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() {
        "document".to_owned()
    } else {
        trimmed.chars().take(255).collect()
    }
}

/// Stores an upload whose type, found from its bytes, is one clients may be sent.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0))]
pub async fn upload(
    state: &AppState,
    actor: &Actor,
    upload: Upload,
) -> ServiceResult<document::Model> {
    let limit = state.settings.document_max_bytes;
    if upload.bytes.len() > limit {
        return Err(ServiceError::TooLarge(format!(
            "Documents may be at most {limit} bytes; this one has {}.",
            upload.bytes.len()
        )));
    }
    if upload.bytes.is_empty() {
        return Err(ServiceError::invalid("file", "is empty"));
    }
    let name = clean_name(&upload.name);
    let kind = kind::detect(&upload.bytes, &name).map_err(ServiceError::UnsupportedMediaType)?;
    if let Some(client) = upload.client_id
        && clients::find(&state.db, actor.business, ClientId(client))
            .await?
            .is_none()
    {
        return Err(ServiceError::invalid(
            "client_id",
            format!("no such client: {client}"),
        ));
    }
    let now = state.clock.now();
    let row = document::ActiveModel {
        business_id: Set(actor.business.0),
        client_id: Set(upload.client_id),
        name: Set(name),
        content_type: Set(kind.content_type.to_owned()),
        size_bytes: Set(i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX)),
        sha256: Set(hex::encode(Sha256::digest(&upload.bytes))),
        storage_key: Set(state.documents.new_key(actor.business.0)),
        link_expires_at: Set(upload.link_expires_at.map(Timestamp)),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    };
    let txn = crate::db::begin_write(&state.db).await?;
    let saved = documents::insert(&txn, row).await?;
    state.documents.put(&txn, &saved, upload.bytes).await?;
    audit::record(
        &txn,
        actor,
        "documents.uploaded",
        Target::business(actor.business.0),
        json!({"document_id": saved.id, "client_id": saved.client_id, "size_bytes": saved.size_bytes}),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(document_id = saved.id, "document uploaded");
    Ok(saved)
}

/// The business's documents.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    client_id: Option<i64>,
    sort: DocumentSort,
    limit: u64,
    offset: u64,
) -> ServiceResult<Paged<document::Model>> {
    Ok(documents::list(&state.db, actor.business, client_id, sort, limit, offset).await?)
}

/// One document.
pub async fn get(state: &AppState, actor: &Actor, id: i64) -> ServiceResult<document::Model> {
    documents::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// One document and its bytes.
pub async fn content(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> ServiceResult<(document::Model, Vec<u8>)> {
    let row = get(state, actor, id).await?;
    let bytes = state.documents.get(&state.db, &row).await?;
    Ok((row, bytes))
}

/// Renames a document or changes when its links expire.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, document_id = id))]
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    request: UpdateDocumentRequest,
) -> ServiceResult<document::Model> {
    let row = get(state, actor, id).await?;
    let mut active = row.clone().into_active_model();
    if let Some(name) = &request.name {
        let name = clean_name(name);
        kind::check_name(&row.content_type, &name)
            .map_err(|message| ServiceError::invalid("name", message))?;
        active.name = Set(name);
    }
    if let Some(expiry) = request.link_expires_at {
        if let Some(at) = expiry {
            crate::domain::date_range::check_utc(at)
                .map_err(|message| ServiceError::invalid("link_expires_at", message))?;
        }
        active.link_expires_at = Set(expiry.map(Timestamp));
    }
    active.updated_at = Set(state.clock.now().into());
    Ok(documents::update(&state.db, active).await?)
}

/// Deletes a document, its bytes and its links.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, document_id = id))]
pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> ServiceResult<()> {
    let row = get(state, actor, id).await?;
    let carrying = document_links::reminders_carrying(&state.db, actor.business, id).await?;
    if !carrying.is_empty() {
        let ids: Vec<String> = carrying.iter().map(i64::to_string).collect();
        return Err(ServiceError::Conflict(format!(
            "Reminders {} carry this document: take it off them first.",
            ids.join(", ")
        )));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    documents::delete(&txn, actor.business, id).await?;
    audit::record(
        &txn,
        actor,
        "documents.deleted",
        Target::business(actor.business.0),
        json!({"document_id": id}),
    )
    .await?;
    txn.commit().await?;
    state.documents.remove_object(&row).await;
    Ok(())
}

/// A document a message carries, with the client's link to it.
#[derive(Debug, Clone)]
pub struct CarriedDocument {
    pub document_id: i64,
    pub name: String,
    pub link_id: i64,
}

/// What one reminder carries to one client: their own document first, then the shared ones;
/// and which of them e-mail attaches.
#[derive(Debug, Clone, Default)]
pub struct ClientDocuments {
    pub documents: Vec<CarriedDocument>,
    pub attach: Vec<i64>,
}

/// For each reminder and each of its clients, the documents it carries (`own` holds the
/// clients' own, as read with their assignments), their links made where missing. One query
/// when none of the reminders carries a document.
pub async fn carried(
    db: &impl ConnectionTrait,
    batch: &[(&reminder::Model, &[client::Model])],
    own: &HashMap<(i64, i64), i64>,
    attach_limit: usize,
    now: DateTime<Utc>,
) -> Result<HashMap<i64, HashMap<i64, ClientDocuments>>, DbErr> {
    let ids: Vec<i64> = batch.iter().map(|(reminder, _)| reminder.id).collect();
    let shared_of = document_links::shared_of_many(db, &ids).await?;
    if shared_of.is_empty() && own.is_empty() {
        return Ok(HashMap::new());
    }
    let mut wanted: Vec<i64> = shared_of.values().flatten().copied().collect();
    wanted.extend(own.values().copied());
    wanted.sort_unstable();
    wanted.dedup();
    let rows = document_links::documents(db, &wanted).await?;
    // (reminder, client) → documents, before links exist.
    let mut chosen: Vec<(&reminder::Model, i64, Vec<&document::Model>)> = Vec::new();
    for (reminder, clients) in batch {
        let shared = shared_of.get(&reminder.id).map_or(&[][..], Vec::as_slice);
        for client in *clients {
            let own = own.get(&(reminder.id, client.id)).into_iter().chain(shared);
            let mut documents: Vec<&document::Model> = Vec::new();
            for id in own {
                if let Some(row) = rows.get(id)
                    // Another client's document never goes to this one.
                    && row.client_id.is_none_or(|owner| owner == client.id)
                    && row.business_id == reminder.business_id
                    && !documents.iter().any(|d| d.id == row.id)
                {
                    documents.push(row);
                }
            }
            if !documents.is_empty() {
                chosen.push((reminder, client.id, documents));
            }
        }
    }
    let mut by_business: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for (reminder, client, documents) in &chosen {
        by_business
            .entry(reminder.business_id)
            .or_default()
            .extend(documents.iter().map(|d| (d.id, *client)));
    }
    let mut links = HashMap::new();
    for (business, pairs) in by_business {
        links.extend(document_links::ensure(db, BusinessId(business), &pairs, now).await?);
    }
    let mut carried: HashMap<i64, HashMap<i64, ClientDocuments>> = HashMap::new();
    for (reminder, client, documents) in chosen {
        let mut entry = ClientDocuments::default();
        let mut attached_bytes = 0usize;
        for row in documents {
            let Some(link_id) = links.get(&(row.id, client)) else {
                continue;
            };
            entry.documents.push(CarriedDocument {
                document_id: row.id,
                name: row.name.clone(),
                link_id: *link_id,
            });
            let size = usize::try_from(row.size_bytes).unwrap_or(usize::MAX);
            if reminder.attach_documents && attached_bytes.saturating_add(size) <= attach_limit {
                attached_bytes += size;
                entry.attach.push(row.id);
            }
        }
        carried
            .entry(reminder.id)
            .or_default()
            .insert(client, entry);
    }
    Ok(carried)
}

/// Checks the documents a reminder carries to everyone: the business's, and nobody's own.
pub async fn check_shared(
    state: &AppState,
    business: BusinessId,
    ids: &[i64],
    validation: &mut Validation,
) -> ServiceResult<Vec<i64>> {
    let mut wanted = ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let rows = document_links::documents(&state.db, &wanted).await?;
    for id in &wanted {
        match rows.get(id) {
            Some(row) if row.business_id == business.0 => {
                if let Some(owner) = row.client_id {
                    validation.push(
                        "document_ids",
                        format!(
                            "document {id} belongs to client {owner}, so it cannot go to every client of the reminder"
                        ),
                    );
                }
            }
            _ => validation.push("document_ids", format!("no such document: {id}")),
        }
    }
    Ok(wanted)
}

/// Checks the clients' own documents given on a reminder: each the business's, and the
/// client's or nobody's.
pub async fn check_own(
    state: &AppState,
    business: BusinessId,
    given: &[crate::services::reminders::ClientDocument],
) -> ServiceResult<()> {
    let ids: Vec<i64> = given.iter().filter_map(|g| g.document_id).collect();
    let rows = document_links::documents(&state.db, &ids).await?;
    for (client_id, document_id) in given
        .iter()
        .filter_map(|g| Some((g.client_id, g.document_id?)))
    {
        match rows.get(&document_id) {
            Some(row) if row.business_id == business.0 => match row.client_id {
                Some(owner) if owner != client_id => {
                    return Err(ServiceError::invalid(
                        "clients",
                        format!(
                            "document {document_id} belongs to client {owner}, not {client_id}"
                        ),
                    ));
                }
                _ => {}
            },
            _ => {
                return Err(ServiceError::invalid(
                    "clients",
                    format!("no such document: {document_id}"),
                ));
            }
        }
    }
    Ok(())
}

/// What a document link opens to.
pub enum LinkPage {
    /// The file.
    File(Box<document::Model>, Vec<u8>),
    /// It was revoked, has expired, or its document is gone.
    Gone(&'static str),
}

/// Opens a client's document link (no sign-in: the signature is the proof) and records the
/// open on the notification that carried it. A token whose signature fails is a 404.
#[tracing::instrument(skip_all)]
pub async fn open_link(state: &AppState, token: &str) -> ServiceResult<LinkPage> {
    let links = super::unsubscribe::Links::of(state);
    let target =
        crate::documents::links::parse(links.secret(), token).ok_or(ServiceError::NotFound)?;
    let Some(link) = document_links::find(&state.db, target.link_id).await? else {
        return Ok(LinkPage::Gone("This document has been removed."));
    };
    if link.revoked_at.is_some() {
        return Ok(LinkPage::Gone(
            "This link has been withdrawn by its sender.",
        ));
    }
    let Some(row) =
        documents::find(&state.db, BusinessId(link.business_id), link.document_id).await?
    else {
        return Ok(LinkPage::Gone("This document has been removed."));
    };
    let now = state.clock.now();
    if row.link_expires_at.is_some_and(|at| at.0 <= now) {
        return Ok(LinkPage::Gone("This link has expired."));
    }
    let bytes = state.documents.get(&state.db, &row).await?;
    let occurrence = DateTime::from_timestamp(target.occurrence, 0).unwrap_or(now);
    let notification = crate::repositories::notifications::find_for_occurrence(
        &state.db,
        target.reminder_id,
        link.client_id,
        target.channel,
        occurrence,
    )
    .await?
    .filter(|n| n.business_id == link.business_id);
    let txn = crate::db::begin_write(&state.db).await?;
    document_links::record_open(&txn, &link, notification.map(|n| n.id), now).await?;
    txn.commit().await?;
    metrics::counter!("document_opens_total").increment(1);
    Ok(LinkPage::File(Box::new(row), bytes))
}

/// A link of a document, with its opens.
#[derive(Debug)]
pub struct LinkWithOpens {
    pub link: crate::entities::document_link::Model,
    pub opens: Vec<crate::entities::document_open::Model>,
}

/// A page of the links of a document (one per client it went to), with their opens.
pub async fn links(
    state: &AppState,
    actor: &Actor,
    document_id: i64,
    sort: LinkSort,
    limit: u64,
    offset: u64,
) -> ServiceResult<Paged<LinkWithOpens>> {
    get(state, actor, document_id).await?;
    let links =
        document_links::of_document(&state.db, actor.business, document_id, sort, limit, offset)
            .await?;
    let ids: Vec<i64> = links.items.iter().map(|l| l.id).collect();
    let mut opens = document_links::opens(&state.db, &ids).await?;
    Ok(Paged {
        items: links
            .items
            .into_iter()
            .map(|link| LinkWithOpens {
                opens: opens.remove(&link.id).unwrap_or_default(),
                link,
            })
            .collect(),
        total: links.total,
    })
}

/// Withdraws one client's link to a document: it answers 410 from now on.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, document_id, link_id))]
pub async fn revoke_link(
    state: &AppState,
    actor: &Actor,
    document_id: i64,
    link_id: i64,
) -> ServiceResult<()> {
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    if !document_links::revoke(&txn, actor.business, document_id, link_id, now).await? {
        return Err(ServiceError::NotFound);
    }
    audit::record(
        &txn,
        actor,
        "documents.link_revoked",
        Target::business(actor.business.0),
        json!({"document_id": document_id, "link_id": link_id}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
