//! Usage per business and billing period (calendar months, UTC): messages sent per channel and
//! SMS parts as the provider reported them; optional monthly caps per channel, beyond which
//! sends wait for the next month with reason `quota_exceeded`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde::Serialize;

use super::ServiceResult;
pub use crate::domain::UsageCaps;
use crate::domain::{Actor, BusinessId, Channel};
use crate::repositories::notifications;
use sea_orm::ConnectionTrait;

/// The billing month holding `at`: its first instant and the next month's.
pub fn month_of(at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = Utc
        .with_ymd_and_hms(at.year(), at.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(at);
    let (year, month) = if at.month() == 12 {
        (at.year() + 1, 1)
    } else {
        (at.year(), at.month() + 1)
    };
    let end = Utc
        .with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .unwrap_or(at);
    (start, end)
}

/// One channel's usage.
#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
pub struct ChannelUsage {
    /// Messages the provider accepted in the period (each send and resend counts).
    pub messages: i64,
    /// Parts billed, as the provider reported them (SMS); a message without a report counts
    /// as one.
    pub segments: i64,
    /// The business's monthly cap on messages for this channel; `null` when unlimited.
    pub cap: Option<i64>,
}

/// Usage in a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Usage {
    /// Start of the period, inclusive (UTC).
    pub from: DateTime<Utc>,
    /// End of the period, exclusive (UTC).
    pub to: DateTime<Utc>,
    /// Usage per channel, keyed `email`, `sms` and `whatsapp` (all three always present).
    pub channels: BTreeMap<String, ChannelUsage>,
}

/// Messages sent per channel in `[from, to)`.
pub async fn messages_per_channel(
    db: &impl ConnectionTrait,
    business: BusinessId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<HashMap<Channel, (i64, i64)>, sea_orm::DbErr> {
    let mut counted: HashMap<Channel, (i64, i64)> = HashMap::new();
    for (channel, messages, parts) in notifications::sent_in(db, business, from, to).await? {
        if let Some(channel) = channel {
            counted.insert(channel, (messages, parts));
        }
    }
    Ok(counted)
}

/// `GET /business/usage`: this month by default.
pub async fn usage(
    state: &crate::state::AppState,
    actor: &Actor,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ServiceResult<Usage> {
    let (month_start, month_end) = month_of(state.clock.now());
    let (from, to) = (from.unwrap_or(month_start), to.unwrap_or(month_end));
    let business = super::business::get(state, actor).await?;
    let caps = business.usage_caps.unwrap_or_default();
    let counted = messages_per_channel(&state.db, actor.business, from, to).await?;
    let channels = [Channel::Email, Channel::Sms, Channel::Whatsapp]
        .into_iter()
        .map(|channel| {
            let (messages, segments) = counted.get(&channel).copied().unwrap_or_default();
            (
                channel.as_str().to_owned(),
                ChannelUsage {
                    messages,
                    segments,
                    cap: caps.of(channel),
                },
            )
        })
        .collect();
    Ok(Usage { from, to, channels })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_run_from_the_first_to_the_next_first() {
        let at = Utc.with_ymd_and_hms(2026, 12, 15, 9, 30, 0).unwrap();
        let (start, end) = month_of(at);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    }
}
