//! Payments: the payments a business sees, with their links, and the Stripe keys each business
//! uses. Opening a payment link (Stripe Checkout) is in `pay_page`, Stripe's events in `events`.

mod events;
mod pay_page;

pub use events::stripe_event;
pub use pay_page::{PayPage, open_link};

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::accounts::open_secrets;
use super::{ServiceError, ServiceResult};
use crate::domain::{Actor, BusinessId, Provider};
use crate::entities::{payment, payment_click};
use crate::payments::links;
use crate::repositories::payments::{self as repo, PaymentFilter};
pub use crate::repositories::payments::{PaymentSort, PaymentSortKey};
use crate::repositories::{Paged, provider_credentials};
use crate::state::AppState;

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
    sort: PaymentSort,
    limit: u64,
    offset: u64,
) -> ServiceResult<Paged<PaymentWithLink>> {
    let page = repo::list(&state.db, actor.business, filter, sort, limit, offset).await?;
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
