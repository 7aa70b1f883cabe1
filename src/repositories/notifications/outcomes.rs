//! Recording what became of claimed notifications, in neutral terms: the attempts made, the
//! ones a provider accepted, and the state each other one settles in. Every write holds only
//! while the claim that took the notification is still held. What the outcomes mean (a retry,
//! a deferral, a skip) is the dispatcher's (`scheduler::dispatcher::finish`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Iterable, QueryFilter};

use crate::domain::NotificationStatus;
use crate::entities::Timestamp;
use crate::entities::{notification, notification_attempt};

/// A notification a provider accepted.
#[derive(Debug, Clone, Copy)]
pub struct Accepted<'a> {
    /// The notification.
    pub id: i64,
    /// Who accepted it (`smtp`, `twilio`, `whatsapp`, `console`, …).
    pub provider: &'a str,
    /// The provider's id for the message, which its reports name.
    pub provider_message_id: &'a str,
}

/// The state a claimed notification that was not accepted settles in.
#[derive(Debug, Clone)]
pub struct Settlement {
    /// `pending` (tried again at `next_attempt_at`), `failed` or `skipped`.
    pub status: NotificationStatus,
    /// When it may next be tried; `None` keeps the stored time.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why, for the history (`opted_out`, the provider's code, …); `None` clears it.
    pub error_code: Option<String>,
    /// Details of the error; `None` keeps the stored message.
    pub error_message: Option<String>,
    /// The claim counted an attempt that was not made (a send put off): take it back.
    pub uncount_attempt: bool,
}

/// Writes attempts, a chunk of rows per statement.
pub async fn insert_attempts(
    db: &impl ConnectionTrait,
    attempts: Vec<notification_attempt::ActiveModel>,
) -> Result<(), DbErr> {
    let per_statement = crate::db::rows_per_statement(notification_attempt::Column::iter().count());
    for chunk in attempts.chunks(per_statement) {
        notification_attempt::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Marks accepted notifications `sent` with their provider's ids, a chunk per statement (the
/// ids go in through CASE expressions keyed by id). Returns how many were still claimed by
/// `token`.
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    token: &str,
    accepted: &[Accepted<'_>],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut recorded = 0;
    // Each success binds its id twice and two values, in CASE expressions.
    for chunk in accepted.chunks(crate::db::rows_per_statement(4)) {
        let mut providers = sea_orm::sea_query::CaseStatement::new();
        let mut message_ids = sea_orm::sea_query::CaseStatement::new();
        for sent in chunk {
            providers = providers.case(
                Expr::col(notification::Column::Id).eq(sent.id),
                Expr::value(sent.provider),
            );
            message_ids = message_ids.case(
                Expr::col(notification::Column::Id).eq(sent.id),
                Expr::value(sent.provider_message_id),
            );
        }
        recorded += super::unclaim(now)
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
            .filter(super::held_by(token, chunk.iter().map(|sent| sent.id)))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(recorded)
}

/// Settles one claimed notification that was not accepted and releases its claim. Returns
/// whether it was still claimed by `token`.
pub async fn settle(
    db: &impl ConnectionTrait,
    token: &str,
    id: i64,
    settlement: &Settlement,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = super::unclaim(now)
        .col_expr(notification::Column::Status, Expr::value(settlement.status))
        .col_expr(
            notification::Column::ErrorCode,
            Expr::value(settlement.error_code.clone()),
        );
    if let Some(at) = settlement.next_attempt_at {
        update = update.col_expr(
            notification::Column::NextAttemptAt,
            Expr::value(Timestamp(at)),
        );
    }
    if let Some(message) = &settlement.error_message {
        update = update.col_expr(
            notification::Column::ErrorMessage,
            Expr::value(message.as_str()),
        );
    }
    if settlement.uncount_attempt {
        update = update.col_expr(
            notification::Column::AttemptCount,
            Expr::col(notification::Column::AttemptCount).sub(1),
        );
    }
    let changed = update
        .filter(super::held_by(token, [id]))
        .exec(db)
        .await?
        .rows_affected;
    Ok(changed > 0)
}
