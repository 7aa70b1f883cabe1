//! Delivery channels behind one trait: the engine hands a rendered message to the transport of
//! its channel and learns either the provider's message id or why it failed, transiently (try
//! again later) or permanently (give up now, keep the code).

mod console;

use std::sync::Arc;
use std::time::Duration;

pub use console::ConsoleTransport;

use crate::domain::Channel;

/// A rendered message ready to go.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    /// The notification it delivers.
    pub notification_id: i64,
    /// Whose message it is.
    pub business_id: i64,
    /// The channel.
    pub channel: Channel,
    /// Address or E.164 number.
    pub recipient: String,
    /// E-mail subject.
    pub subject: Option<String>,
    /// The text.
    pub body: String,
}

/// A provider accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `console`, `smtp`, `twilio`, `whatsapp`.
    pub provider: String,
    /// The provider's id for the message.
    pub provider_message_id: String,
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// Worth another try later (timeouts, 5xx, rate limits).
    #[error("transient {code}: {message}")]
    Transient {
        /// Provider or our own code.
        code: String,
        /// What happened.
        message: String,
        /// The provider's `Retry-After`, when it gave one.
        retry_after: Option<Duration>,
    },
    /// Trying again cannot help (invalid number, unsubscribed).
    #[error("permanent {code}: {message}")]
    Permanent {
        /// Provider or our own code.
        code: String,
        /// What happened.
        message: String,
    },
}

/// Sends messages of one channel.
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    /// Sends one message.
    async fn send(&self, message: &OutgoingMessage) -> Result<Delivery, ChannelError>;
}

/// The transport of each channel.
#[derive(Clone)]
pub struct Channels {
    email: Arc<dyn Transport>,
    sms: Arc<dyn Transport>,
    whatsapp: Arc<dyn Transport>,
}

impl Channels {
    /// One transport per channel.
    pub fn new(
        email: Arc<dyn Transport>,
        sms: Arc<dyn Transport>,
        whatsapp: Arc<dyn Transport>,
    ) -> Self {
        Self {
            email,
            sms,
            whatsapp,
        }
    }

    /// Every channel on the console transport.
    pub fn console() -> Self {
        let console: Arc<dyn Transport> = Arc::new(ConsoleTransport);
        Self::new(console.clone(), console.clone(), console)
    }

    /// The transport of a channel.
    pub fn transport(&self, channel: Channel) -> &Arc<dyn Transport> {
        match channel {
            Channel::Email => &self.email,
            Channel::Sms => &self.sms,
            Channel::Whatsapp => &self.whatsapp,
        }
    }
}
