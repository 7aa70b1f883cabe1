//! `businesses`: a tenant.

use sea_orm::entity::prelude::*;

use super::Timestamp;
use crate::domain::{ChannelSet, UsageCaps, WhatsappTemplate};

/// A business (tenant) and its settings.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "businesses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub timezone: String,
    /// The channels a client without preferences is reached on.
    pub default_channels: ChannelSet,
    pub email_from: Option<String>,
    /// ISO 3166 alpha-2 region for phone numbers written without a country code.
    pub default_country: Option<String>,
    /// Local `HH:MM` when quiet hours begin (SMS and WhatsApp wait); with `quiet_hours_end`.
    pub quiet_hours_start: Option<String>,
    /// Local `HH:MM` when quiet hours end.
    pub quiet_hours_end: Option<String>,
    /// The WhatsApp template reminders without their own send (parameters are templates).
    pub whatsapp_template: Option<WhatsappTemplate>,
    /// Monthly caps per channel: beyond them sends wait for next month.
    pub usage_caps: Option<UsageCaps>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
