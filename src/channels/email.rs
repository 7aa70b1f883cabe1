//! E-mail over SMTP (lettre, rustls): a pooled connection per server, multipart plain text and
//! escaped HTML, our own `Message-ID` kept as the provider id, and RFC 8058 one-click
//! unsubscribe headers. 4xx replies are transient, 5xx permanent.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::accounts::{Account, SmtpAccount, SmtpTls};
use super::{ChannelError, ConsoleTransport, Delivery, OutgoingMessage, Transport, html, pacer};
use crate::security::egress;

type Smtp = AsyncSmtpTransport<Tokio1Executor>;

/// Sends e-mail through the SMTP server of the message's account.
#[derive(Default)]
pub struct EmailTransport {
    /// One pooled transport per account key, with when it was built.
    pools: Mutex<HashMap<String, (Smtp, Instant)>>,
}

fn permanent(code: &str, message: impl Into<String>) -> ChannelError {
    ChannelError::Permanent {
        code: code.to_owned(),
        message: message.into(),
    }
}

/// Connects to `address` (the checked address of a business's server, or the operator's host
/// name as given), with TLS verified against the server's name.
fn build_transport(account: &SmtpAccount, address: &str) -> Result<Smtp, ChannelError> {
    let misconfigured = |error: lettre::transport::smtp::Error| {
        permanent(
            "smtp_misconfigured",
            format!("SMTP server {}: {}", account.host, describe(&error)),
        )
    };
    let tls = || TlsParameters::new(account.host.clone()).map_err(misconfigured);
    let mut builder = Smtp::builder_dangerous(address)
        .port(account.port)
        .timeout(Some(Duration::from_secs(20)))
        .pool_config(
            PoolConfig::new()
                .max_size(pacer::ACCOUNT_CONCURRENCY as u32)
                .idle_timeout(Duration::from_secs(60)),
        );
    builder = match account.tls {
        SmtpTls::None => builder.tls(Tls::None),
        SmtpTls::StartTls => builder.tls(Tls::Required(tls()?)),
        SmtpTls::Tls => builder.tls(Tls::Wrapper(tls()?)),
    };
    if let (Some(username), Some(password)) = (&account.username, &account.password) {
        builder = builder.credentials(Credentials::new(
            username.clone(),
            password.expose_secret().to_owned(),
        ));
    }
    Ok(builder.build())
}

/// The message as it goes on the wire, and its `Message-ID` without angle brackets.
fn compose(
    message: &OutgoingMessage,
    account: &SmtpAccount,
) -> Result<(Message, String), ChannelError> {
    // A verified identity's own name, else the configured mailbox's, else the business's.
    let from = match &message.sender {
        Some(sender) => Mailbox::new(
            Some(
                sender
                    .display_name
                    .clone()
                    .unwrap_or_else(|| message.sender_name.clone()),
            ),
            sender
                .address
                .parse()
                .map_err(|_| permanent("no_sender", "the sender address is not valid"))?,
        ),
        None => account
            .from_email
            .as_ref()
            .ok_or_else(|| permanent("no_sender", "no sender address is configured"))?
            .to_lettre(&message.sender_name),
    };
    let from_address = from.email.clone();
    let to: Mailbox = message.recipient.parse().map_err(|_| {
        permanent(
            "invalid_address",
            "the client's e-mail address is not valid",
        )
    })?;
    let message_id = format!("{}@{}", uuid::Uuid::new_v4(), from_address.domain());
    let subject = message.subject.clone().unwrap_or_default();
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(subject.clone())
        .message_id(Some(format!("<{message_id}>")));
    if let Some(reply_to) = message
        .reply_to
        .as_deref()
        .and_then(|reply_to| reply_to.parse::<Mailbox>().ok())
        .filter(|reply_to| {
            let (reply_to, from): (&str, &str) = (reply_to.email.as_ref(), from_address.as_ref());
            !reply_to.eq_ignore_ascii_case(from)
        })
    {
        builder = builder.reply_to(reply_to);
    }
    if let Some(url) = &message.unsubscribe_url {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    let text = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(message.body.clone()),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(html::from_text(&message.body, &subject)),
        );
    let body = if message.attachments.is_empty() {
        text
    } else {
        // The text first, then each file (RFC 2046 multipart/mixed).
        let mut mixed = MultiPart::mixed().multipart(text);
        for file in &message.attachments {
            let kind = ContentType::parse(&file.content_type)
                .map_err(|error| permanent("invalid_attachment", error.to_string()))?;
            mixed = mixed.singlepart(
                LettreAttachment::new(file.name.clone()).body(file.bytes.to_vec(), kind),
            );
        }
        mixed
    };
    let email = builder
        .multipart(body)
        .map_err(|error| permanent("invalid_message", error.to_string()))?;
    Ok((email, message_id))
}

