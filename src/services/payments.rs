//! Payments: opening a payment link (a Stripe Checkout Session made or reused), Stripe's events,
//! and the payments a business sees.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use super::accounts::open_secrets;
use super::{ServiceError, ServiceResult};
use crate::domain::{Actor, BusinessId, PaymentStatus, Provider};
use crate::entities::{payment, payment_click};
use crate::payments::links::{self, PayTarget};
use crate::payments::stripe::{CheckoutRequest, StripeError};
use crate::repositories::payments::{self as repo, PaymentChange, PaymentFilter};
use crate::repositories::{
    Paged, clients, notifications, provider_credentials, reminders, webhook_events,
};
use crate::security::webhook_signatures::{StripeSignatureError, verify_stripe};
use crate::state::AppState;

/// Stripe-Signature timestamps older than this are refused.
const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;
/// A session closer than this to its expiry is not handed out again.
const SESSION_MARGIN_MINUTES: i64 = 10;
/// Tries of one Checkout Session request before giving up for this click.
const CHECKOUT_TRIES: u32 = 3;

/// Where a payment link leads.
#[derive(Debug)]
pub enum PayPage {
    /// 303 to Stripe Checkout.
    Checkout(String),
    /// Already paid: a thank-you page.
    Paid { amount: String },
    /// Back from Stripe after paying: confirmation is on its way.
    Confirming { amount: String },
    /// Back from Stripe without paying.
    Cancelled { amount: String, retry_url: String },
    /// Cannot take payments now (not configured, Stripe down or refusing).
    Unavailable(String),
}

/// A business's Stripe keys: its own, else the platform's.
struct StripeKeys {
    secret_key: Option<SecretString>,
    webhook_secret: Option<SecretString>,
    /// True when the business brought its own account.
    own: bool,
}

async fn stripe_keys(state: &AppState, business: BusinessId) -> ServiceResult<StripeKeys> {
    if let Some(row) = provider_credentials::find(&state.db, business, Provider::Stripe).await? {
        // Keys that no longer open (ENCRYPTION_KEY rotated away) are no keys: the link page
        // says payments are not set up and events are refused, rather than a 500 or the
        // platform's account standing in for the business's.
        let secrets = open_secrets(&row, &state.secrets).unwrap_or_else(|error| {
            tracing::warn!(%error, "the business's Stripe keys cannot be opened");
            serde_json::Map::new()
        });
        let get = |key: &str| {
            secrets
                .get(key)
                .and_then(Value::as_str)
                .filter(|value| !value.is_empty())
                .map(|value| SecretString::from(value.to_owned()))
        };
        return Ok(StripeKeys {
            secret_key: get("secret_key"),
            webhook_secret: get("webhook_secret"),
            own: true,
        });
    }
    let platform = &state.settings.providers;
    Ok(StripeKeys {
        secret_key: platform.stripe_secret_key.clone(),
        webhook_secret: platform.stripe_webhook_secret.clone(),
        own: false,
    })
}

/// The key payment links are signed with.
fn link_secret(state: &AppState) -> &[u8] {
    state.settings.secret_key.expose_secret().as_bytes()
}

fn money(payment: &payment::Model) -> String {
    crate::domain::Money::new(payment.amount, &payment.currency)
        .map(|m| m.to_string())
        .unwrap_or_else(|_| format!("{} {}", payment.amount, payment.currency))
}

