//! `reminder_clients`: which clients a reminder goes to.

use sea_orm::entity::prelude::*;

use super::Timestamp;

/// A client assigned to a reminder.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminder_clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub reminder_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: i64,
    pub business_id: i64,
    /// The client's own document on this reminder (their invoice).
    pub document_id: Option<i64>,
    pub created_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
