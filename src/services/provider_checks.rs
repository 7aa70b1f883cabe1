//! `POST /business/providers/{provider}/test`: sends a test message through the business's own
//! account (or, for Stripe, makes a harmless authenticated call) and reports what the provider
//! said, so a firm knows its setup works before a reminder relies on it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::accounts::{business_mailbox, open_secrets, open_stored};
use super::audit::{self, Target};
use super::{ServiceError, ServiceResult};
use crate::channels::accounts::Route;
use crate::channels::{ChannelError, INTERACTIVE_SEND_TIMEOUT, OutgoingMessage};
use crate::domain::{Actor, Channel, Email, PhoneE164, Provider};
use crate::payments::stripe::StripeError;
use crate::repositories::{businesses, provider_credentials};
use crate::state::AppState;

/// Where to send the test message (not for Stripe).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ProviderTestRequest {
    /// Required except for Stripe: an e-mail address for `smtp`, or a phone number in E.164
    /// (`+44…`) for `twilio` and `whatsapp`.
    pub to: Option<String>,
}

/// What the provider said.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProviderTestResult {
    /// The provider tested: `smtp`, `twilio`, `whatsapp` or `stripe`.
    #[schema(value_type = crate::domain::Provider)]
    pub provider: String,
    /// True when the provider accepted the message (or the key).
    pub ok: bool,
    /// The provider's id for the test message; `null` for Stripe or when refused.
    pub provider_message_id: Option<String>,
    /// Why it was not accepted: the provider's error code, or the service's own (e.g.
    /// `unavailable` when Stripe could not be reached); `null` when `ok`.
    pub error_code: Option<String>,
    /// What happened, in words for the user (the provider's own message on a refusal).
    pub message: String,
}

/// Stored secrets that no longer open (the key that sealed them is gone): the firm must enter
/// them again, which is their fix, not a server error.
fn unreadable(provider: &str) -> ServiceError {
    ServiceError::invalid(
        "provider",
        format!(
            "the stored {provider} secrets cannot be opened with the current ENCRYPTION_KEY: enter them again"
        ),
    )
}

fn refused(provider: &str, error: ChannelError) -> ProviderTestResult {
    let (code, message) = error.into_parts();
    ProviderTestResult {
        provider: provider.to_owned(),
        ok: false,
        provider_message_id: None,
        error_code: Some(code),
        message,
    }
}

/// Tests one of the business's own provider accounts; owners and admins only.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, provider))]
pub async fn test(
    state: &AppState,
    actor: &Actor,
    name: &str,
    request: ProviderTestRequest,
) -> ServiceResult<ProviderTestResult> {
    if !actor.role.can_manage() {
        return Err(ServiceError::Forbidden(
            "Only owners and admins test provider accounts.".into(),
        ));
    }
    let provider: Provider = name.parse().map_err(|_| ServiceError::NotFound)?;
    let channel = match provider {
        Provider::Smtp => Some(Channel::Email),
        Provider::Twilio => Some(Channel::Sms),
        Provider::Whatsapp => Some(Channel::Whatsapp),
        Provider::Stripe => None,
    };
    let row = provider_credentials::find(&state.db, actor.business, provider)
        .await?
        .ok_or_else(|| {
            ServiceError::invalid(
                "provider",
                format!("no {provider} account is set (providers.{provider}): add one in the business's provider settings first"),
            )
        })?;
    let result = match channel {
        None => {
            let secrets = open_secrets(&row, &state.secrets).map_err(|_| unreadable(name))?;
            let key = secrets
                .get("secret_key")
                .and_then(Value::as_str)
                .map(|k| secrecy::SecretString::from(k.to_owned()))
                .ok_or_else(|| {
                    ServiceError::invalid("provider", "providers.stripe has no secret_key")
                })?;
            match state.stripe.check_key(&key).await {
                Ok(()) => ProviderTestResult {
                    provider: provider.to_string(),
                    ok: true,
                    provider_message_id: None,
                    error_code: None,
                    message: "Stripe accepted the secret key.".into(),
                },
                Err(StripeError::Permanent { code, message }) => ProviderTestResult {
                    provider: provider.to_string(),
                    ok: false,
                    provider_message_id: None,
                    error_code: Some(code),
                    message,
                },
                Err(other) => ProviderTestResult {
                    provider: provider.to_string(),
                    ok: false,
                    provider_message_id: None,
                    error_code: Some("unavailable".into()),
                    message: other.to_string(),
                },
            }
        }
        Some(channel) => send_test(state, actor, channel, name, &row, request).await?,
    };
    audit::record(
        &state.db,
        actor,
        "providers.tested",
        Target::business(actor.business.0),
        json!({"provider": provider, "ok": result.ok}),
    )
    .await?;
    Ok(result)
}

async fn send_test(
    state: &AppState,
    actor: &Actor,
    channel: Channel,
    provider: &str,
    row: &crate::entities::provider_credential::Model,
    request: ProviderTestRequest,
) -> ServiceResult<ProviderTestResult> {
    let to = request.to.unwrap_or_default();
    let recipient = match channel {
        Channel::Email => Email::parse(&to)
            .map(|email| email.as_str().to_owned())
            .map_err(|message| ServiceError::invalid("to", message))?,
        _ => PhoneE164::parse(&to, None)
            .map(|phone| phone.as_str().to_owned())
            .map_err(|message| ServiceError::invalid("to", message))?,
    };
    let business = businesses::find(&state.db, actor.business)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut account = open_stored(row, &state.secrets, &state.settings)
        .map_err(|_| unreadable(provider))?
        .ok_or_else(|| {
            ServiceError::invalid("provider", format!("providers.{provider} is incomplete"))
        })?;
    if let crate::channels::accounts::Account::Smtp(smtp) = &mut account
        && smtp.from_email.is_none()
    {
        smtp.from_email = business_mailbox(&business);
    }
    let mut message = OutgoingMessage::notice(
        business.id,
        channel,
        recipient,
        Route::Provider(Arc::new(account)),
        business.name.clone(),
        format!("{}: test message", business.name),
        format!(
            "This is a test message from {} through its own {provider} account. No action needed.",
            business.name
        ),
    );
    message.reply_to = business.email_from.clone();
    // Bounded below the request time limit, so a silent server is reported, not a 503.
    let sent = state
        .channels
        .send_within(&message, INTERACTIVE_SEND_TIMEOUT)
        .await;
    Ok(match sent {
        Ok(delivery) => ProviderTestResult {
            provider: provider.to_owned(),
            ok: true,
            provider_message_id: Some(delivery.provider_message_id),
            error_code: None,
            message: format!("{provider} accepted the test message."),
        },
        Err(error) => refused(provider, error),
    })
}
