//! `reminder_documents`: documents a reminder carries to every client.

use sea_orm::entity::prelude::*;

use super::Timestamp;

/// A document on a reminder.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminder_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub reminder_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub document_id: i64,
    pub business_id: i64,
    pub created_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
