//! `reminder_occurrences`: what became of each occurrence a reminder reached.

use sea_orm::entity::prelude::*;

use super::Timestamp;
use crate::domain::OccurrenceOutcome;

/// One occurrence of a reminder and its outcome.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminder_occurrences")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub business_id: i64,
    pub reminder_id: i64,
    pub occurrence_at: Timestamp,
    pub outcome: OccurrenceOutcome,
    pub notification_count: i32,
    pub created_at: Timestamp,
    /// While its fan-out is under way, the last client id planned (clients are planned in id
    /// order, a chunk per transaction); null once every assigned client has been planned.
    pub planned_through: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
