//! SMS through Twilio's Messages API: basic auth, a form body with `To`, `From` or
//! `MessagingServiceSid`, `Body` and our `StatusCallback`; the message SID is the provider id.
//! Error codes are classified: 429 and 5xx transient (honouring `Retry-After`), the rest
//! permanent with Twilio's code (21211 invalid number, 21610 the recipient replied STOP, …).

use secrecy::ExposeSecret;
use serde::Deserialize;

use super::accounts::Account;
use super::http::request_failed;
use super::{ChannelError, ConsoleTransport, Delivery, OutgoingMessage, Transport};
use crate::http::{retry_after, transient_status};

/// Sends SMS through the Twilio account of the message.
pub struct TwilioTransport {
    client: reqwest::Client,
    api_base: String,
    status_callback: String,
}

impl TwilioTransport {
    /// Calls `api_base` (normally `https://api.twilio.com`) and asks for status callbacks at
    /// `status_callback`.
    pub fn new(client: reqwest::Client, api_base: &str, status_callback: &str) -> Self {
        Self {
            client,
            api_base: api_base.trim_end_matches('/').to_owned(),
            status_callback: status_callback.to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct Created {
    sid: String,
    /// A string in Twilio's answers.
    num_segments: Option<String>,
}

/// Twilio's error body.
#[derive(Deserialize, Default)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
}

#[async_trait::async_trait]
impl Transport for TwilioTransport {
    async fn send(&self, message: &OutgoingMessage) -> Result<Delivery, ChannelError> {
        let account = match message.account()? {
            None => return ConsoleTransport.send(message).await,
            Some(Account::Twilio(account)) => account,
            Some(_) => {
                return Err(ChannelError::Permanent {
                    code: "wrong_account".into(),
                    message: "SMS needs a Twilio account".into(),
                });
            }
        };
        let mut form: Vec<(&str, &str)> = vec![("To", message.recipient.as_str())];
        match (
            &message.sender,
            &account.messaging_service_sid,
            &account.from_number,
        ) {
            (Some(sender), _, _) => form.push(("From", sender.address.as_str())),
            (None, Some(service), _) => form.push(("MessagingServiceSid", service)),
            (None, None, Some(from)) => form.push(("From", from)),
            (None, None, None) => {
                return Err(ChannelError::Permanent {
                    code: "no_sender".into(),
                    message: "the Twilio account has neither a from number nor a messaging service"
                        .into(),
                });
            }
        }
        form.push(("Body", message.body.as_str()));
        form.push(("StatusCallback", self.status_callback.as_str()));
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.api_base, account.account_sid
        );
        let response = self
            .client
            .post(url)
            .basic_auth(
                &account.account_sid,
                Some(account.auth_token.expose_secret()),
            )
            .form(&form)
            .send()
            .await
            .map_err(|error| request_failed("Twilio", &error))?;
        let status = response.status();
        let wait = retry_after(response.headers());
        if status.is_success() {
            let created: Created = response
                .json()
                .await
                .map_err(|error| request_failed("Twilio", &error))?;
            return Ok(Delivery {
                provider: "twilio".into(),
                provider_message_id: created.sid,
                segments: created.num_segments.and_then(|n| n.parse().ok()),
            });
        }
        let error: TwilioError = response.json().await.unwrap_or_default();
        let code = error.code.map_or_else(
            || format!("http_{}", status.as_u16()),
            |code| code.to_string(),
        );
        let text = error
            .message
            .unwrap_or_else(|| format!("Twilio answered {status}"));
        if transient_status(status) {
            Err(ChannelError::Transient {
                code,
                message: text,
                retry_after: wait,
            })
        } else {
            Err(ChannelError::Permanent {
                code,
                message: text,
            })
        }
    }
}
