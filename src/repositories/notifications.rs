//! `notifications` (the outbox) and `notification_attempts`.
//!
//! Claiming is the one dialect-dependent query: MySQL and PostgreSQL select due rows with
//! `FOR UPDATE SKIP LOCKED` and mark them in the same short transaction; SQLite, with a single
//! writer, marks them with one conditional `UPDATE … WHERE id IN (SELECT …)`. Either way a
//! claim writes a fresh `claim_token` and a lease, and every later write is conditional on that
//! token, so a node whose lease lapsed cannot overwrite the work of the node that took over.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Iterable, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use super::Paged;
use crate::db::Backend;
use crate::domain::BusinessId;
use crate::entities::Timestamp;
use crate::entities::{notification, notification_attempt};

/// Filters of the notification history.
#[derive(Debug, Default, Clone)]
pub struct NotificationFilter {
    /// One status.
    pub status: Option<String>,
    /// One channel.
    pub channel: Option<String>,
    /// One client.
    pub client_id: Option<i64>,
    /// One reminder.
    pub reminder_id: Option<i64>,
    /// Occurrence at or after.
    pub from: Option<DateTime<Utc>>,
    /// Occurrence before.
    pub to: Option<DateTime<Utc>>,
    /// Only those the firm has (true: not) marked read.
    pub unread: Option<bool>,
}

/// Inserts notifications; one that already exists for its (reminder, client, channel,
/// occurrence) is left as it is. Returns how many were new.
pub async fn insert_new(
    db: &impl ConnectionTrait,
    rows: Vec<notification::ActiveModel>,
) -> Result<u64, DbErr> {
    let mut inserted = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows
            .by_ref()
            .take(crate::db::rows_per_statement(
                notification::Column::iter().count(),
            ))
            .collect();
        inserted += notification::Entity::insert_many(chunk)
            .on_conflict(
                OnConflict::columns([
                    notification::Column::ReminderId,
                    notification::Column::ClientId,
                    notification::Column::Channel,
                    notification::Column::OccurrenceAt,
                ])
                .do_nothing_on([notification::Column::ReminderId])
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(inserted)
}

/// A notification of the business.
pub async fn find(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: i64,
) -> Result<Option<notification::Model>, DbErr> {
    notification::Entity::find_by_id(id)
        .filter(notification::Column::BusinessId.eq(business.0))
        .one(db)
        .await
}

/// Notifications of a reminder for one occurrence.
pub async fn of_occurrence(
    db: &impl ConnectionTrait,
    business: BusinessId,
    reminder_id: i64,
    occurrence_at: DateTime<Utc>,
) -> Result<Vec<notification::Model>, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::BusinessId.eq(business.0))
        .filter(notification::Column::ReminderId.eq(reminder_id))
        .filter(notification::Column::OccurrenceAt.eq(Timestamp(occurrence_at)))
        .order_by_asc(notification::Column::Id)
        .all(db)
        .await
}

/// Notifications of the business by id, in the order given (unknown ids are left out).
pub async fn find_many(
    db: &impl ConnectionTrait,
    business: BusinessId,
    ids: &[i64],
) -> Result<Vec<notification::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = notification::Entity::find()
        .filter(notification::Column::BusinessId.eq(business.0))
        .filter(notification::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    rows.sort_by_key(|row| ids.iter().position(|id| *id == row.id));
    Ok(rows)
}

