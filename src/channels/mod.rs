//! Delivery channels behind one trait: the engine hands a rendered message to the transport of
//! its channel and learns either the provider's message id or why it failed, transiently (try
//! again later) or permanently (give up now, keep the code).

pub mod accounts;
mod console;
mod email;
mod html;
pub mod http;
pub mod pacer;
mod twilio;
mod whatsapp;

use std::sync::Arc;
use std::time::Duration;

use accounts::{Account, Route};
pub use console::ConsoleTransport;

/// The names the transports record as a notification's `provider`.
pub const TRANSPORT_NAMES: [&str; 4] = ["smtp", "twilio", "whatsapp", "console"];
pub use email::EmailTransport;
pub use twilio::TwilioTransport;
pub use whatsapp::WhatsappTransport;

use crate::domain::Channel;
pub use crate::domain::WhatsappTemplate;

/// A verified sender identity a message goes out as, instead of the account's own sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The identity's id.
    pub identity_id: i64,
    /// The channel it sends on.
    pub channel: Channel,
    /// The e-mail address or E.164 number.
    pub address: String,
    /// Shown as the sender's name (e-mail).
    pub display_name: Option<String>,
    /// WhatsApp: the Cloud API's id of the number.
    pub phone_number_id: Option<String>,
    /// The business's default on its channel.
    pub is_default: bool,
}

/// A file an e-mail carries.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub name: String,
    pub content_type: String,
    pub bytes: Arc<Vec<u8>>,
}

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
    /// The account it goes through.
    pub route: Route,
    /// The business's name, shown as the e-mail sender.
    pub sender_name: String,
    /// The business's own address, for `Reply-To`.
    pub reply_to: Option<String>,
    /// The verified identity it is sent as; `None` for the account's own sender.
    pub sender: Option<Sender>,
    /// E-mail: the one-click unsubscribe link (RFC 8058).
    pub unsubscribe_url: Option<String>,
    /// WhatsApp: the template to send instead of free text.
    pub whatsapp_template: Option<WhatsappTemplate>,
    /// E-mail: files attached.
    pub attachments: Vec<Attachment>,
}

impl OutgoingMessage {
    /// A one-off message of the service itself (a code, a reset token, a provider test): no
    /// notification behind it, no identity, unsubscribe link, template or file.
    pub fn notice(
        business_id: i64,
        channel: Channel,
        recipient: String,
        route: Route,
        sender_name: String,
        subject: String,
        body: String,
    ) -> Self {
        Self {
            notification_id: 0,
            business_id,
            channel,
            recipient,
            subject: Some(subject),
            body,
            route,
            sender_name,
            reply_to: None,
            sender: None,
            unsubscribe_url: None,
            whatsapp_template: None,
            attachments: Vec::new(),
        }
    }

    /// The key its sends are paced under: the account, and for SMS and WhatsApp the number it
    /// goes out from (providers limit each sending number).
    pub fn pace_key(&self, account: &Account) -> String {
        match &self.sender {
            Some(sender) if self.channel != Channel::Email => {
                format!("{}|{}", account.key(), sender.address)
            }
            _ => account.key(),
        }
    }

    /// The provider account to use: `None` for the console, an error when the message cannot
    /// go (no account in production, unreadable credentials).
    pub fn account(&self) -> Result<Option<&Account>, ChannelError> {
        match &self.route {
            Route::Console => Ok(None),
            Route::Provider(account) => Ok(Some(account)),
            Route::Unavailable { code, message } => Err(ChannelError::Permanent {
                code: (*code).to_owned(),
                message: message.clone(),
            }),
        }
    }
}

/// A provider accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `console`, `smtp`, `twilio`, `whatsapp`.
    pub provider: String,
    /// The provider's id for the message.
    pub provider_message_id: String,
    /// SMS parts billed, as the provider reports them.
    pub segments: Option<i32>,
}

/// How long a send made while a request waits may take (below the request time limit).
pub const INTERACTIVE_SEND_TIMEOUT: Duration = Duration::from_secs(20);

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

impl ChannelError {
    /// The code and the message, whichever kind it is.
    pub fn into_parts(self) -> (String, String) {
        match self {
            Self::Transient { code, message, .. } | Self::Permanent { code, message } => {
                (code, message)
            }
        }
    }
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

    /// The real transports: SMTP, Twilio (at `twilio_api_base`, asking for status callbacks at
    /// `twilio_status_url`) and the WhatsApp Cloud API (at `whatsapp_api_base`), each falling
    /// back to the console for messages without an account.
    pub fn providers(
        twilio_api_base: &str,
        twilio_status_url: &str,
        whatsapp_api_base: &str,
    ) -> anyhow::Result<Self> {
        let client = crate::http::client()?;
        Ok(Self::new(
            Arc::new(EmailTransport::default()),
            Arc::new(TwilioTransport::new(
                client.clone(),
                twilio_api_base,
                twilio_status_url,
            )),
            Arc::new(WhatsappTransport::new(client, whatsapp_api_base)),
        ))
    }

    /// The transport of a channel.
    pub fn transport(&self, channel: Channel) -> &Arc<dyn Transport> {
        match channel {
            Channel::Email => &self.email,
            Channel::Sms => &self.sms,
            Channel::Whatsapp => &self.whatsapp,
        }
    }

    /// Sends one message while a request waits, bounded by `limit` so a silent provider is
    /// reported as a transient `timeout` rather than holding the request.
    pub async fn send_within(
        &self,
        message: &OutgoingMessage,
        limit: Duration,
    ) -> Result<Delivery, ChannelError> {
        tokio::time::timeout(limit, self.transport(message.channel).send(message))
            .await
            .unwrap_or_else(|_| {
                Err(ChannelError::Transient {
                    code: "timeout".into(),
                    message: format!("no answer within {} s", limit.as_secs()),
                    retry_after: None,
                })
            })
    }
}
