//! Stripe's events (`POST /webhooks/stripe`): the signature checked with the key of the account
//! concerned, the event read for the payment it names and applied once.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use super::super::{ServiceError, ServiceResult};
use super::stripe_keys;
use crate::domain::{BusinessId, Provider};
use crate::entities::payment;
use crate::repositories::payments::{self as repo, PaymentChange};
use crate::repositories::webhook_events;
use crate::security::webhook_signatures::{StripeSignatureError, verify_stripe};
use crate::state::AppState;

/// Stripe-Signature timestamps older than this are refused.
const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;

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
