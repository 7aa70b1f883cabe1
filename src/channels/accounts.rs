//! Provider accounts a message goes out through, as the transports need them: the server or
//! API account and its sender. Which account serves a business is decided by
//! `services::accounts`.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::domain::Mailbox;

/// How an SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (a relay on the same host or network).
    None,
    /// Plain connection upgraded with `STARTTLS`, which is required.
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

impl SmtpTls {
    /// Parses `none`, `starttls` or `tls`.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "starttls" => Ok(Self::StartTls),
            "tls" | "ssl" => Ok(Self::Tls),
            other => Err(format!("{other:?}: use none, starttls or tls")),
        }
    }

    /// The usual port of the mode.
    pub fn default_port(self) -> u16 {
        match self {
            Self::None => 25,
            Self::StartTls => 587,
            Self::Tls => 465,
        }
    }
}

/// An SMTP server and the sender address used on it.
#[derive(Debug, Clone)]
pub struct SmtpAccount {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// The `From` mailbox; its display name, when it has one, is shown instead of the
    /// business's name. The business's own address goes in `Reply-To`.
    pub from_email: Option<Mailbox>,
    /// Messages per second the server takes from us.
    pub rate_per_second: f64,
    /// Named by a business (not the operator): connect only to public addresses.
    pub public_only: bool,
}

/// A Twilio account and the sender it uses.
#[derive(Debug, Clone)]
pub struct TwilioAccount {
    pub account_sid: String,
    pub auth_token: SecretString,
    pub from_number: Option<String>,
    pub messaging_service_sid: Option<String>,
    /// Messages per second of the sender (1 for a long code, more for a service or short code).
    pub rate_per_second: f64,
}

/// A WhatsApp Business phone number on the Cloud API.
#[derive(Debug, Clone)]
pub struct WhatsappAccount {
    pub phone_number_id: String,
    pub access_token: SecretString,
    /// Signs the webhooks of the app the number belongs to.
    pub app_secret: Option<SecretString>,
    /// Messages per second allowed by the number's tier.
    pub rate_per_second: f64,
}

/// One provider account.
#[derive(Debug, Clone)]
pub enum Account {
    Smtp(SmtpAccount),
    Twilio(TwilioAccount),
    Whatsapp(WhatsappAccount),
}

impl Account {
    /// Names the account and everything that changes its connection: connection pools and
    /// pacing are kept per key, so a changed password or server gets fresh ones.
    pub fn key(&self) -> String {
        let identity = match self {
            Self::Smtp(a) => format!(
                "smtp|{}|{}|{:?}|{}|{}",
                a.host,
                a.port,
                a.tls,
                a.username.as_deref().unwrap_or_default(),
                a.password
                    .as_ref()
                    .map(|p| p.expose_secret())
                    .unwrap_or_default()
            ),
            Self::Twilio(a) => format!(
                "twilio|{}|{}|{}|{}",
                a.account_sid,
                a.auth_token.expose_secret(),
                a.from_number.as_deref().unwrap_or_default(),
                a.messaging_service_sid.as_deref().unwrap_or_default()
            ),
            Self::Whatsapp(a) => format!(
                "whatsapp|{}|{}",
                a.phone_number_id,
                a.access_token.expose_secret()
            ),
        };
        hex::encode(&Sha256::digest(identity.as_bytes())[..12])
    }

    /// `smtp`, `twilio` or `whatsapp`.
    pub fn provider(&self) -> &'static str {
        match self {
            Self::Smtp(_) => "smtp",
            Self::Twilio(_) => "twilio",
            Self::Whatsapp(_) => "whatsapp",
        }
    }

    /// Messages per second the account may send.
    pub fn rate_per_second(&self) -> f64 {
        match self {
            Self::Smtp(a) => a.rate_per_second,
            Self::Twilio(a) => a.rate_per_second,
            Self::Whatsapp(a) => a.rate_per_second,
        }
    }
}

/// Where a message of one business and channel goes.
#[derive(Debug, Clone)]
pub enum Route {
    /// No account anywhere (development and testing): written to the console.
    Console,
    /// Through this account.
    Provider(Arc<Account>),
    /// Cannot be sent now (no account in production, sealed secrets that do not open).
    Unavailable {
        /// Our code for the reason.
        code: &'static str,
        /// What to fix.
        message: String,
    },
}
