//! `refresh_tokens`: one row per issued refresh token, stored as a SHA-256 hash.

use sea_orm::entity::prelude::*;

use super::Timestamp;

/// A refresh token; tokens issued by rotation share a `family_id`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub family_id: String,
    pub token_hash: String,
    pub expires_at: Timestamp,
    /// Set when the token was exchanged; a second exchange revokes the family.
    pub used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
