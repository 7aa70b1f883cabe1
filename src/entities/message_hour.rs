//! `message_hours`: how many of a business's messages fall due in one hour (UTC), per channel
//! and status, kept for the dashboard (see `repositories::message_hours`).

use sea_orm::entity::prelude::*;

use super::Timestamp;
use crate::domain::{Channel, NotificationStatus};

/// The messages of one hour, channel and status.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_hours")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub business_id: i64,
    /// The hour's start: messages whose `occurrence_at` is in `[hour, hour + 1 h)`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hour: Timestamp,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: Channel,
    #[sea_orm(primary_key, auto_increment = false)]
    pub status: NotificationStatus,
    pub messages: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
