//! `documents`: a file a firm keeps for its clients.

use sea_orm::entity::prelude::*;

use super::Timestamp;

/// A document of one business, for everyone or for one client.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub business_id: i64,
    /// The client it belongs to (their invoice); `None` when it is for everyone.
    pub client_id: Option<i64>,
    /// The file name shown and downloaded.
    pub name: String,
    /// Found from the content when uploaded.
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// The object key when in object storage; `None` when the bytes are in the database.
    pub storage_key: Option<String>,
    /// Links to it stop working after this.
    pub link_expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
