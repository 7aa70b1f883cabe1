//! `idempotency_keys`: the first answer to a request sent with an `Idempotency-Key`.

use sea_orm::entity::prelude::*;

use super::Timestamp;

/// A remembered answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub business_id: i64,
    /// What the key was used for, e.g. `reminder_send:12`.
    pub scope: String,
    pub idempotency_key: String,
    /// JSON the repeated request is answered from.
    pub response: String,
    pub created_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
