//! A small typed client for the Stripe calls we make (Checkout Sessions), over reqwest with
//! form-encoded bracket parameters, and the classification of Stripe's answers.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::http::retry_after;

/// What a Checkout Session is asked to collect.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    pub amount: i64,
    pub currency: String,
    /// Shown as the product name on Stripe's page.
    pub name: String,
    pub payment_id: i64,
    pub business_id: i64,
    pub reminder_id: i64,
    pub notification_id: Option<i64>,
    pub customer_email: Option<String>,
    pub success_url: String,
    pub cancel_url: String,
}

impl CheckoutRequest {
    /// The form fields, in Stripe's bracket notation.
    pub fn form(&self) -> Vec<(String, String)> {
        let mut form: Vec<(String, String)> = vec![
            ("mode".into(), "payment".into()),
            ("line_items[0][quantity]".into(), "1".into()),
            (
                "line_items[0][price_data][currency]".into(),
                self.currency.clone(),
            ),
            (
                "line_items[0][price_data][unit_amount]".into(),
                self.amount.to_string(),
            ),
            (
                "line_items[0][price_data][product_data][name]".into(),
                self.name.clone(),
            ),
            (
                "client_reference_id".into(),
                format!("payment_{}", self.payment_id),
            ),
            ("success_url".into(), self.success_url.clone()),
            ("cancel_url".into(), self.cancel_url.clone()),
        ];
        let mut metadata = vec![
            ("payment_id", self.payment_id.to_string()),
            ("business_id", self.business_id.to_string()),
            ("reminder_id", self.reminder_id.to_string()),
        ];
        if let Some(notification) = self.notification_id {
            metadata.push(("notification_id", notification.to_string()));
        }
        for (key, value) in &metadata {
            form.push((format!("metadata[{key}]"), value.clone()));
            // The PaymentIntent carries them too, so its events find the payment.
            form.push((
                format!("payment_intent_data[metadata][{key}]"),
                value.clone(),
            ));
        }
        if let Some(email) = &self.customer_email {
            form.push(("customer_email".into(), email.clone()));
        }
        form
    }
}

/// A created Checkout Session.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    pub url: Option<String>,
    /// Unix seconds.
    pub expires_at: Option<i64>,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeError {
    /// No answer after the request was sent: retry with the same idempotency key.
    #[error("no answer from Stripe")]
    NoAnswer,
    /// Rate limit or Stripe's own failure: retry later with a new key (Stripe saved this one's
    /// failure and would replay it).
    #[error("Stripe is unavailable ({code})")]
    Transient {
        code: String,
        retry_after_seconds: Option<u64>,
    },
    /// The request itself is wrong (invalid request, card error, bad key): retrying cannot help.
    #[error("Stripe refused the request ({code}): {message}")]
    Permanent { code: String, message: String },
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    error: Option<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    message: Option<String>,
}

/// The Stripe API at a base URL (tests: a local fake).
#[derive(Clone)]
pub struct StripeClient {
    http: reqwest::Client,
    api_base: String,
}

impl StripeClient {
    pub fn new(http: reqwest::Client, api_base: &str) -> Self {
        Self {
            http,
            api_base: api_base.trim_end_matches('/').to_owned(),
        }
    }

    /// Checks a secret key with a harmless authenticated read (a session that does not exist):
    /// Stripe's "no such session" means the key was accepted.
    pub async fn check_key(&self, secret_key: &SecretString) -> Result<(), StripeError> {
        let response = self
            .http
            .get(format!(
                "{}/v1/checkout/sessions/cs_test_reminder_app_key_check",
                self.api_base
            ))
            .bearer_auth(secret_key.expose_secret())
            .send()
            .await
            .map_err(|_| StripeError::NoAnswer)?;
        let status = response.status();
        if status.is_success() || status.as_u16() == 404 {
            return Ok(());
        }
        let detail = response.json::<ErrorBody>().await.unwrap_or_default().error;
        Err(StripeError::Permanent {
            code: detail
                .as_ref()
                .and_then(|d| d.code.clone().or_else(|| d.kind.clone()))
                .unwrap_or_else(|| format!("http_{}", status.as_u16())),
            message: detail
                .and_then(|d| d.message)
                .unwrap_or_else(|| format!("Stripe answered {status}")),
        })
    }

    /// Creates a Checkout Session; the same `idempotency_key` never creates a second one.
    pub async fn create_checkout_session(
        &self,
        secret_key: &SecretString,
        idempotency_key: &str,
        request: &CheckoutRequest,
    ) -> Result<CheckoutSession, StripeError> {
        let response = self
            .http
            .post(format!("{}/v1/checkout/sessions", self.api_base))
            .bearer_auth(secret_key.expose_secret())
            .header("Idempotency-Key", idempotency_key)
            .form(&request.form())
            .send()
            .await
            .map_err(|_| StripeError::NoAnswer)?;
        let status = response.status();
        if status.is_success() {
            return response.json().await.map_err(|_| StripeError::NoAnswer);
        }
        let wait = retry_after(response.headers()).map(|d| d.as_secs());
        let detail = response.json::<ErrorBody>().await.unwrap_or_default().error;
        let code = detail
            .as_ref()
            .and_then(|d| d.code.clone().or_else(|| d.kind.clone()))
            .unwrap_or_else(|| format!("http_{}", status.as_u16()));
        if status.as_u16() == 409 {
            // The same key is still being processed: ask again with it.
            return Err(StripeError::NoAnswer);
        }
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(StripeError::Transient {
                code,
                retry_after_seconds: wait,
            });
        }
        Err(StripeError::Permanent {
            code,
            message: detail
                .and_then(|d| d.message)
                .unwrap_or_else(|| format!("Stripe answered {status}")),
        })
    }
}
