//! Where document bytes live: in the database (`document_contents`, the default: the embedded
//! setup needs nothing else) or in S3-compatible object storage when `STORAGE_URL` names a
//! bucket, so every node reads the same files. Each document row says where its bytes are, so
//! documents stored before a switch stay readable.

use std::str::FromStr;
use std::sync::Arc;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

use crate::entities::{document, document_content};

/// Where a new document's bytes go, and how to read any document's.
#[derive(Clone)]
pub struct Store {
    object: Option<ObjectBucket>,
}

#[derive(Clone)]
struct ObjectBucket {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

/// Why bytes could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error("object storage: {0}")]
    Object(#[from] object_store::Error),
    #[error("the document is in object storage, but STORAGE_URL is not set")]
    NoObjectStorage,
    #[error("the document's bytes are missing")]
    Missing,
}

impl Store {
    /// In the database only.
    pub fn database() -> Self {
        Self { object: None }
    }

    /// From `STORAGE_URL`: `s3://bucket[/prefix][?option=value&…]`, where the options are the
    /// object store's S3 settings (`endpoint`, `region`, `allow_http`, …) over the `AWS_*`
    /// environment.
    pub fn from_url(url: Option<&str>) -> anyhow::Result<Self> {
        let Some(url) = url else {
            return Ok(Self::database());
        };
        let parsed = reqwest::Url::parse(url)?;
        let bucket = parsed
            .host_str()
            .filter(|bucket| !bucket.is_empty())
            .ok_or_else(|| anyhow::anyhow!("STORAGE_URL names no bucket"))?;
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        for (key, value) in parsed.query_pairs() {
            let key = AmazonS3ConfigKey::from_str(&key)
                .map_err(|_| anyhow::anyhow!("STORAGE_URL: unknown S3 option {key}"))?;
            builder = builder.with_config(key, value.to_string());
        }
        Ok(Self {
            object: Some(ObjectBucket {
                store: Arc::new(builder.build()?),
                prefix: parsed.path().trim_matches('/').to_owned(),
            }),
        })
    }

    /// The object key of a new document of a business, when new documents go to a bucket.
    pub fn new_key(&self, business_id: i64) -> Option<String> {
        self.object.as_ref().map(|bucket| {
            let name = format!("{business_id}/{}", uuid::Uuid::new_v4().simple());
            if bucket.prefix.is_empty() {
                name
            } else {
                format!("{}/{name}", bucket.prefix)
            }
        })
    }

    /// Stores the bytes of a document row just written (in the same transaction for the
    /// database; before it commits for a bucket, so a failed upload leaves no row).
    pub async fn put(
        &self,
        db: &impl ConnectionTrait,
        row: &document::Model,
        bytes: Vec<u8>,
    ) -> Result<(), StoreError> {
        match (&row.storage_key, &self.object) {
            (Some(key), Some(bucket)) => {
                bucket
                    .store
                    .put(&Path::from(key.as_str()), PutPayload::from(bytes))
                    .await?;
            }
            (Some(_), None) => return Err(StoreError::NoObjectStorage),
            (None, _) => {
                document_content::Entity::insert(document_content::ActiveModel {
                    document_id: Set(row.id),
                    bytes: Set(bytes),
                })
                .exec_without_returning(db)
                .await?;
            }
        }
        Ok(())
    }

    /// The bytes of a document.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        row: &document::Model,
    ) -> Result<Vec<u8>, StoreError> {
        match (&row.storage_key, &self.object) {
            (Some(key), Some(bucket)) => Ok(bucket
                .store
                .get(&Path::from(key.as_str()))
                .await?
                .bytes()
                .await?
                .to_vec()),
            (Some(_), None) => Err(StoreError::NoObjectStorage),
            (None, _) => document_content::Entity::find_by_id(row.id)
                .one(db)
                .await?
                .map(|content| content.bytes)
                .ok_or(StoreError::Missing),
        }
    }

    /// Removes a bucket object after its row is gone (database bytes go with the row).
    pub async fn remove_object(&self, row: &document::Model) {
        if let (Some(key), Some(bucket)) = (&row.storage_key, &self.object)
            && let Err(error) = bucket.store.delete(&Path::from(key.as_str())).await
        {
            tracing::warn!(document_id = row.id, %error, "document object left behind");
        }
    }
}
