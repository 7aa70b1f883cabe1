//! `audit_log`: who did what sensitive thing, and when.

use sea_orm::entity::prelude::*;

use super::Timestamp;

/// One audited action.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub business_id: i64,
    pub actor_user_id: Option<i64>,
    /// e.g. `user.added`, `providers.changed`, `client.erased`.
    pub action: String,
    /// `user`, `client`, `reminder`, `business`.
    pub target_type: String,
    pub target_id: Option<i64>,
    /// JSON object of what changed; never secrets or personal data.
    pub details: String,
    pub created_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
