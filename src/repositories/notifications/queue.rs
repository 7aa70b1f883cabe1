//! The queue protocol: notifications go in once per (reminder, client, channel, occurrence),
//! are claimed under a token and a lease, handed back when a lease lapses or a send is put off,
//! cancelled or requeued, and counted for `/ready` and `/metrics`.
//!
//! Claiming is the one dialect-dependent query: MySQL and PostgreSQL select due rows with
//! `FOR UPDATE SKIP LOCKED` and mark them in the caller's short transaction; SQLite, with a
//! single writer, marks them with one conditional `UPDATE … WHERE id IN (SELECT …)`. Either way
//! a claim writes a fresh `claim_token` and a lease, and every later write is conditional on
//! that token, so a node whose lease lapsed cannot overwrite the work of the node that took over.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Iterable, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::db::Backend;
use crate::domain::{AttemptOutcome, BusinessId, NotificationStatus};
use crate::entities::Timestamp;
use crate::entities::{dispatch_claim, notification, notification_attempt};

/// Inserts notifications; one that already exists for its (reminder, client, channel,
/// occurrence) is left as it is. Returns how many were new.
pub async fn insert_new(
    db: &impl ConnectionTrait,
    rows: Vec<notification::ActiveModel>,
) -> Result<u64, DbErr> {
    let mut inserted = 0;
    let per_statement = crate::db::rows_per_statement(notification::Column::iter().count());
    for chunk in crate::db::statement_runs(rows, per_statement, crate::db::row_bytes) {
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

/// Claims up to `limit` pending notifications due by `now` under a new `token`, leased until
/// `lease_until`, and returns them.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
    token: &str,
    lease_until: DateTime<Utc>,
) -> Result<Vec<notification::Model>, DbErr> {
    // Marks pending rows picked by `condition` as claimed by `token`.
    let mark = |condition: sea_orm::sea_query::SimpleExpr| {
        notification::Entity::update_many()
            .col_expr(
                notification::Column::Status,
                Expr::value(NotificationStatus::Sending),
            )
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
            .filter(notification::Column::Status.eq(NotificationStatus::Pending))
    };
    match Backend::from(db.get_database_backend()) {
        Backend::Sqlite => {
            let due = Query::select()
                .column(notification::Column::Id)
                .from(notification::Entity)
                .and_where(super::queue_state(NotificationStatus::Pending))
                .and_where(notification::Column::NextAttemptAt.lte(Timestamp(now)))
                .order_by(notification::Column::NextAttemptAt, sea_orm::Order::Asc)
                .limit(limit)
                .to_owned();
            mark(notification::Column::Id.in_subquery(due))
                .exec(db)
                .await?;
        }
        Backend::MySql | Backend::Postgres => {
            let mut select = notification::Entity::find()
                .select_only()
                .column(notification::Column::Id)
                .filter(super::queue_state(NotificationStatus::Pending))
                .filter(notification::Column::NextAttemptAt.lte(Timestamp(now)))
                .order_by_asc(notification::Column::NextAttemptAt)
                .limit(limit);
            QuerySelect::query(&mut select)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
            let ids: Vec<i64> = select.into_tuple().all(db).await?;
            if !ids.is_empty() {
                mark(notification::Column::Id.is_in(ids)).exec(db).await?;
            }
        }
    }
    notification::Entity::find()
        .filter(notification::Column::ClaimToken.eq(token))
        .filter(super::queue_state(NotificationStatus::Sending))
        .order_by_asc(notification::Column::Id)
        .all(db)
        .await
}

/// Lapsed claims taken back by [`reclaim_expired`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reclaimed {
    /// Never started: handed back as not tried.
    pub untried: u64,
    /// Started, so possibly accepted by a provider: recorded as outcome unknown and sent again.
    pub unknown: u64,
}

