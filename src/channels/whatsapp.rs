//! WhatsApp through Meta's Cloud API: `POST {base}/{phone-number-id}/messages` with a bearer
//! token. An approved template goes when the reminder or business names one (the only kind Meta
//! accepts outside the 24-hour window); otherwise the body goes as text. Graph error codes are
//! classified: rate limits and Meta's own failures transient, the rest permanent.

use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};

use super::accounts::Account;
use super::http::request_failed;
use super::{
    ChannelError, ConsoleTransport, Delivery, OutgoingMessage, Transport, WhatsappTemplate,
};
use crate::http::{retry_after, transient_status};

/// Sends WhatsApp messages through the Cloud API number of the message's account.
pub struct WhatsappTransport {
    client: reqwest::Client,
    api_base: String,
}

impl WhatsappTransport {
    /// Calls `api_base`, the Graph API with its version (`https://graph.facebook.com/v23.0`).
    pub fn new(client: reqwest::Client, api_base: &str) -> Self {
        Self {
            client,
            api_base: api_base.trim_end_matches('/').to_owned(),
        }
    }
}

/// Graph error codes worth trying again: throughput and pair rate limits, Meta's own failures.
const TRANSIENT_CODES: [i64; 5] = [4, 80007, 130429, 131000, 131056];

/// The request body for one message.
pub fn request_body(recipient: &str, body: &str, template: Option<&WhatsappTemplate>) -> Value {
    // Meta takes the number without the leading '+'.
    let to = recipient.trim_start_matches('+');
    match template {
        Some(template) => {
            let parameters: Vec<Value> = template
                .parameters
                .iter()
                .map(|text| json!({"type": "text", "text": text}))
                .collect();
            let mut components = Vec::new();
            if !parameters.is_empty() {
                components.push(json!({"type": "body", "parameters": parameters}));
            }
            json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "template",
                "template": {
                    "name": template.name,
                    "language": {"code": template.language},
                    "components": components,
                },
            })
        }
        None => json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"body": body, "preview_url": true},
        }),
    }
}

#[derive(Deserialize)]
struct Sent {
    messages: Vec<SentMessage>,
}

#[derive(Deserialize)]
struct SentMessage {
    id: String,
}

#[derive(Deserialize, Default)]
struct GraphErrorBody {
    error: Option<GraphError>,
}

#[derive(Deserialize)]
struct GraphError {
    code: Option<i64>,
    message: Option<String>,
    error_data: Option<Value>,
}

/// What a Graph error code means.
pub fn is_transient_code(code: i64) -> bool {
    TRANSIENT_CODES.contains(&code)
}

#[async_trait::async_trait]
impl Transport for WhatsappTransport {
    async fn send(&self, message: &OutgoingMessage) -> Result<Delivery, ChannelError> {
        let account = match message.account()? {
            None => return ConsoleTransport.send(message).await,
            Some(Account::Whatsapp(account)) => account,
            Some(_) => {
                return Err(ChannelError::Permanent {
                    code: "wrong_account".into(),
                    message: "WhatsApp needs a Cloud API account".into(),
                });
            }
        };
        let number = message
            .sender
            .as_ref()
            .and_then(|sender| sender.phone_number_id.as_deref())
            .unwrap_or(&account.phone_number_id);
        let url = format!("{}/{number}/messages", self.api_base);
        let body = request_body(
            &message.recipient,
            &message.body,
            message.whatsapp_template.as_ref(),
        );
        let response = self
            .client
            .post(url)
            .bearer_auth(account.access_token.expose_secret())
            .json(&body)
            .send()
            .await
            .map_err(|error| request_failed("WhatsApp", &error))?;
        let status = response.status();
        let wait = retry_after(response.headers());
        if status.is_success() {
            let sent: Sent = response
                .json()
                .await
                .map_err(|error| request_failed("WhatsApp", &error))?;
            let id = sent
                .messages
                .into_iter()
                .next()
                .map(|m| m.id)
                .ok_or_else(|| ChannelError::Permanent {
                    code: "unconfirmed".into(),
                    message: "WhatsApp accepted the request but returned no message id".into(),
                })?;
            return Ok(Delivery {
                provider: "whatsapp".into(),
                provider_message_id: id,
                segments: None,
            });
        }
        let error = response
            .json::<GraphErrorBody>()
            .await
            .unwrap_or_default()
            .error;
        let code = error.as_ref().and_then(|e| e.code);
        let details = error
            .as_ref()
            .and_then(|e| e.error_data.as_ref())
            .and_then(|data| data.get("details"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let text = details
            .or_else(|| error.and_then(|e| e.message))
            .unwrap_or_else(|| format!("WhatsApp answered {status}"));
        let code_text = code.map_or_else(|| format!("http_{}", status.as_u16()), |c| c.to_string());
        if transient_status(status) || code.is_some_and(is_transient_code) {
            Err(ChannelError::Transient {
                code: code_text,
                message: text,
                retry_after: wait,
            })
        } else {
            Err(ChannelError::Permanent {
                code: code_text,
                message: text,
            })
        }
    }
}
