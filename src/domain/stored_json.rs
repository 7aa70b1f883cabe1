//! Structured values kept as JSON text in one column each. The entities name these types, so a
//! row is decoded once, by the ORM, and never re-parsed with a fallback elsewhere.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Channel;

/// An approved WhatsApp template and its body parameters. On a reminder each parameter is a
/// template itself (`{{ client.name }}`); on a notification it is rendered for its client.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, sea_orm::DeriveValueType,
)]
#[sea_orm(
    value_type = "String",
    from_str = "super::stored::from_json",
    to_str = "super::stored::to_json"
)]
pub struct WhatsappTemplate {
    /// The template's name as approved by Meta, e.g. `vat_due` (up to 512 characters).
    pub name: String,
    /// Its language code as approved, e.g. `en_GB` (up to 20 characters).
    pub language: String,
    /// Body parameters `{{1}}`, `{{2}}`, … in order, each a template with the variables of a
    /// reminder's `body` and checked as it is, e.g. `["{{ client.name }}", "{{ due_date }}"]`.
    #[serde(default)]
    pub parameters: Vec<String>,
}

/// The sender identity a reminder sends from on each channel (channel → identity id); a
/// channel not named sends from the business's default identity or the account's sender.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, sea_orm::DeriveValueType,
)]
#[serde(transparent)]
#[sea_orm(
    value_type = "String",
    from_str = "super::stored::from_json",
    to_str = "super::stored::to_json"
)]
pub struct SendersByChannel(pub BTreeMap<Channel, i64>);

impl SendersByChannel {
    /// The identity named for `channel`.
    pub fn get(&self, channel: Channel) -> Option<i64> {
        self.0.get(&channel).copied()
    }

    /// Every identity id, in channel order.
    pub fn ids(&self) -> Vec<i64> {
        self.0.values().copied().collect()
    }
}

/// A provider account's non-secret settings (host, account SID, phone number id, pace …), as
/// given; its secrets are sealed apart.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, sea_orm::DeriveValueType,
)]
#[serde(transparent)]
#[sea_orm(
    value_type = "String",
    from_str = "super::stored::from_json",
    to_str = "super::stored::to_json"
)]
pub struct ProviderSettings(pub serde_json::Map<String, serde_json::Value>);

/// The ids of the documents an e-mail attaches, in order.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, sea_orm::DeriveValueType,
)]
#[serde(transparent)]
#[sea_orm(
    value_type = "String",
    from_str = "super::stored::from_json",
    to_str = "super::stored::to_json"
)]
pub struct DocumentIds(pub Vec<i64>);

/// Monthly caps on messages sent per channel (calendar months, UTC); a channel without a cap
/// is unlimited. Beyond its cap a channel's sends wait for the next month (`quota_exceeded`).
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    sea_orm::DeriveValueType,
)]
#[serde(deny_unknown_fields)]
#[sea_orm(
    value_type = "String",
    from_str = "super::stored::from_json",
    to_str = "super::stored::to_json"
)]
pub struct UsageCaps {
    /// E-mails a month, 0 or more; `null` or absent: unlimited.
    pub email: Option<i64>,
    /// SMS messages a month (each counted once, whatever its parts), 0 or more; `null` or
    /// absent: unlimited.
    pub sms: Option<i64>,
    /// WhatsApp messages a month, 0 or more; `null` or absent: unlimited.
    pub whatsapp: Option<i64>,
}

impl UsageCaps {
    /// The cap of a channel.
    pub fn of(&self, channel: Channel) -> Option<i64> {
        match channel {
            Channel::Email => self.email,
            Channel::Sms => self.sms,
            Channel::Whatsapp => self.whatsapp,
        }
    }

    /// True when no channel is capped.
    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.sms.is_none() && self.whatsapp.is_none()
    }
}