/// Hands notifications whose lease lapsed (their node died) back to the queue: those whose send
/// had started with an attempt recorded as outcome unknown, the others as never tried. A claim
/// left holding none of them is forgotten.
pub async fn reclaim_expired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Reclaimed, DbErr> {
    let mut select = notification::Entity::find()
        .filter(super::queue_state(NotificationStatus::Sending))
        .filter(notification::Column::LeaseUntil.lt(Timestamp(now)))
        .limit(1000);
    if Backend::from(db.get_database_backend()) != Backend::Sqlite {
        QuerySelect::query(&mut select)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let lapsed = select.all(db).await?;
    if lapsed.is_empty() {
        return Ok(Reclaimed::default());
    }
    let tokens: Vec<String> = lapsed
        .iter()
        .filter_map(|row| row.claim_token.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let started_through: HashMap<String, i64> = dispatch_claim::Entity::find()
        .filter(dispatch_claim::Column::Token.is_in(tokens.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|claim| (claim.token, claim.started_through))
        .collect();
    let (started, untried): (Vec<_>, Vec<_>) = lapsed.into_iter().partition(|row| {
        row.claim_token
            .as_ref()
            .and_then(|token| started_through.get(token))
            .is_some_and(|through| row.id <= *through)
    });
    let untried: Vec<i64> = untried.iter().map(|row| row.id).collect();
    let reclaimed = Reclaimed {
        untried: hand_back_untried(db, None, &untried, now).await?,
        unknown: requeue_unknown(db, None, &started, now).await?,
    };
    forget_finished_claims(db, &tokens).await?;
    Ok(reclaimed)
}

/// Forgets the claims among `tokens` that no longer hold a notification.
async fn forget_finished_claims(db: &impl ConnectionTrait, tokens: &[String]) -> Result<(), DbErr> {
    let holding: HashSet<String> = notification::Entity::find()
        .select_only()
        .column(notification::Column::ClaimToken)
        .distinct()
        .filter(super::queue_state(NotificationStatus::Sending))
        .filter(notification::Column::ClaimToken.is_in(tokens.iter().cloned()))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let finished: Vec<&String> = tokens
        .iter()
        .filter(|token| !holding.contains(*token))
        .collect();
    if !finished.is_empty() {
        dispatch_claim::Entity::delete_many()
            .filter(dispatch_claim::Column::Token.is_in(finished))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Puts claimed notifications whose send started but whose outcome never came back (their node
/// died, or shut down before the provider answered) back in the queue, each with an attempt
/// saying so. `claimed_by` limits it to one claim's. Returns how many.
pub async fn requeue_unknown(
    db: &impl ConnectionTrait,
    claimed_by: Option<&str>,
    rows: &[notification::Model],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    if rows.is_empty() {
        return Ok(0);
    }
    // One claim's rows are only those it still holds: a row whose lease lapsed and which another
    // node took is that node's, and gets no attempt here.
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let ids: Vec<i64> = match claimed_by {
        Some(token) => {
            notification::Entity::find()
                .select_only()
                .column(notification::Column::Id)
                .filter(super::held_by(token, ids))
                .into_tuple::<i64>()
                .all(db)
                .await?
        }
        None => ids,
    };
    if ids.is_empty() {
        return Ok(0);
    }
    let held = rows.iter().filter(|row| ids.contains(&row.id));
    let attempts = held.map(|row| notification_attempt::ActiveModel {
        notification_id: sea_orm::Set(row.id),
        business_id: sea_orm::Set(row.business_id),
        attempted_at: sea_orm::Set(now.into()),
        outcome: sea_orm::Set(AttemptOutcome::LeaseExpired),
        provider: sea_orm::Set(None),
        provider_message_id: sea_orm::Set(None),
        error_code: sea_orm::Set(Some(OUTCOME_UNKNOWN.into())),
        error_message: sea_orm::Set(Some(
            "the node sending it stopped during the send, so whether the provider took it is \
             unknown; sent again"
                .into(),
        )),
        channel: sea_orm::Set(Some(row.channel)),
        ..Default::default()
    });
    notification_attempt::Entity::insert_many(attempts)
        .exec_without_returning(db)
        .await?;
    let requeued = hand_back(now, claimed_by, &ids)
        .col_expr(
            notification::Column::NextAttemptAt,
            Expr::value(Timestamp(now)),
        )
        .exec(db)
        .await?;
    Ok(requeued.rows_affected)
}

/// The error code of an attempt whose outcome is unknown (see [`requeue_unknown`]).
const OUTCOME_UNKNOWN: &str = "outcome_unknown";

/// Puts claimed notifications that were never tried back in the queue (shutdown).
pub async fn release(
    db: &impl ConnectionTrait,
    token: &str,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    hand_back_untried(db, Some(token), ids, now).await
}

/// Puts claimed notifications never handed to their send back in the queue, due now, their
/// attempt uncounted; `claimed_by` limits it to one claim's.
async fn hand_back_untried(
    db: &impl ConnectionTrait,
    claimed_by: Option<&str>,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    let handed_back = hand_back(now, claimed_by, ids)
        .col_expr(
            notification::Column::AttemptCount,
            Expr::col(notification::Column::AttemptCount).sub(1),
        )
        .exec(db)
        .await?;
    Ok(handed_back.rows_affected)
}

/// An update that puts claimed notifications (`ids`, still `sending`; only `claimed_by`'s when
/// given) back in the queue as pending: what handing back untried and outcome unknown share.
fn hand_back(
    now: DateTime<Utc>,
    claimed_by: Option<&str>,
    ids: &[i64],
) -> sea_orm::UpdateMany<notification::Entity> {
    let update = super::unclaim(now).col_expr(
        notification::Column::Status,
        Expr::value(NotificationStatus::Pending),
    );
    let ids = ids.iter().copied();
    match claimed_by {
        Some(token) => update.filter(super::held_by(token, ids)),
        None => update
            .filter(notification::Column::Status.eq(NotificationStatus::Sending))
            .filter(notification::Column::Id.is_in(ids)),
    }
}

/// Records that the claim `token` has handed its notifications through the largest of `ids` to
/// their send, before any provider is called. A claim starts its notifications in id order, so
/// one id per claim says which have started (`dispatch_claim`), and starting a group writes
/// one row, not each notification.
pub async fn mark_started(
    db: &impl ConnectionTrait,
    token: &str,
    ids: &[i64],
) -> Result<(), DbErr> {
    let Some(&through) = ids.iter().max() else {
        return Ok(());
    };
    dispatch_claim::Entity::insert(dispatch_claim::ActiveModel {
        token: Set(token.to_owned()),
        started_through: Set(through),
    })
    .on_conflict(
        OnConflict::column(dispatch_claim::Column::Token)
            .update_column(dispatch_claim::Column::StartedThrough)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Forgets the claim `token`, once it holds no notification: its batch is done.
pub async fn end_claim(db: &impl ConnectionTrait, token: &str) -> Result<(), DbErr> {
    dispatch_claim::Entity::delete_by_id(token.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Extends the lease of every notification still claimed by `token` to `until`.
pub async fn renew_lease(
    db: &impl ConnectionTrait,
    token: &str,
    until: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = notification::Entity::update_many()
        .col_expr(
            notification::Column::LeaseUntil,
            Expr::value(Timestamp(until)),
        )
        .filter(notification::Column::ClaimToken.eq(token))
        .filter(super::queue_state(NotificationStatus::Sending))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The earliest time the dispatcher has work: a pending notification becomes due, or a claim's
/// lease lapses (its node may have died).
pub async fn earliest_pending(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, DbErr> {
    let earliest = |status: NotificationStatus, column: notification::Column| {
        notification::Entity::find()
            .select_only()
            .column(column)
            .filter(super::queue_state(status))
            .filter(column.is_not_null())
            .order_by_asc(column)
            .limit(1)
            .into_tuple::<DateTime<Utc>>()
            .one(db)
    };
    let due = earliest(
        NotificationStatus::Pending,
        notification::Column::NextAttemptAt,
    )
    .await?;
    let lapse = earliest(
        NotificationStatus::Sending,
        notification::Column::LeaseUntil,
    )
    .await?;
    Ok(due.into_iter().chain(lapse).min())
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
        .col_expr(
            notification::Column::Status,
            Expr::value(NotificationStatus::Cancelled),
        )
        .col_expr(notification::Column::ErrorCode, Expr::value(reason))
        .col_expr(notification::Column::UpdatedAt, Expr::value(Timestamp(now)))
        .filter(notification::Column::BusinessId.eq(business.0))
        .filter(notification::Column::ReminderId.eq(reminder_id))
        .filter(notification::Column::Status.eq(NotificationStatus::Pending))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Puts a failed notification back in the queue for a fresh round of attempts.
pub async fn requeue(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: i64,
    from_statuses: &[NotificationStatus],
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = notification::Entity::update_many()
        .col_expr(
            notification::Column::Status,
            Expr::value(NotificationStatus::Pending),
        )
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

/// The queue across all businesses: notifications due now, pending for later, and the oldest
/// due time (how far the dispatcher lags).
pub async fn queue_depth(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<(u64, u64, Option<DateTime<Utc>>), DbErr> {
    let pending =
        || notification::Entity::find().filter(super::queue_state(NotificationStatus::Pending));
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
