//! `payment_clicks`: each opening of a payment link, with the notification that carried it.

use sea_orm::entity::prelude::*;

use super::Timestamp;
use crate::domain::Channel;

/// One click on a payment link.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_clicks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub payment_id: i64,
    pub business_id: i64,
    /// The notification whose link was opened, when it is known.
    pub notification_id: Option<i64>,
    pub channel: Option<Channel>,
    pub clicked_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
