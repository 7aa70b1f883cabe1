//! How a claimed notification ends a round, and recording that: the attempt it made (if any)
//! and the state it settles in, all in the caller's transaction, each write holding only while
//! the claim is still ours.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Set};

use crate::domain::{AttemptOutcome, NotificationStatus};
use crate::entities::{notification, notification_attempt};
use crate::repositories::notifications::{self as repo, Accepted, Settlement};

/// How a claimed notification ends this round.
#[derive(Debug, Clone)]
pub enum Finish {
    /// The provider accepted it.
    Sent {
        /// Who accepted it (`smtp`, `twilio`, `whatsapp`, `console`).
        provider: String,
        /// The provider's id for the message, which its reports name.
        provider_message_id: String,
        /// SMS parts billed, when the provider said.
        segments: Option<i32>,
    },
    /// Try again at `next_attempt_at`.
    Retry {
        /// When it may be tried again (backoff, or the provider's `Retry-After`).
        next_attempt_at: DateTime<Utc>,
        /// Why it failed this time: the provider's code or ours (`timeout`, `unavailable`).
        code: String,
        /// What the provider said.
        message: String,
    },
    /// Give up: a permanent error, or the last attempt failed.
    Failed {
        /// The provider's code or ours (`invalid_number`, `template_error`, …).
        code: String,
        /// What the provider said.
        message: String,
    },
    /// Not sent, on purpose (the client opted out meanwhile, was deleted, has no address).
    Skipped {
        /// Why (`opted_out`, `client_deleted`, `no_address`, `business_deleted`).
        code: String,
    },
    /// Not tried: back to the queue until the provider account's pace allows it. Does not
    /// count as an attempt.
    Deferred {
        /// When its turn comes.
        next_attempt_at: DateTime<Utc>,
        /// Why, when the notification should say (`quota_exceeded`).
        code: Option<&'static str>,
    },
}

impl Finish {
    /// The attempt this outcome records, if a provider was asked.
    fn attempt(
        &self,
        row: &notification::Model,
        now: DateTime<Utc>,
    ) -> Option<notification_attempt::ActiveModel> {
        let (outcome, provider, provider_message_id, code, message, segments) = match self {
            Self::Sent {
                provider,
                provider_message_id,
                segments,
            } => (
                AttemptOutcome::Sent,
                Some(provider.clone()),
                Some(provider_message_id.clone()),
                None,
                None,
                *segments,
            ),
            Self::Retry { code, message, .. } => (
                AttemptOutcome::TransientError,
                None,
                None,
                Some(code.clone()),
                Some(message.clone()),
                None,
            ),
            Self::Failed { code, message } => (
                AttemptOutcome::PermanentError,
                None,
                None,
                Some(code.clone()),
                Some(message.clone()),
                None,
            ),
            // Nothing was handed to a provider: no attempt to record.
            Self::Skipped { .. } | Self::Deferred { .. } => return None,
        };
        Some(notification_attempt::ActiveModel {
            notification_id: Set(row.id),
            business_id: Set(row.business_id),
            attempted_at: Set(now.into()),
            outcome: Set(outcome),
            provider: Set(provider),
            provider_message_id: Set(provider_message_id),
            error_code: Set(code),
            error_message: Set(message),
            channel: Set(Some(row.channel)),
            segments: Set(segments),
            ..Default::default()
        })
    }

    /// The state a notification not accepted settles in; `None` for one that was.
    fn settlement(&self) -> Option<Settlement> {
        Some(match self {
            Self::Sent { .. } => return None,
            Self::Retry {
                next_attempt_at,
                code,
                message,
            } => Settlement {
                status: NotificationStatus::Pending,
                next_attempt_at: Some(*next_attempt_at),
                error_code: Some(code.clone()),
                error_message: Some(message.clone()),
                uncount_attempt: false,
            },
            Self::Failed { code, message } => Settlement {
                status: NotificationStatus::Failed,
                next_attempt_at: None,
                error_code: Some(code.clone()),
                error_message: Some(message.clone()),
                uncount_attempt: false,
            },
            Self::Skipped { code } => Settlement {
                status: NotificationStatus::Skipped,
                next_attempt_at: None,
                error_code: Some(code.clone()),
                error_message: None,
                uncount_attempt: false,
            },
            Self::Deferred {
                next_attempt_at,
                code,
            } => Settlement {
                status: NotificationStatus::Pending,
                next_attempt_at: Some(*next_attempt_at),
                error_code: code.map(str::to_owned),
                error_message: None,
                uncount_attempt: true,
            },
        })
    }
}

/// Records how claimed notifications ended, with their attempts; returns how many were still
/// claimed by `token` (a lapsed claim's outcomes are dropped: another node took them over).
pub async fn record(
    db: &impl ConnectionTrait,
    token: &str,
    outcomes: &[(notification::Model, Finish)],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    if outcomes.is_empty() {
        return Ok(0);
    }
    let attempts = outcomes
        .iter()
        .filter_map(|(row, finish)| finish.attempt(row, now))
        .collect();
    repo::insert_attempts(db, attempts).await?;
    // Successes, the common case, go a chunk per statement.
    let accepted: Vec<Accepted<'_>> = outcomes
        .iter()
        .filter_map(|(row, finish)| match finish {
            Finish::Sent {
                provider,
                provider_message_id,
                ..
            } => Some(Accepted {
                id: row.id,
                provider,
                provider_message_id,
            }),
            _ => None,
        })
        .collect();
    let mut recorded = repo::mark_sent(db, token, &accepted, now).await?;
    for (row, finish) in outcomes {
        if let Some(settlement) = finish.settlement()
            && repo::settle(db, token, row.id, &settlement, now).await?
        {
            recorded += 1;
        }
    }
    Ok(recorded)
}
