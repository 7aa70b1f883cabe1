//! `password_resets`: one-time tokens sent by e-mail to set a new password.

use sea_orm::entity::prelude::*;

use super::Timestamp;

/// A reset token, by the SHA-256 of its text; usable once before `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "password_resets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub expires_at: Timestamp,
    /// Set when the token was used; it never works again.
    pub used_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
