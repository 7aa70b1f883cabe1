//! WhatsApp Cloud API webhooks: the verification handshake, and events signed with
//! `X-Hub-Signature-256` by the app secret of the number they concern.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{keyword, reply, report};
use crate::channels::accounts::Account;
use crate::domain::{BusinessId, Channel, Provider};
use crate::repositories::clients::AccountHolder;
use crate::repositories::notifications::DeliveryReport;
use crate::repositories::{provider_credentials, sender_identities};
use crate::security::webhook_signatures::verify_meta;
use crate::services::accounts::open_stored;
use crate::services::{ServiceError, ServiceResult};
use crate::state::AppState;

/// Answers Meta's `GET` handshake: the challenge when the verify token matches.
pub fn verify_subscription(
    state: &AppState,
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
) -> ServiceResult<String> {
    let expected = state.settings.providers.whatsapp_verify_token.as_ref();
    match (mode, token, challenge, expected) {
        (Some("subscribe"), Some(token), Some(challenge), Some(expected))
            if crate::security::tokens::same(token, expected.expose_secret()) =>
        {
            Ok(challenge.to_owned())
        }
        _ => Err(ServiceError::Forbidden(
            "The verify token does not match.".into(),
        )),
    }
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    value: Option<Value>,
}

#[derive(Deserialize)]
struct Value {
    metadata: Option<Metadata>,
    #[serde(default)]
    statuses: Vec<Status>,
    #[serde(default)]
    messages: Vec<Message>,
}

#[derive(Deserialize)]
struct Metadata {
    phone_number_id: String,
}

#[derive(Deserialize)]
struct Status {
    id: String,
    status: String,
    timestamp: Option<String>,
    #[serde(default)]
    errors: Vec<StatusError>,
}

#[derive(Deserialize)]
struct StatusError {
    code: Option<i64>,
    title: Option<String>,
    error_data: Option<ErrorData>,
}

#[derive(Deserialize)]
struct ErrorData {
    details: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    id: String,
    from: String,
    #[serde(rename = "type")]
    kind: String,
    text: Option<Text>,
}

#[derive(Deserialize)]
struct Text {
    body: String,
}

/// The failure a `failed` status explains, with our hint for the common causes.
fn failure(errors: &[StatusError]) -> DeliveryReport {
    let first = errors.first();
    let code = first.and_then(|e| e.code);
    let detail = first
        .and_then(|e| e.error_data.as_ref().and_then(|d| d.details.clone()))
        .or_else(|| first.and_then(|e| e.title.clone()))
        .unwrap_or_else(|| "not delivered".into());
    let hint = match code {
        Some(131047) => {
            " Outside the 24-hour window only an approved template is delivered: set whatsapp_template on the reminder or the business."
        }
        Some(131026) => " The number cannot receive WhatsApp messages.",
        Some(130429 | 131056) => " WhatsApp's rate limit was reached.",
        _ => "",
    };
    DeliveryReport::Failed {
        code: code.map_or_else(|| "failed".to_owned(), |c| c.to_string()),
        message: format!("{detail}{hint}"),
    }
}

