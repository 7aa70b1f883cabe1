//! Delivery channels and sets of them.

use serde::{Deserialize, Serialize};

/// A way to reach a client: `email` (SMTP), `sms` (Twilio) or `whatsapp` (WhatsApp Cloud API);
/// stored by name.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    sea_orm::EnumIter,
    sea_orm::DeriveActiveEnum,
)]
#[serde(rename_all = "lowercase")]
#[sea_orm(
    rs_type = "String",
    db_type = "String(sea_orm::sea_query::StringLen::None)"
)]
pub enum Channel {
    /// E-mail over SMTP.
    #[sea_orm(string_value = "email")]
    Email,
    /// SMS through Twilio.
    #[sea_orm(string_value = "sms")]
    Sms,
    /// WhatsApp Cloud API.
    #[sea_orm(string_value = "whatsapp")]
    Whatsapp,
}

impl Channel {
    /// Every channel, in display order.
    pub const ALL: [Self; 3] = [Self::Email, Self::Sms, Self::Whatsapp];

    /// The stored and JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Whatsapp => "whatsapp",
        }
    }

    /// Whether its provider reports delivery: Twilio's status callbacks (SMS) and WhatsApp's
    /// status events move a sent message on to `delivered`, `read` or `failed`. SMTP only
    /// hands an e-mail on, so a sent e-mail stays `sent` whether it arrived or not.
    pub fn reports_delivery(self) -> bool {
        matches!(self, Self::Sms | Self::Whatsapp)
    }

    /// Parses a name.
    pub fn parse(value: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|channel| channel.as_str() == value.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("{value:?} is not a channel: use email, sms or whatsapp"))
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// An ordered set of channels without repeats; stored as a JSON array of names.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, sea_orm::DeriveValueType,
)]
#[serde(transparent)]
#[sea_orm(
    value_type = "String",
    from_str = "super::stored::from_json",
    to_str = "super::stored::to_json"
)]
pub struct ChannelSet(Vec<Channel>);

impl From<Vec<Channel>> for ChannelSet {
    /// A set of these channels, in order; repeats after the first are dropped.
    fn from(channels: Vec<Channel>) -> Self {
        let mut set = Vec::with_capacity(channels.len());
        for channel in channels {
            if !set.contains(&channel) {
                set.push(channel);
            }
        }
        Self(set)
    }
}

impl ChannelSet {
    /// Builds a set from names, refusing unknown names and repeats.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut channels = Vec::with_capacity(names.len());
        for name in names {
            let channel = Channel::parse(name.as_ref())?;
            if channels.contains(&channel) {
                return Err(format!("{} is listed twice", channel.as_str()));
            }
            channels.push(channel);
        }
        Ok(Self(channels))
    }

    /// The channel names, in order.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|c| c.as_str().to_owned()).collect()
    }

    /// The channels, in order, as a list.
    pub fn to_vec(&self) -> Vec<Channel> {
        self.0.clone()
    }

    /// The channels, in order.
    pub fn iter(&self) -> impl Iterator<Item = Channel> + '_ {
        self.0.iter().copied()
    }

    /// True when the set holds `channel`.
    pub fn contains(&self, channel: Channel) -> bool {
        self.0.contains(&channel)
    }

    /// True when no channel is in the set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
