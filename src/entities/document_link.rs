//! `document_links`: one client's link to one document.

use sea_orm::entity::prelude::*;

use super::Timestamp;

/// The link through which a client opens a document.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub business_id: i64,
    pub document_id: i64,
    pub client_id: i64,
    /// When the firm revoked it; it then answers 410.
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