/// Opens a payment link. `result` is set when Stripe sends the client back (`success` or
/// `cancelled`); otherwise the click is recorded and the client goes to Checkout.
#[tracing::instrument(skip_all)]
pub async fn open_link(
    state: &AppState,
    token: &str,
    result: Option<&str>,
) -> ServiceResult<PayPage> {
    let secret = link_secret(state);
    let target = links::parse(secret, token).ok_or(ServiceError::NotFound)?;
    let payment = repo::find_any(&state.db, target.payment_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let base = &state.settings.public_base_url;
    match result {
        Some("success") if payment.status != PaymentStatus::Paid => {
            return Ok(PayPage::Confirming {
                amount: money(&payment),
            });
        }
        Some("cancelled") if payment.status != PaymentStatus::Paid => {
            return Ok(PayPage::Cancelled {
                amount: money(&payment),
                retry_url: format!("{base}/pay/{token}"),
            });
        }
        _ => {}
    }
    let now = state.clock.now();
    let notification_id = clicked_notification(state, &payment, &target).await?;
    if result.is_none() {
        repo::record_click(&state.db, &payment, notification_id, target.channel, now).await?;
    }
    if payment.status == PaymentStatus::Paid {
        return Ok(PayPage::Paid {
            amount: money(&payment),
        });
    }
    if payment.status == PaymentStatus::Open
        && let (Some(url), Some(expires)) = (&payment.checkout_url, payment.checkout_expires_at)
        && *expires > now + chrono::Duration::minutes(SESSION_MARGIN_MINUTES)
    {
        return Ok(PayPage::Checkout(url.clone()));
    }
    let mut payment = payment;
    if payment.checkout_session_id.is_some() {
        // The session is being replaced (lapsed, failed or refunded): a new idempotency key,
        // or Stripe would hand back the old session.
        repo::next_generation(&state.db, payment.id).await?;
        payment.checkout_generation += 1;
    }
    checkout(state, payment, notification_id, token, now).await
}

async fn clicked_notification(
    state: &AppState,
    payment: &payment::Model,
    target: &PayTarget,
) -> ServiceResult<Option<i64>> {
    let (Some(channel), Some(occurrence)) = (target.channel, target.occurrence) else {
        return Ok(None);
    };
    let Some(at) = DateTime::<Utc>::from_timestamp(occurrence, 0) else {
        return Ok(None);
    };
    Ok(notifications::find_for_occurrence(
        &state.db,
        payment.reminder_id,
        payment.client_id,
        channel,
        at,
    )
    .await?
    .map(|n| n.id))
}

/// Makes a Checkout Session for the payment. A request that got no answer is repeated with the
/// same idempotency key (so it creates nothing twice); after a Stripe failure, which Stripe
/// saves under its key, the next try uses the next key.
async fn checkout(
    state: &AppState,
    mut payment: payment::Model,
    notification_id: Option<i64>,
    token: &str,
    now: DateTime<Utc>,
) -> ServiceResult<PayPage> {
    let keys = stripe_keys(state, BusinessId(payment.business_id)).await?;
    let Some(secret_key) = keys.secret_key else {
        return Ok(PayPage::Unavailable(
            "Online payment is not set up yet. Please contact the sender.".into(),
        ));
    };
    let reminder = reminders::find(
        &state.db,
        BusinessId(payment.business_id),
        payment.reminder_id,
    )
    .await?;
    let client = clients::find(
        &state.db,
        BusinessId(payment.business_id),
        crate::domain::ClientId(payment.client_id),
    )
    .await?;
    let base = &state.settings.public_base_url;
    let request = CheckoutRequest {
        amount: payment.amount,
        currency: payment.currency.clone(),
        name: payment
            .description
            .clone()
            .or_else(|| reminder.map(|r| r.title))
            .unwrap_or_else(|| "Payment".into()),
        payment_id: payment.id,
        business_id: payment.business_id,
        reminder_id: payment.reminder_id,
        notification_id,
        customer_email: client.and_then(|c| c.email),
        success_url: format!("{base}/pay/{token}?result=success"),
        cancel_url: format!("{base}/pay/{token}?result=cancelled"),
    };
    let mut last_error = None;
    for _ in 0..CHECKOUT_TRIES {
        let key = format!(
            "payment-{}-checkout-{}",
            payment.id, payment.checkout_generation
        );
        match state
            .stripe
            .create_checkout_session(&secret_key, &key, &request)
            .await
        {
            Ok(session) => {
                let expires = session
                    .expires_at
                    .and_then(|at| DateTime::<Utc>::from_timestamp(at, 0));
                repo::set_session(
                    &state.db,
                    payment.id,
                    &session.id,
                    session.url.as_deref(),
                    expires,
                    now,
                )
                .await?;
                tracing::info!(payment_id = payment.id, "checkout session ready");
                return match session.url {
                    Some(url) => Ok(PayPage::Checkout(url)),
                    None => Ok(PayPage::Unavailable("Stripe gave no payment page.".into())),
                };
            }
            Err(StripeError::NoAnswer) => last_error = Some(StripeError::NoAnswer),
            Err(error @ StripeError::Transient { .. }) => {
                repo::next_generation(&state.db, payment.id).await?;
                payment.checkout_generation += 1;
                last_error = Some(error);
            }
            Err(StripeError::Permanent { code, .. }) => {
                tracing::warn!(payment_id = payment.id, %code, "Stripe refused the checkout session");
                return Ok(PayPage::Unavailable(
                    "The payment page cannot be opened. Please contact the sender.".into(),
                ));
            }
        }
    }
    tracing::warn!(payment_id = payment.id, error = ?last_error, "Stripe unavailable");
    Ok(PayPage::Unavailable(
        "The payment service is busy. Please try again in a few minutes.".into(),
    ))
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: Option<i64>,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: Value,
}

fn metadata_payment_id(object: &Value) -> Option<i64> {
    object["metadata"]["payment_id"].as_str()?.parse().ok()
}

/// The payment an event's object names: by our metadata, else by its PaymentIntent (charges
/// carry the intent, not its metadata).
async fn named_payment(state: &AppState, object: &Value) -> ServiceResult<Option<payment::Model>> {
    if let Some(id) = metadata_payment_id(object) {
        return Ok(repo::find_any(&state.db, id).await?);
    }
    match object["payment_intent"].as_str() {
        Some(intent) => Ok(repo::find_by_provider_ref(&state.db, intent).await?),
        None => Ok(None),
    }
}

/// What an event means for which payment.
async fn interpret(
    state: &AppState,
    event: &Event,
) -> ServiceResult<Option<(payment::Model, PaymentChange)>> {
    let object = &event.data.object;
    let at = event
        .created
        .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
        .unwrap_or_else(|| state.clock.now());
    let by_metadata = |object: &Value| metadata_payment_id(object);
    let (payment_id, change) = match event.kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            // Paid only when Stripe says so; delayed methods (bank debits) complete unpaid first.
            if object["payment_status"] != "paid" {
                return Ok(None);
            }
            (
                by_metadata(object),
                PaymentChange::Paid {
                    provider_ref: object["payment_intent"].as_str().map(str::to_owned),
                    at,
                },
            )
        }
        "checkout.session.async_payment_failed" => (by_metadata(object), PaymentChange::Failed),
        "checkout.session.expired" => (
            by_metadata(object),
            PaymentChange::Expired {
                session_id: object["id"].as_str().unwrap_or_default().to_owned(),
            },
        ),
        "payment_intent.payment_failed" => (by_metadata(object), PaymentChange::Failed),
        "charge.refunded" => {
            // Only a full refund makes the client owe it again.
            if object["refunded"] != true {
                return Ok(None);
            }
            let payment = named_payment(state, object).await?;
            return Ok(payment.map(|p| (p, PaymentChange::Refunded)));
        }
        _ => return Ok(None),
    };
    let Some(payment_id) = payment_id else {
        return Ok(None);
    };
    Ok(repo::find_any(&state.db, payment_id)
        .await?
        .map(|payment| (payment, change)))
}

