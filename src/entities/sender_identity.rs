//! `sender_identities`: an address or number a business sends from, once verified.

use sea_orm::entity::prelude::*;

use super::Timestamp;
use crate::domain::Channel;

/// A sender identity of one business.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sender_identities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub business_id: i64,
    /// `email`, `sms` or `whatsapp`.
    pub channel: Channel,
    /// An e-mail address (lower case) or an E.164 number.
    pub address: String,
    /// Shown as the sender's name (e-mail).
    pub display_name: Option<String>,
    /// WhatsApp: the Cloud API's id of this number.
    pub phone_number_id: Option<String>,
    /// The business's default sender on its channel.
    pub is_default: bool,
    /// When its code was confirmed; unverified identities cannot be used.
    pub verified_at: Option<Timestamp>,
    /// Keyed hash of the code last sent, until verified.
    pub code_hash: Option<String>,
    pub code_sent_at: Option<Timestamp>,
    pub code_expires_at: Option<Timestamp>,
    /// Wrong codes entered against the current one.
    pub code_attempts: i32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