/// The history, newest occurrence first.
pub async fn list(
    db: &impl ConnectionTrait,
    business: BusinessId,
    filter: &NotificationFilter,
    limit: u64,
    offset: u64,
) -> Result<Paged<notification::Model>, DbErr> {
    let mut query =
        notification::Entity::find().filter(notification::Column::BusinessId.eq(business.0));
    if let Some(status) = &filter.status {
        query = query.filter(notification::Column::Status.eq(status.as_str()));
    }
    if let Some(channel) = &filter.channel {
        query = query.filter(notification::Column::Channel.eq(channel.as_str()));
    }
    if let Some(client) = filter.client_id {
        query = query.filter(notification::Column::ClientId.eq(client));
    }
    if let Some(reminder) = filter.reminder_id {
        query = query.filter(notification::Column::ReminderId.eq(reminder));
    }
    if let Some(from) = filter.from {
        query = query.filter(notification::Column::OccurrenceAt.gte(Timestamp(from)));
    }
    if let Some(to) = filter.to {
        query = query.filter(notification::Column::OccurrenceAt.lt(Timestamp(to)));
    }
    match filter.unread {
        Some(true) => query = query.filter(notification::Column::InboxReadAt.is_null()),
        Some(false) => query = query.filter(notification::Column::InboxReadAt.is_not_null()),
        None => {}
    }
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_desc(notification::Column::OccurrenceAt)
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok(Paged { items, total })
}

/// The attempts of a notification, oldest first.
pub async fn attempts(
    db: &impl ConnectionTrait,
    notification_id: i64,
) -> Result<Vec<notification_attempt::Model>, DbErr> {
    notification_attempt::Entity::find()
        .filter(notification_attempt::Column::NotificationId.eq(notification_id))
        .order_by_asc(notification_attempt::Column::Id)
        .all(db)
        .await
}

/// The attempts of these notifications, oldest first, by notification.
pub async fn attempts_of_many(
    db: &impl ConnectionTrait,
    notification_ids: &[i64],
) -> Result<HashMap<i64, Vec<notification_attempt::Model>>, DbErr> {
    let mut found: HashMap<i64, Vec<notification_attempt::Model>> = HashMap::new();
    for chunk in notification_ids.chunks(500) {
        for attempt in notification_attempt::Entity::find()
            .filter(notification_attempt::Column::NotificationId.is_in(chunk.iter().copied()))
            .order_by_asc(notification_attempt::Column::Id)
            .all(db)
            .await?
        {
            found
                .entry(attempt.notification_id)
                .or_default()
                .push(attempt);
        }
    }
    Ok(found)
}

/// Claims up to `limit` pending notifications due by `now` under a new `token`, leased until
/// `lease_until`, and returns them.
pub async fn claim_due<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
    token: &str,
    lease_until: DateTime<Utc>,
) -> Result<Vec<notification::Model>, DbErr> {
    // Marks pending rows picked by `condition` as claimed by `token`.
    let mark = |condition: sea_orm::sea_query::SimpleExpr| {
        notification::Entity::update_many()
            .col_expr(notification::Column::Status, Expr::value("sending"))
            .col_expr(notification::Column::ClaimToken, Expr::value(token))
            .col_expr(
                notification::Column::LeaseUntil,
                Expr::value(Timestamp(lease_until)),
            )
            .col_expr(
                notification::Column::AttemptCount,
                Expr::col(notification::Column::AttemptCount).add(1),
            )
            .col_expr(notification::Column::UpdatedAt, Expr::value(Timestamp(now)))
            .filter(condition)
            .filter(notification::Column::Status.eq("pending"))
    };
    match Backend::from(db.get_database_backend()) {
        Backend::Sqlite => {
            let due = Query::select()
                .column(notification::Column::Id)
                .from(notification::Entity)
                .and_where(notification::Column::Status.eq("pending"))
                .and_where(notification::Column::NextAttemptAt.lte(Timestamp(now)))
                .order_by(notification::Column::NextAttemptAt, sea_orm::Order::Asc)
                .limit(limit)
                .to_owned();
            mark(notification::Column::Id.in_subquery(due))
                .exec(db)
                .await?;
        }
        Backend::MySql | Backend::Postgres => {
            let txn = crate::db::begin_write(db).await?;
            let mut select = notification::Entity::find()
                .select_only()
                .column(notification::Column::Id)
                .filter(notification::Column::Status.eq("pending"))
                .filter(notification::Column::NextAttemptAt.lte(Timestamp(now)))
                .order_by_asc(notification::Column::NextAttemptAt)
                .limit(limit);
            QuerySelect::query(&mut select)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
            let ids: Vec<i64> = select.into_tuple().all(&txn).await?;
            if !ids.is_empty() {
                mark(notification::Column::Id.is_in(ids)).exec(&txn).await?;
            }
            txn.commit().await?;
        }
    }
    notification::Entity::find()
        .filter(notification::Column::ClaimToken.eq(token))
        .filter(notification::Column::Status.eq("sending"))
        .order_by_asc(notification::Column::Id)
        .all(db)
        .await
}

