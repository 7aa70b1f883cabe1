//! Provider webhooks: delivery reports and replies, verified against the account they name and
//! processed once. A report touches only notifications of businesses that account serves, so
//! one business's provider account cannot reach another business's data.

pub mod twilio;
pub mod whatsapp;

use chrono::{DateTime, Utc};

use super::ServiceResult;
use crate::domain::{Channel, Provider};
use crate::repositories::clients::{self, AccountHolder};
use crate::repositories::notifications::{self, DeliveryReport};
use crate::repositories::{provider_credentials, webhook_events};
use crate::state::AppState;

/// Replies that opt a number out of a channel (Twilio's defaults, also used for WhatsApp).
const OPT_OUT_KEYWORDS: [&str; 6] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
/// Replies that opt a number back in.
const OPT_IN_KEYWORDS: [&str; 3] = ["START", "YES", "UNSTOP"];

/// What a reply asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// Stop messages on this channel.
    OptOut,
    /// Messages are welcome again.
    OptIn,
}

/// The keyword a whole reply is, if any (case and surrounding space ignored).
pub fn keyword(body: &str) -> Option<Keyword> {
    let word = body.trim().to_ascii_uppercase();
    if OPT_OUT_KEYWORDS.contains(&word.as_str()) {
        Some(Keyword::OptOut)
    } else if OPT_IN_KEYWORDS.contains(&word.as_str()) {
        Some(Keyword::OptIn)
    } else {
        None
    }
}

/// Whether an account holder may touch a business's notifications: its own business, or — for
/// the platform's account — a business without its own account of that provider.
async fn serves(
    state: &AppState,
    holders: &[AccountHolder],
    business_id: i64,
    provider: Provider,
) -> ServiceResult<bool> {
    if holders.contains(&AccountHolder::Business(business_id)) {
        return Ok(true);
    }
    if holders
        .iter()
        .any(|holder| matches!(holder, AccountHolder::Platform { .. }))
    {
        let own =
            provider_credentials::find(&state.db, crate::domain::BusinessId(business_id), provider)
                .await?;
        return Ok(own.is_none());
    }
    Ok(false)
}

/// The verified account holders of an event, as the key its id is remembered under.
fn account_key(holders: &[AccountHolder]) -> String {
    let mut names: Vec<String> = holders
        .iter()
        .map(|holder| match holder {
            AccountHolder::Business(id) => format!("b{id}"),
            AccountHolder::Platform { .. } => "platform".to_owned(),
        })
        .collect();
    names.sort();
    names.join(",")
}

/// Applies a provider's report about one of its messages, once per `event_id`.
async fn report(
    state: &AppState,
    provider: Provider,
    holders: &[AccountHolder],
    message_id: &str,
    event_id: &str,
    report: &DeliveryReport,
    at: DateTime<Utc>,
) -> ServiceResult<()> {
    let Some(notification) =
        notifications::find_by_provider_message(&state.db, provider.as_str(), message_id).await?
    else {
        tracing::debug!(%provider, "report for an unknown message ignored");
        return Ok(());
    };
    if !serves(state, holders, notification.business_id, provider).await? {
        tracing::warn!(%provider, "report for another account's message ignored");
        return Ok(());
    }
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    if !webhook_events::remember(&txn, provider, &account_key(holders), event_id, now).await? {
        return Ok(());
    }
    let changed = notifications::apply_report(&txn, notification.id, report, at, now).await?;
    txn.commit().await?;
    tracing::info!(
        %provider,
        notification_id = notification.id,
        changed,
        "delivery report"
    );
    Ok(())
}

/// Honours an opt-out or opt-in reply from a phone number, once per `event_id`.
async fn reply(
    state: &AppState,
    provider: Provider,
    holders: &[AccountHolder],
    phone: &str,
    channel: Channel,
    keyword: Keyword,
    event_id: &str,
) -> ServiceResult<()> {
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    if !webhook_events::remember(&txn, provider, &account_key(holders), event_id, now).await? {
        return Ok(());
    }
    let mut changed = 0;
    for holder in holders {
        changed += clients::set_opt_out_by_phone(
            &txn,
            *holder,
            phone,
            channel,
            keyword == Keyword::OptOut,
        )
        .await?;
    }
    txn.commit().await?;
    tracing::info!(
        %provider,
        channel = channel.as_str(),
        ?keyword,
        clients = changed,
        "opt-out reply"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Keyword, keyword};

    #[test]
    fn whole_replies_are_keywords() {
        assert_eq!(keyword(" stop "), Some(Keyword::OptOut));
        assert_eq!(keyword("Unsubscribe"), Some(Keyword::OptOut));
        assert_eq!(keyword("START"), Some(Keyword::OptIn));
        assert_eq!(keyword("unstop"), Some(Keyword::OptIn));
        assert_eq!(keyword("please stop"), None);
        assert_eq!(keyword("stopped"), None);
    }
}