/// An SMTP failure in words that carry nothing of the far side but its SMTP status line: a
/// server that does not speak SMTP (a database port, say) is described, never echoed.
fn describe(error: &lettre::transport::smtp::Error) -> String {
    let text = if error.status().is_some() {
        error.to_string()
    } else if error.is_timeout() {
        "no answer in time".to_owned()
    } else if error.is_tls() {
        "the TLS handshake failed".to_owned()
    } else if error.is_response() {
        "the server's answer is not SMTP".to_owned()
    } else {
        error.to_string()
    };
    text.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect()
}

/// What an SMTP failure means: 5xx permanent, 4xx and lost connections transient.
fn classify(error: &lettre::transport::smtp::Error) -> ChannelError {
    let code = error.status().map(|code| code.to_string());
    if error.is_permanent() {
        return permanent(
            code.as_deref().unwrap_or("smtp_permanent"),
            format!("the SMTP server refused the message: {}", describe(error)),
        );
    }
    ChannelError::Transient {
        code: code.unwrap_or_else(|| {
            if error.is_timeout() {
                "timeout".into()
            } else {
                "smtp_unavailable".into()
            }
        }),
        message: format!("SMTP: {}", describe(error)),
        retry_after: None,
    }
}

/// How long a business's server's checked address is trusted before it is resolved again.
const RECHECK_AFTER: Duration = Duration::from_secs(300);

impl EmailTransport {
    fn pooled(&self, key: &str) -> Result<Option<Smtp>, ChannelError> {
        let pools = self
            .pools
            .lock()
            .map_err(|_| permanent("internal", "SMTP pools unavailable"))?;
        Ok(pools
            .get(key)
            .filter(|(_, built)| built.elapsed() < RECHECK_AFTER)
            .map(|(transport, _)| transport.clone()))
    }

    /// The pooled transport of an account. A business's server is resolved and checked to be
    /// public when its pool is built (and again every few minutes), and the pool connects to
    /// that checked address only.
    async fn transport_for(
        &self,
        account: &Account,
        smtp: &SmtpAccount,
    ) -> Result<Smtp, ChannelError> {
        let key = account.key();
        if let Some(transport) = self.pooled(&key)? {
            return Ok(transport);
        }
        let address = if smtp.public_only {
            let checked = egress::resolve_public(&smtp.host)
                .await
                .map_err(|message| permanent("host_not_allowed", message))?;
            checked.first().map(ToString::to_string).unwrap_or_default()
        } else {
            smtp.host.clone()
        };
        let transport = build_transport(smtp, &address)?;
        self.pools
            .lock()
            .map_err(|_| permanent("internal", "SMTP pools unavailable"))?
            .insert(key, (transport.clone(), Instant::now()));
        Ok(transport)
    }
}

#[async_trait::async_trait]
impl Transport for EmailTransport {
    async fn send(&self, message: &OutgoingMessage) -> Result<Delivery, ChannelError> {
        let account = match message.account()? {
            None => return ConsoleTransport.send(message).await,
            Some(account) => account,
        };
        let Account::Smtp(smtp) = account else {
            return Err(permanent("wrong_account", "e-mail needs an SMTP account"));
        };
        let transport = self.transport_for(account, smtp).await?;
        let (email, message_id) = compose(message, smtp)?;
        transport
            .send(email)
            .await
            .map_err(|error| classify(&error))?;
        Ok(Delivery {
            provider: "smtp".into(),
            provider_message_id: message_id,
            segments: None,
        })
    }
}
