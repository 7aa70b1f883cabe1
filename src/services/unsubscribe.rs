//! Unsubscribe links: a signed token per client and channel, opened without signing in
//! (`GET /unsubscribe/{token}` confirms, `POST` — also the RFC 8058 one-click — opts out).

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

use super::{ServiceError, ServiceResult};
use crate::domain::{Channel, ClientId};
use crate::repositories::clients;
use crate::security::tokens;
use crate::state::AppState;

/// Builds unsubscribe links for messages.
#[derive(Clone)]
pub struct Links {
    base_url: String,
    secret: Vec<u8>,
}

impl Links {
    /// Links signed with `SECRET_KEY` under `PUBLIC_BASE_URL`.
    pub fn of(state: &AppState) -> Self {
        Self {
            base_url: state.settings.public_base_url.clone(),
            secret: state
                .settings
                .secret_key
                .expose_secret()
                .as_bytes()
                .to_vec(),
        }
    }

    /// The client's unsubscribe link for a channel.
    pub fn unsubscribe(&self, client: ClientId, channel: Channel) -> String {
        format!(
            "{}/unsubscribe/{}",
            self.base_url,
            token(&self.secret, client, channel)
        )
    }
}

impl Links {
    /// The client's link to pay, as carried by one message (so the click is attributed).
    pub fn pay(&self, payment_id: i64, channel: Channel, occurrence: DateTime<Utc>) -> String {
        crate::payments::links::url(
            &self.base_url,
            &self.secret,
            payment_id,
            channel,
            occurrence,
        )
    }
}

impl Links {
    /// A client's link to a document, as carried by one message (so the open is attributed).
    pub fn document(
        &self,
        link_id: i64,
        reminder_id: i64,
        channel: Channel,
        occurrence: DateTime<Utc>,
    ) -> String {
        crate::documents::links::url(
            &self.base_url,
            &self.secret,
            link_id,
            reminder_id,
            channel,
            occurrence,
        )
    }

    /// Where a link of `kind` (`pay`, `d`) goes, with a placeholder for the token each message
    /// is given: shown by previews.
    pub fn example(&self, kind: &str) -> String {
        format!("{}/{kind}/…", self.base_url)
    }

    /// The secret links are signed with.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }
}

fn message(client: ClientId, channel: Channel) -> String {
    format!("unsubscribe:{}:{}", client.0, channel.as_str())
}

fn token(secret: &[u8], client: ClientId, channel: Channel) -> String {
    let signature = tokens::sign(secret, &message(client, channel));
    format!("{}.{}.{signature}", client.0, channel.as_str())
}

/// The client and channel a token names, if its signature holds.
fn parse(secret: &[u8], token: &str) -> Option<(ClientId, Channel)> {
    let mut parts = token.splitn(3, '.');
    let client = ClientId(parts.next()?.parse().ok()?);
    let channel = Channel::parse(parts.next()?).ok()?;
    let signature = parts.next()?;
    tokens::verify(secret, &message(client, channel), signature).then_some((client, channel))
}

/// The channel a valid token unsubscribes from; 404 for anything else.
pub fn check(state: &AppState, token: &str) -> ServiceResult<Channel> {
    parse(state.settings.secret_key.expose_secret().as_bytes(), token)
        .map(|(_, channel)| channel)
        .ok_or(ServiceError::NotFound)
}

/// Records the opt-out a valid token names.
#[tracing::instrument(skip_all)]
pub async fn unsubscribe(state: &AppState, token: &str) -> ServiceResult<Channel> {
    let (client, channel) = parse(state.settings.secret_key.expose_secret().as_bytes(), token)
        .ok_or(ServiceError::NotFound)?;
    if !clients::opt_out(&state.db, client, channel).await? {
        return Err(ServiceError::NotFound);
    }
    tracing::info!(
        client_id = client.0,
        channel = channel.as_str(),
        "client unsubscribed"
    );
    Ok(channel)
}