/// The holders whose app secret signed the body, each with the phone number id it owns.
async fn verified_numbers(
    state: &AppState,
    phone_number_ids: &[String],
    body: &[u8],
    signature: &str,
) -> ServiceResult<Vec<(AccountHolder, String)>> {
    let mut candidates: Vec<(AccountHolder, String, SecretString)> = Vec::new();
    if let Some(platform) = &state.settings.providers.whatsapp
        && let Some(secret) = &platform.app_secret
    {
        candidates.push((
            AccountHolder::Platform {
                provider: Provider::Whatsapp,
            },
            platform.phone_number_id.clone(),
            secret.clone(),
        ));
    }
    for id in phone_number_ids {
        for row in
            provider_credentials::find_by_account_ref(&state.db, Provider::Whatsapp, id).await?
        {
            if let Ok(Some(Account::Whatsapp(account))) =
                open_stored(&row, &state.secrets, &state.settings)
                && let Some(secret) = account.app_secret
            {
                candidates.push((
                    AccountHolder::Business(row.business_id),
                    account.phone_number_id,
                    secret,
                ));
            }
        }
        // A verified sender identity's number belongs to its business's app.
        for identity in sender_identities::whatsapp_by_number_id(&state.db, id).await? {
            let own = provider_credentials::find(
                &state.db,
                BusinessId(identity.business_id),
                Provider::Whatsapp,
            )
            .await?;
            if let Some(row) = own
                && let Ok(Some(Account::Whatsapp(account))) =
                    open_stored(&row, &state.secrets, &state.settings)
                && let Some(secret) = account.app_secret
            {
                candidates.push((
                    AccountHolder::Business(identity.business_id),
                    id.clone(),
                    secret,
                ));
            }
        }
    }
    Ok(candidates
        .into_iter()
        .filter(|(_, _, secret)| verify_meta(secret.expose_secret(), body, signature))
        .map(|(holder, number, _)| (holder, number))
        .collect())
}

fn unix_time(timestamp: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(timestamp?.parse().ok()?, 0)
}

/// An event notification: statuses move notifications on; STOP/START replies opt out or in.
/// Entries for numbers the signing app does not own are ignored.
pub async fn event(state: &AppState, body: &[u8], signature: Option<&str>) -> ServiceResult<()> {
    let forbidden = || ServiceError::Forbidden("The X-Hub-Signature-256 does not match.".into());
    let signature = signature.ok_or_else(forbidden)?;
    let payload: Option<Payload> = serde_json::from_slice(body).ok();
    // Each number looked up once, however often the (not yet verified) body repeats it.
    let numbers: Vec<String> = payload
        .iter()
        .flat_map(|p| &p.entry)
        .flat_map(|e| &e.changes)
        .filter_map(|c| c.value.as_ref()?.metadata.as_ref())
        .map(|m| m.phone_number_id.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let verified = verified_numbers(state, &numbers, body, signature).await?;
    if verified.is_empty() {
        return Err(forbidden());
    }
    let Some(payload) = payload else {
        return Err(ServiceError::invalid(
            "body",
            "is not a WhatsApp webhook payload",
        ));
    };
    for value in payload
        .entry
        .iter()
        .flat_map(|e| &e.changes)
        .filter_map(|c| c.value.as_ref())
    {
        let Some(number) = value.metadata.as_ref().map(|m| m.phone_number_id.as_str()) else {
            continue;
        };
        let holders: Vec<AccountHolder> = verified
            .iter()
            .filter(|(_, owned)| owned == number)
            .map(|(holder, _)| *holder)
            .collect();
        if holders.is_empty() {
            tracing::warn!("WhatsApp event for a number the signing app does not own ignored");
            continue;
        }
        for status in &value.statuses {
            let outcome = match status.status.as_str() {
                "delivered" => DeliveryReport::Delivered,
                "read" => DeliveryReport::Read,
                "failed" => failure(&status.errors),
                _ => continue,
            };
            let at = unix_time(status.timestamp.as_deref()).unwrap_or_else(|| state.clock.now());
            report(
                state,
                Provider::Whatsapp,
                &holders,
                &status.id,
                &format!("{}:{}", status.id, status.status),
                &outcome,
                at,
            )
            .await?;
        }
        for message in &value.messages {
            let word = match (&message.kind[..], &message.text) {
                ("text", Some(text)) => keyword(&text.body),
                _ => None,
            };
            let Some(word) = word else { continue };
            let phone = format!("+{}", message.from.trim_start_matches('+'));
            reply(
                state,
                Provider::Whatsapp,
                &holders,
                &phone,
                Channel::Whatsapp,
                word,
                &message.id,
            )
            .await?;
        }
    }
    Ok(())
}
