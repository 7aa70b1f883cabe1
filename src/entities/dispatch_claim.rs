//! `dispatch_claims`: how far a dispatcher's claim on a batch has started sending.

use sea_orm::entity::prelude::*;

/// A claim whose sends have started, by its token (the notifications' `claim_token`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dispatch_claims")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token: String,
    /// The claim's notifications up to this id have been handed to their send, so may have
    /// reached a provider; the rest have not. A claim starts its notifications in id order.
    pub started_through: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
