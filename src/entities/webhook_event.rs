//! `webhook_events`: provider events already processed, so a redelivery is acknowledged and
//! ignored.

use sea_orm::entity::prelude::*;

use super::Timestamp;
use crate::domain::Provider;

/// One processed provider event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub provider: Provider,
    /// The provider's event id (or message id and status, for providers without event ids).
    pub event_id: String,
    pub received_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