/// Hands notifications whose lease lapsed (their node died mid-send) back to the queue,
/// recording the interrupted attempt. Returns how many.
pub async fn reclaim_expired<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let mut select = notification::Entity::find()
        .filter(notification::Column::Status.eq("sending"))
        .filter(notification::Column::LeaseUntil.lt(Timestamp(now)))
        .limit(1000);
    if Backend::from(db.get_database_backend()) != Backend::Sqlite {
        QuerySelect::query(&mut select)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let lapsed = select.all(&txn).await?;
    if lapsed.is_empty() {
        txn.commit().await?;
        return Ok(0);
    }
    let attempts = lapsed.iter().map(|row| notification_attempt::ActiveModel {
        notification_id: sea_orm::Set(row.id),
        business_id: sea_orm::Set(row.business_id),
        attempted_at: sea_orm::Set(now.into()),
        outcome: sea_orm::Set("lease_expired".into()),
        provider: sea_orm::Set(None),
        provider_message_id: sea_orm::Set(None),
        error_code: sea_orm::Set(Some("lease_expired".into())),
        error_message: sea_orm::Set(Some(
            "the node sending it stopped before recording the outcome".into(),
        )),
        channel: sea_orm::Set(Some(row.channel.clone())),
        ..Default::default()
    });
    notification_attempt::Entity::insert_many(attempts)
        .exec_without_returning(&txn)
        .await?;
    let ids: Vec<i64> = lapsed.iter().map(|row| row.id).collect();
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value("pending"))
        .col_expr(
            notification::Column::ClaimToken,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            notification::Column::LeaseUntil,
            Expr::value(Option::<Timestamp>::None),
        )
        .col_expr(
            notification::Column::NextAttemptAt,
            Expr::value(Timestamp(now)),
        )
        .col_expr(notification::Column::UpdatedAt, Expr::value(Timestamp(now)))
        .filter(notification::Column::Id.is_in(ids))
        .filter(notification::Column::Status.eq("sending"))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(result.rows_affected)
}

