//! `businesses`: a tenant.

use sea_orm::entity::prelude::*;

use super::Timestamp;

/// A business (tenant) and its settings.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "businesses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub timezone: String,
    /// Comma-separated channel names.
    pub default_channels: String,
    pub email_from: Option<String>,
    /// ISO 3166 alpha-2 region for phone numbers written without a country code.
    pub default_country: Option<String>,
    /// Local `HH:MM` when quiet hours begin (SMS and WhatsApp wait); with `quiet_hours_end`.
    pub quiet_hours_start: Option<String>,
    /// Local `HH:MM` when quiet hours end.
    pub quiet_hours_end: Option<String>,
    /// Default WhatsApp template (JSON `{name, language, parameters}`) for reminders naming none.
    pub whatsapp_template: Option<String>,
    /// Monthly caps per channel (JSON `{"sms": 1000}`): beyond them sends wait for next month.
    pub usage_caps: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
