//! `provider_credentials`: a business's own SMTP, Twilio, WhatsApp or Stripe account.

use sea_orm::entity::prelude::*;

use super::Timestamp;
use crate::domain::{Provider, ProviderSettings};

/// One provider account of one business.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_credentials")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub business_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider: Provider,
    /// The non-secret settings (host, account SID, …).
    pub settings: ProviderSettings,
    /// JSON object of the secrets, sealed by `security::crypto::SecretBox`.
    pub secret: String,
    /// The key that sealed `secret`.
    pub key_id: String,
    /// The account's public id named by webhooks (Twilio account SID, WhatsApp phone number id).
    pub account_ref: Option<String>,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
