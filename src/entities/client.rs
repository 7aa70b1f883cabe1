//! `clients`: the people a business reminds.

use sea_orm::entity::prelude::*;

use super::Timestamp;
use crate::domain::ChannelSet;

/// A client of one business.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub business_id: i64,
    pub name: String,
    /// Lowercased; unique within the business.
    pub email: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub whatsapp_opt_in: bool,
    /// The channels they accept, in order; empty means the business's defaults.
    pub preferred_channels: ChannelSet,
    /// IANA name; `None` means the business's timezone.
    pub timezone: Option<String>,
    pub external_ref: Option<String>,
    pub opted_out_email: bool,
    pub opted_out_sms: bool,
    pub opted_out_whatsapp: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When the client's personal data was erased (the row stays for anonymous counts).
    pub erased_at: Option<Timestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