/// Puts claimed notifications that were never tried back in the queue (shutdown).
pub async fn release(
    db: &impl ConnectionTrait,
    token: &str,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value("pending"))
        .col_expr(
            notification::Column::ClaimToken,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            notification::Column::LeaseUntil,
            Expr::value(Option::<Timestamp>::None),
        )
        .col_expr(
            notification::Column::AttemptCount,
            Expr::col(notification::Column::AttemptCount).sub(1),
        )
        .col_expr(notification::Column::UpdatedAt, Expr::value(Timestamp(now)))
        .filter(notification::Column::ClaimToken.eq(token))
        .filter(notification::Column::Status.eq("sending"))
        .filter(notification::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The earliest time a pending notification becomes due.
pub async fn earliest_pending(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, DbErr> {
    notification::Entity::find()
        .select_only()
        .column(notification::Column::NextAttemptAt)
        .filter(notification::Column::Status.eq("pending"))
        .order_by_asc(notification::Column::NextAttemptAt)
        .limit(1)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await
}

/// Cancels the queued notifications of a reminder (paused or cancelled).
pub async fn cancel_pending(
    db: &impl ConnectionTrait,
    business: BusinessId,
    reminder_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value("cancelled"))
        .col_expr(notification::Column::ErrorCode, Expr::value(reason))
        .col_expr(notification::Column::UpdatedAt, Expr::value(Timestamp(now)))
        .filter(notification::Column::BusinessId.eq(business.0))
        .filter(notification::Column::ReminderId.eq(reminder_id))
        .filter(notification::Column::Status.eq("pending"))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Puts a failed notification back in the queue for a fresh round of attempts.
pub async fn requeue(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: i64,
    from_statuses: &[&str],
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value("pending"))
        .col_expr(
            notification::Column::SentAt,
            Expr::value(Option::<Timestamp>::None),
        )
        .col_expr(
            notification::Column::DeliveredAt,
            Expr::value(Option::<Timestamp>::None),
        )
        .col_expr(
            notification::Column::ReadAt,
            Expr::value(Option::<Timestamp>::None),
        )
        .col_expr(notification::Column::AttemptCount, Expr::value(0))
        .col_expr(
            notification::Column::NextAttemptAt,
            Expr::value(Timestamp(now)),
        )
        .col_expr(
            notification::Column::ErrorCode,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            notification::Column::ErrorMessage,
            Expr::value(Option::<String>::None),
        )
        .col_expr(notification::Column::UpdatedAt, Expr::value(Timestamp(now)))
        .filter(notification::Column::BusinessId.eq(business.0))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::Status.is_in(from_statuses.iter().copied()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Marks a notification read in the firm's inbox (the first time counts).
pub async fn mark_inbox_read(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    notification::Entity::update_many()
        .col_expr(
            notification::Column::InboxReadAt,
            Expr::value(Timestamp(now)),
        )
        .filter(notification::Column::BusinessId.eq(business.0))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::InboxReadAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

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

/// Records the outcome of claimed notifications and their attempts in one transaction. Each
/// update holds only while the claim is still ours; returns how many were recorded.
pub async fn finish_many<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    token: &str,
    outcomes: &[(notification::Model, Finish)],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    if outcomes.is_empty() {
        return Ok(0);
    }
    let txn = crate::db::begin_write(db).await?;
    let attempts: Vec<notification_attempt::ActiveModel> = outcomes
        .iter()
        .filter(|(_, finish)| !matches!(finish, Finish::Skipped { .. } | Finish::Deferred { .. }))
        .map(|(row, finish)| {
            let (outcome, provider, provider_id, code, message) = match finish {
                Finish::Sent {
                    provider,
                    provider_message_id,
                    ..
                } => (
                    "sent",
                    Some(provider.clone()),
                    Some(provider_message_id.clone()),
                    None,
                    None,
                ),
                Finish::Retry { code, message, .. } => (
                    "transient_error",
                    None,
                    None,
                    Some(code.clone()),
                    Some(message.clone()),
                ),
                Finish::Failed { code, message } => (
                    "permanent_error",
                    None,
                    None,
                    Some(code.clone()),
                    Some(message.clone()),
                ),
                Finish::Skipped { .. } | Finish::Deferred { .. } => {
                    ("skipped", None, None, None, None)
                }
            };
            notification_attempt::ActiveModel {
                notification_id: sea_orm::Set(row.id),
                business_id: sea_orm::Set(row.business_id),
                attempted_at: sea_orm::Set(now.into()),
                outcome: sea_orm::Set(outcome.into()),
                provider: sea_orm::Set(provider),
                provider_message_id: sea_orm::Set(provider_id),
                error_code: sea_orm::Set(code),
                error_message: sea_orm::Set(message),
                channel: sea_orm::Set(Some(row.channel.clone())),
                segments: sea_orm::Set(match finish {
                    Finish::Sent { segments, .. } => *segments,
                    _ => None,
                }),
                ..Default::default()
            }
        })
        .collect();
    let per_statement = crate::db::rows_per_statement(notification_attempt::Column::iter().count());
    for chunk in attempts.chunks(per_statement) {
        notification_attempt::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
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
            .col_expr(notification::Column::Status, Expr::value("sent"))
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
            .filter(notification::Column::Status.eq("sending"))
            .exec(&txn)
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
                .col_expr(notification::Column::Status, Expr::value("pending"))
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
                .col_expr(notification::Column::Status, Expr::value("failed"))
                .col_expr(notification::Column::ErrorCode, Expr::value(code.as_str()))
                .col_expr(
                    notification::Column::ErrorMessage,
                    Expr::value(message.as_str()),
                ),
            Finish::Skipped { code } => update
                .col_expr(notification::Column::Status, Expr::value("skipped"))
                .col_expr(notification::Column::ErrorCode, Expr::value(code.as_str())),
            Finish::Deferred {
                next_attempt_at,
                code,
            } => update
                .col_expr(
                    notification::Column::ErrorCode,
                    Expr::value(code.map(str::to_owned)),
                )
                .col_expr(notification::Column::Status, Expr::value("pending"))
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
            .filter(notification::Column::Status.eq("sending"))
            .exec(&txn)
            .await?
            .rows_affected;
    }
    txn.commit().await?;
    Ok(recorded)
}

/// A sent notification by the id its provider gave it: only for provider webhooks, whose
/// signature names the account (and so the businesses) they may touch.
pub async fn find_by_provider_message(
    db: &impl ConnectionTrait,
    provider: &str,
    provider_message_id: &str,
) -> Result<Option<notification::Model>, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::ProviderMessageId.eq(provider_message_id))
        .filter(notification::Column::Provider.eq(provider))
        .one(db)
        .await
}

/// What a provider reported about a message it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryReport {
    /// Reached the handset or mailbox.
    Delivered,
    /// Read by the recipient (WhatsApp).
    Read,
    /// Could not be delivered.
    Failed {
        /// The provider's code.
        code: String,
        /// What it means.
        message: String,
    },
}

