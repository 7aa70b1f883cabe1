//! `users`: staff of one business.

use sea_orm::entity::prelude::*;

use super::Timestamp;
use crate::domain::Role;

/// A member of staff who signs in.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub business_id: i64,
    /// Lowercased; unique across all businesses (it identifies the account at sign-in).
    pub email: String,
    pub full_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// `owner`, `admin` or `member`.
    pub role: Role,
    pub is_active: bool,
    /// The name the original service's users signed in with, as written; unique per
    /// installation (case ignored). Only the original's paths and the importer set it.
    pub username: Option<String>,
    /// A contact number as the original service took it at registration (not used to send).
    pub phone: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
