//! `login_throttle`: failed sign-ins counted per account and per address, shared by all nodes.

use sea_orm::entity::prelude::*;

use super::Timestamp;

/// Failures of one key (`account:<email>` or `address:<ip>`) in the current window.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttle")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub throttle_key: String,
    pub failures: i32,
    pub window_started_at: Timestamp,
    pub locked_until: Option<Timestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
