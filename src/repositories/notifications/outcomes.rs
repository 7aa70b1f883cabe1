//! What became of claimed notifications: the dispatcher decides a [`Finish`] for each, and
//! [`finish_many`] records them with their attempts, each only while the claim is still held.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Iterable, QueryFilter};

use crate::domain::{AttemptOutcome, NotificationStatus};
use crate::entities::Timestamp;
use crate::entities::{notification, notification_attempt};

/// How a claimed notification ends this round.
#[derive(Debug, Clone)]
pub enum Finish {
    /// The provider accepted it.
    Sent {
        /// Provider name.
        provider: String,
        /// Provider's message id.
        provider_message_id: String,
        /// SMS parts billed.
        segments: Option<i32>,
    },
    /// Try again at `next_attempt_at`.
    Retry {
        /// When.
        next_attempt_at: DateTime<Utc>,
        /// Why it failed this time.
        code: String,
        /// Details.
        message: String,
    },
    /// Give up.
    Failed {
        /// Why.
        code: String,
        /// Details.
        message: String,
    },
    /// Not sent, on purpose (the client opted out meanwhile).
    Skipped {
        /// Why.
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

/// Records the outcome of claimed notifications and their attempts (in the caller's
/// transaction, so they land together). Each update holds only while the claim is still ours;
/// returns how many were recorded.
pub async fn finish_many(
    db: &impl ConnectionTrait,
    token: &str,
    outcomes: &[(notification::Model, Finish)],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    if outcomes.is_empty() {
        return Ok(0);
    }
    let attempts: Vec<notification_attempt::ActiveModel> = outcomes
        .iter()
        .filter_map(|(row, finish)| {
            let (outcome, provider, provider_id, code, message, segments) = match finish {
                Finish::Sent {
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
                Finish::Retry { code, message, .. } => (
                    AttemptOutcome::TransientError,
                    None,
                    None,
                    Some(code.clone()),
                    Some(message.clone()),
                    None,
                ),
                Finish::Failed { code, message } => (
                    AttemptOutcome::PermanentError,
                    None,
                    None,
                    Some(code.clone()),
                    Some(message.clone()),
                    None,
                ),
                // Nothing was handed to a provider: no attempt to record.
                Finish::Skipped { .. } | Finish::Deferred { .. } => return None,
            };
            Some(notification_attempt::ActiveModel {
                notification_id: sea_orm::Set(row.id),
                business_id: sea_orm::Set(row.business_id),
                attempted_at: sea_orm::Set(now.into()),
                outcome: sea_orm::Set(outcome),
                provider: sea_orm::Set(provider),
                provider_message_id: sea_orm::Set(provider_id),
                error_code: sea_orm::Set(code),
                error_message: sea_orm::Set(message),
                channel: sea_orm::Set(Some(row.channel)),
                segments: sea_orm::Set(segments),
                ..Default::default()
            })
        })
        .collect();
    let per_statement = crate::db::rows_per_statement(notification_attempt::Column::iter().count());
    for chunk in attempts.chunks(per_statement) {
        notification_attempt::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    let mut recorded = 0;
    // Successes, the common case, are recorded a chunk per statement: the provider's ids go in
    // through CASE expressions keyed by id.
    let sent: Vec<(i64, &str, &str, Option<i32>)> = outcomes
        .iter()
        .filter_map(|(row, finish)| match finish {
            Finish::Sent {
                provider,
                provider_message_id,
                segments,
            } => Some((
                row.id,
                provider.as_str(),
                provider_message_id.as_str(),
                *segments,
            )),
            _ => None,
        })
        .collect();
    // Each success binds its id twice and two values, in CASE expressions.
    for chunk in sent.chunks(crate::db::rows_per_statement(4)) {
        let mut providers = sea_orm::sea_query::CaseStatement::new();
        let mut message_ids = sea_orm::sea_query::CaseStatement::new();
        for (id, provider, message_id, _) in chunk {
            providers = providers.case(
                Expr::col(notification::Column::Id).eq(*id),
                Expr::value(*provider),
            );
            message_ids = message_ids.case(
                Expr::col(notification::Column::Id).eq(*id),
                Expr::value(*message_id),
            );
        }
        recorded += notification::Entity::update_many()
            .col_expr(
                notification::Column::Status,
                Expr::value(NotificationStatus::Sent),
            )
            .col_expr(notification::Column::Provider, providers.into())
            .col_expr(notification::Column::ProviderMessageId, message_ids.into())
            .col_expr(notification::Column::SentAt, Expr::value(Timestamp(now)))
            .col_expr(
                notification::Column::ErrorCode,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                notification::Column::ErrorMessage,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                notification::Column::ClaimToken,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                notification::Column::LeaseUntil,
                Expr::value(Option::<Timestamp>::None),
            )
            .col_expr(notification::Column::UpdatedAt, Expr::value(Timestamp(now)))
            .filter(notification::Column::Id.is_in(chunk.iter().map(|entry| entry.0)))
            .filter(notification::Column::ClaimToken.eq(token))
            .filter(notification::Column::Status.eq(NotificationStatus::Sending))
            .exec(db)
            .await?
            .rows_affected;
    }
    for (row, finish) in outcomes
        .iter()
        .filter(|(_, finish)| !matches!(finish, Finish::Sent { .. }))
    {
        let mut update = notification::Entity::update_many()
            .col_expr(
                notification::Column::ClaimToken,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                notification::Column::LeaseUntil,
                Expr::value(Option::<Timestamp>::None),
            )
            .col_expr(notification::Column::UpdatedAt, Expr::value(Timestamp(now)));
        update = match finish {
            Finish::Sent { .. } => continue,
            Finish::Retry {
                next_attempt_at,
                code,
                message,
            } => update
                .col_expr(
                    notification::Column::Status,
                    Expr::value(NotificationStatus::Pending),
                )
                .col_expr(
                    notification::Column::NextAttemptAt,
                    Expr::value(Timestamp(*next_attempt_at)),
                )
                .col_expr(notification::Column::ErrorCode, Expr::value(code.as_str()))
                .col_expr(
                    notification::Column::ErrorMessage,
                    Expr::value(message.as_str()),
                ),
            Finish::Failed { code, message } => update
                .col_expr(
                    notification::Column::Status,
                    Expr::value(NotificationStatus::Failed),
                )
                .col_expr(notification::Column::ErrorCode, Expr::value(code.as_str()))
                .col_expr(
                    notification::Column::ErrorMessage,
                    Expr::value(message.as_str()),
                ),
            Finish::Skipped { code } => update
                .col_expr(
                    notification::Column::Status,
                    Expr::value(NotificationStatus::Skipped),
                )
                .col_expr(notification::Column::ErrorCode, Expr::value(code.as_str())),
            Finish::Deferred {
                next_attempt_at,
                code,
            } => update
                .col_expr(
                    notification::Column::ErrorCode,
                    Expr::value(code.map(str::to_owned)),
                )
                .col_expr(
                    notification::Column::Status,
                    Expr::value(NotificationStatus::Pending),
                )
                .col_expr(
                    notification::Column::NextAttemptAt,
                    Expr::value(Timestamp(*next_attempt_at)),
                )
                .col_expr(
                    notification::Column::AttemptCount,
                    Expr::col(notification::Column::AttemptCount).sub(1),
                ),
        };
        recorded += update
            .filter(notification::Column::Id.eq(row.id))
            .filter(notification::Column::ClaimToken.eq(token))
            .filter(notification::Column::Status.eq(NotificationStatus::Sending))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(recorded)
}
