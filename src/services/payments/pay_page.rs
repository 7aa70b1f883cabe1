//! A payment link opened: the click recorded, then Stripe Checkout (a session made or reused),
//! or the page to show when the payment is paid, confirming, cancelled or cannot be taken now.

use chrono::{DateTime, Utc};

use super::super::{ServiceError, ServiceResult};
use super::{link_secret, stripe_keys};
use crate::domain::{BusinessId, PaymentStatus};
use crate::entities::payment;
use crate::payments::links::{self, PayTarget};
use crate::payments::stripe::{CheckoutRequest, StripeError};
use crate::repositories::payments as repo;
use crate::repositories::{clients, notifications, reminders};
use crate::state::AppState;

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