/// `POST /webhooks/stripe`: verified on the raw body with the endpoint secret of the account
/// the event concerns (the platform's, or the business's own), processed once per event id.
#[tracing::instrument(skip_all)]
pub async fn stripe_event(
    state: &AppState,
    body: &[u8],
    signature: Option<&str>,
) -> ServiceResult<()> {
    let refuse = |why: &str| ServiceError::BadRequest(format!("Stripe-Signature refused: {why}."));
    let signature = signature.ok_or_else(|| refuse("missing"))?;
    let now = state.clock.now().timestamp();
    // Candidate secrets: the platform's, and that of the business the event's payment names
    // (read from the unverified body only to pick the key; nothing is trusted before it holds).
    let unverified: Option<Event> = serde_json::from_slice(body).ok();
    let named_business = match &unverified {
        Some(event) => named_payment(state, &event.data.object)
            .await?
            .map(|p| p.business_id),
        None => None,
    };
    let mut candidates: Vec<(Option<i64>, SecretString)> = Vec::new();
    if let Some(secret) = &state.settings.providers.stripe_webhook_secret {
        candidates.push((None, secret.clone()));
    }
    let mut named_keys = None;
    if let Some(business) = named_business {
        let keys = stripe_keys(state, BusinessId(business)).await?;
        if keys.own
            && let Some(secret) = &keys.webhook_secret
        {
            candidates.push((Some(business), secret.clone()));
        }
        named_keys = Some((business, keys.own));
    }
    let mut verdict = Err(StripeSignatureError::Mismatch);
    let mut signer = None;
    for (owner, secret) in &candidates {
        verdict = verify_stripe(
            secret.expose_secret(),
            body,
            signature,
            now,
            SIGNATURE_TOLERANCE_SECONDS,
        );
        if verdict.is_ok() {
            signer = Some(*owner);
            break;
        }
    }
    match verdict {
        Ok(_) => {}
        Err(StripeSignatureError::TooOld) => return Err(refuse("too old")),
        Err(StripeSignatureError::TooNew) => return Err(refuse("dated in the future")),
        Err(StripeSignatureError::Malformed) => return Err(refuse("malformed")),
        Err(StripeSignatureError::Mismatch) => return Err(refuse("no signature matches")),
    }
    let Some(event) = unverified else {
        return Err(ServiceError::BadRequest(
            "The body is not a Stripe event.".into(),
        ));
    };
    let Some((payment, change)) = interpret(state, &event).await? else {
        tracing::debug!(kind = %event.kind, "Stripe event ignored");
        return Ok(());
    };
    // The signing account must be the payment's: its own, or the platform's for a business
    // without one.
    // Usually the business the keys were read for above; read again only if not.
    let own_account = match named_keys {
        Some((business, own)) if business == payment.business_id => own,
        _ => {
            stripe_keys(state, BusinessId(payment.business_id))
                .await?
                .own
        }
    };
    let allowed = match signer.flatten() {
        Some(business) => business == payment.business_id,
        None => !own_account,
    };
    if !allowed {
        tracing::warn!("Stripe event for another account's payment ignored");
        return Ok(());
    }
    let account = match signer.flatten() {
        Some(business) => format!("b{business}"),
        None => "platform".to_owned(),
    };
    let txn = crate::db::begin_write(&state.db).await?;
    if !webhook_events::remember(
        &txn,
        Provider::Stripe,
        &account,
        &event.id,
        state.clock.now(),
    )
    .await?
    {
        return Ok(());
    }
    let changed = repo::apply(&txn, payment.id, &change, state.clock.now()).await?;
    txn.commit().await?;
    tracing::info!(payment_id = payment.id, kind = %event.kind, changed, "Stripe event");
    Ok(())
}

/// A payment with the link to pay it.
pub struct PaymentWithLink {
    pub payment: payment::Model,
    pub url: String,
}

/// A payment with its plain link.
pub fn with_link(state: &AppState, payment: payment::Model) -> PaymentWithLink {
    let secret = link_secret(state);
    PaymentWithLink {
        url: links::plain_url(&state.settings.public_base_url, secret, payment.id),
        payment,
    }
}

/// Payments of the business.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &PaymentFilter,
    limit: u64,
    offset: u64,
) -> ServiceResult<Paged<PaymentWithLink>> {
    let page = repo::list(&state.db, actor.business, filter, limit, offset).await?;
    Ok(Paged {
        items: page
            .items
            .into_iter()
            .map(|p| with_link(state, p))
            .collect(),
        total: page.total,
    })
}

/// One payment and the clicks on its links.
pub async fn get(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> ServiceResult<(PaymentWithLink, Vec<payment_click::Model>)> {
    let payment = repo::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let clicks = repo::clicks(&state.db, payment.id).await?;
    Ok((with_link(state, payment), clicks))
}