/// Moves a notification forward on a provider's report: `sent → delivered → read`, or
/// `sent → failed`. Reports arrive repeated and out of order, so one never moves a notification
/// back (a late `delivered` after `read` changes nothing). Returns whether it changed.
pub async fn apply_report(
    db: &impl ConnectionTrait,
    id: i64,
    report: &DeliveryReport,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let update = notification::Entity::update_many()
        .col_expr(notification::Column::UpdatedAt, Expr::value(Timestamp(now)))
        .filter(notification::Column::Id.eq(id));
    let update = match report {
        DeliveryReport::Delivered => update
            .col_expr(notification::Column::Status, Expr::value("delivered"))
            .col_expr(
                notification::Column::DeliveredAt,
                Expr::value(Timestamp(at)),
            )
            .filter(notification::Column::Status.eq("sent")),
        DeliveryReport::Read => update
            .col_expr(notification::Column::Status, Expr::value("read"))
            .col_expr(notification::Column::ReadAt, Expr::value(Timestamp(at)))
            .col_expr(
                notification::Column::DeliveredAt,
                Expr::col(notification::Column::DeliveredAt).if_null(Timestamp(at)),
            )
            .filter(notification::Column::Status.is_in(["sent", "delivered"])),
        DeliveryReport::Failed { code, message } => update
            .col_expr(notification::Column::Status, Expr::value("failed"))
            .col_expr(notification::Column::ErrorCode, Expr::value(code.as_str()))
            .col_expr(
                notification::Column::ErrorMessage,
                Expr::value(message.as_str()),
            )
            .filter(notification::Column::Status.eq("sent")),
    };
    let changed = update.exec(db).await?.rows_affected > 0;
    if changed && let DeliveryReport::Failed { code, message } = report {
        let row = notification::Entity::find_by_id(id).one(db).await?;
        if let Some(row) = row {
            notification_attempt::Entity::insert(notification_attempt::ActiveModel {
                notification_id: sea_orm::Set(row.id),
                business_id: sea_orm::Set(row.business_id),
                attempted_at: sea_orm::Set(at.into()),
                outcome: sea_orm::Set("undelivered".into()),
                provider: sea_orm::Set(row.provider),
                provider_message_id: sea_orm::Set(row.provider_message_id),
                error_code: sea_orm::Set(Some(code.clone())),
                error_message: sea_orm::Set(Some(message.clone())),
                channel: sea_orm::Set(Some(row.channel)),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
    }
    Ok(changed)
}

/// The notification of one client, channel and occurrence of a reminder (what a payment link
/// names).
pub async fn find_for_occurrence(
    db: &impl ConnectionTrait,
    reminder_id: i64,
    client_id: i64,
    channel: &str,
    occurrence_at: DateTime<Utc>,
) -> Result<Option<notification::Model>, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::ReminderId.eq(reminder_id))
        .filter(notification::Column::ClientId.eq(client_id))
        .filter(notification::Column::Channel.eq(channel))
        // Links carry whole seconds; manual sends happen at any microsecond.
        .filter(notification::Column::OccurrenceAt.gte(Timestamp(occurrence_at)))
        .filter(
            notification::Column::OccurrenceAt
                .lt(Timestamp(occurrence_at + chrono::Duration::seconds(1))),
        )
        .one(db)
        .await
}

/// How many notifications of the business per status and channel, by occurrence in the window.
pub async fn counts(
    db: &impl ConnectionTrait,
    business: BusinessId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<(String, String, i64)>, DbErr> {
    let mut query = notification::Entity::find()
        .select_only()
        .column(notification::Column::Status)
        .column(notification::Column::Channel)
        .column_as(notification::Column::Id.count(), "count")
        .filter(notification::Column::BusinessId.eq(business.0))
        .group_by(notification::Column::Status)
        .group_by(notification::Column::Channel);
    if let Some(from) = from {
        query = query.filter(notification::Column::OccurrenceAt.gte(Timestamp(from)));
    }
    if let Some(to) = to {
        query = query.filter(notification::Column::OccurrenceAt.lt(Timestamp(to)));
    }
    query.into_tuple().all(db).await
}

/// The queue across all businesses: notifications due now, pending for later, and the oldest
/// due time (how far the dispatcher lags).
pub async fn queue_depth(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<(u64, u64, Option<DateTime<Utc>>), DbErr> {
    let pending =
        || notification::Entity::find().filter(notification::Column::Status.eq("pending"));
    let due = pending()
        .filter(notification::Column::NextAttemptAt.lte(Timestamp(now)))
        .count(db)
        .await?;
    let later = pending()
        .filter(notification::Column::NextAttemptAt.gt(Timestamp(now)))
        .count(db)
        .await?;
    let oldest = pending()
        .select_only()
        .column(notification::Column::NextAttemptAt)
        .filter(notification::Column::NextAttemptAt.lte(Timestamp(now)))
        .order_by_asc(notification::Column::NextAttemptAt)
        .limit(1)
        .into_tuple::<Timestamp>()
        .one(db)
        .await?;
    Ok((due, later, oldest.map(|t| t.0)))
}

/// Sends of the business in `[from, to)` per channel: (channel, messages, SMS parts, where a
/// send without a report counts as one part). Every attempt handed to a provider counts, a
/// resend too.
pub async fn sent_in(
    db: &impl ConnectionTrait,
    business: BusinessId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Option<String>, i64, i64)>, DbErr> {
    // MySQL sums integers as DECIMAL: cast back to a 64-bit integer on every backend.
    let integer = match db.get_database_backend() {
        sea_orm::DbBackend::MySql => "SIGNED",
        _ => "BIGINT",
    };
    notification_attempt::Entity::find()
        .select_only()
        .column(notification_attempt::Column::Channel)
        .column_as(notification_attempt::Column::Id.count(), "messages")
        .column_as(
            Expr::cust(format!("CAST(SUM(COALESCE(segments, 1)) AS {integer})")),
            "parts",
        )
        .filter(notification_attempt::Column::BusinessId.eq(business.0))
        .filter(notification_attempt::Column::Outcome.eq("sent"))
        .filter(notification_attempt::Column::AttemptedAt.gte(Timestamp(from)))
        .filter(notification_attempt::Column::AttemptedAt.lt(Timestamp(to)))
        .group_by(notification_attempt::Column::Channel)
        .into_tuple()
        .all(db)
        .await
}
