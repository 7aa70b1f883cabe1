//! `message_hours_state`: how far a business's `message_hours` are counted.

use sea_orm::entity::prelude::*;

use super::Timestamp;

/// One business's watermark.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_hours_state")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub business_id: i64,
    /// Messages changed (`updated_at`) before this, less the allowed lag, are counted.
    pub counted_through: Timestamp,
    /// When every hour was last counted afresh.
    pub rebuilt_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
