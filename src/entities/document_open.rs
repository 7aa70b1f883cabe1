//! `document_opens`: each opening of a document link.

use sea_orm::entity::prelude::*;

use super::Timestamp;

/// One open.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document_opens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub business_id: i64,
    pub link_id: i64,
    /// The notification whose link was opened, when known.
    pub notification_id: Option<i64>,
    pub opened_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
