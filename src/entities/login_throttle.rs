//! `login_throttle`: attempts counted per key (account, address, quota), shared by all nodes.

use sea_orm::entity::prelude::*;

use super::Timestamp;

/// Attempts of one key (`account:<email>`, `address:<ip>`, …) in the current window.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttle")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub throttle_key: String,
    /// Attempts taken in the window and not given back: failures, and checks still running.
    pub failures: i32,
    pub window_started_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
