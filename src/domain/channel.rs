//! Delivery channels and sets of them.

use serde::{Deserialize, Serialize};

/// A way to reach a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// E-mail over SMTP.
    Email,
    /// SMS through Twilio.
    Sms,
    /// WhatsApp Cloud API.
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

    /// Parses a name.
    pub fn parse(value: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|channel| channel.as_str() == value.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("{value:?} is not a channel: use email, sms or whatsapp"))
    }
}

/// An ordered set of channels without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelSet(Vec<Channel>);

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

    /// Reads the stored comma-separated form, skipping anything unknown.
    pub fn from_stored(value: &str) -> Self {
        Self(
            value
                .split(',')
                .filter_map(|name| Channel::parse(name).ok())
                .collect(),
        )
    }

    /// The stored comma-separated form.
    pub fn to_stored(&self) -> String {
        self.names().join(",")
    }

    /// The channel names, in order.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|c| c.as_str().to_owned()).collect()
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
