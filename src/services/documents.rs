//! Documents: uploaded files checked by their content, kept in the document store, for everyone
//! or for one client of the business.

use chrono::{DateTime, Utc};
use sea_orm::{IntoActiveModel, Set};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::audit::{self, Target};
use super::{ServiceError, ServiceResult, double_option};
use crate::documents::{StoreError, kind};
use crate::domain::{Actor, ClientId};
use crate::entities::{Timestamp, document};
use crate::repositories::{Paged, clients, documents};
use crate::startup::AppState;

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
    /// The name shown and downloaded (the extension must still match the content).
    pub name: Option<String>,
    /// Links stop working after this.
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
        storage: Set(state.documents.kind().to_owned()),
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
    limit: u64,
    offset: u64,
) -> ServiceResult<Paged<document::Model>> {
    Ok(documents::list(&state.db, actor.business, client_id, limit, offset).await?)
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
        let extension_fits = name.rsplit_once('.').is_none_or(|(_, extension)| {
            kind::extensions_of(&row.content_type)
                .contains(&extension.to_ascii_lowercase().as_str())
        });
        if !extension_fits {
            return Err(ServiceError::invalid(
                "name",
                format!("the extension must fit the content ({})", row.content_type),
            ));
        }
        active.name = Set(name);
    }
    if let Some(expiry) = request.link_expires_at {
        active.link_expires_at = Set(expiry.map(Timestamp));
    }
    active.updated_at = Set(state.clock.now().into());
    Ok(documents::update(&state.db, active).await?)
}

/// Deletes a document, its bytes and its links.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, document_id = id))]
pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> ServiceResult<()> {
    let row = get(state, actor, id).await?;
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
