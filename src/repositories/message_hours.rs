//! `message_hours`: a business's messages counted per hour of occurrence (UTC), channel and
//! status, so that the dashboard reads a few hundred counts instead of grouping tens of
//! thousands of messages on every view.
//!
//! The counts are brought up to date when read ([`refresh`]): the hours of the messages whose
//! `updated_at` moved since the last count are counted again from `notifications`, which stays
//! the only record. No write path has to remember to keep them, so no new way of changing a
//! message can leave them wrong for long:
//!
//! - a change is seen by the next view if it was committed within [`LAG`] of the time it was
//!   stamped with (slow commits and node clocks that disagree by less than that);
//! - deletions (a client deleted with their history) leave no `updated_at` behind, so
//!   [`forget`] is called where they happen, and every hour is counted afresh at least every
//!   [`REBUILD_EVERY`] anyway, which bounds anything missed.
//!
//! Only the last [`KEPT_DAYS`] days are kept: the dashboard looks back 30 local days.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, DurationRound, NaiveDateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Condition, Expr, LockType, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, Iterable, QueryFilter,
    QuerySelect, Set, TransactionTrait,
};

use crate::db::{Backend, begin_write, rows_per_statement};
use crate::domain::{BusinessId, Channel, NotificationStatus};
use crate::entities::{Timestamp, message_hour, message_hours_state, notification};

/// Changes stamped this long before the last count are looked at again.
pub const LAG: Duration = Duration::seconds(60);

/// Every kept hour is counted afresh at least this often.
pub const REBUILD_EVERY: Duration = Duration::hours(1);

/// Days of hours kept: 30 local days in any time zone, and a margin.
pub const KEPT_DAYS: i64 = 32;

/// More changed hours than this are counted in one pass over all kept hours.
const MOST_HOURS_RECOUNTED: usize = 48;

/// The messages of one hour, channel and status.
pub type HourCount = message_hour::Model;

/// The start of the UTC hour holding `at`.
pub fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at)
}

/// The kept counts of the business's hours in `[from, to)`.
pub async fn read(
    db: &impl ConnectionTrait,
    business: BusinessId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<HourCount>, DbErr> {
    message_hour::Entity::find()
        .filter(message_hour::Column::BusinessId.eq(business.0))
        .filter(message_hour::Column::Hour.gte(Timestamp(from)))
        .filter(message_hour::Column::Hour.lt(Timestamp(to)))
        .all(db)
        .await
}

/// Counts again the hours whose messages changed since the last count (all kept hours when
/// there was none, or it is [`REBUILD_EVERY`] old). Nothing is written when nothing changed and
/// the last count is recent; otherwise one transaction, taken one at a time per business.
pub async fn refresh(
    db: &DatabaseConnection,
    business: BusinessId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let kept_from = hour_of(now - Duration::days(KEPT_DAYS));
    if let Some(state) = message_hours_state::Entity::find_by_id(business.0)
        .one(db)
        .await?
        && up_to_date(&state, now)
        && changed_hours(db, business, *state.counted_through - LAG, kept_from)
            .await?
            .is_empty()
    {
        return Ok(());
    }
    let txn = begin_write(db).await?;
    let state = lock_state(&*txn, business).await?;
    let mut rebuilt_at = state.rebuilt_at;
    let changed = if *state.rebuilt_at <= now - REBUILD_EVERY {
        None
    } else {
        let since = *state.counted_through - LAG;
        Some(changed_hours(&txn, business, since, kept_from).await?)
            .filter(|hours| hours.len() <= MOST_HOURS_RECOUNTED)
    };
    match changed {
        // Another view counted them meanwhile.
        Some(hours) if hours.is_empty() && up_to_date(&state, now) => {
            return txn.rollback().await;
        }
        Some(hours) => {
            for (first, last) in runs(&hours) {
                recount(&txn, business, first, Some(last + Duration::hours(1))).await?;
            }
            message_hour::Entity::delete_many()
                .filter(message_hour::Column::BusinessId.eq(business.0))
                .filter(message_hour::Column::Hour.lt(Timestamp(kept_from)))
                .exec(&txn)
                .await?;
        }
        None => {
            recount(&txn, business, kept_from, None).await?;
            rebuilt_at = Timestamp(now);
        }
    }
    message_hours_state::Entity::update(message_hours_state::ActiveModel {
        business_id: Set(business.0),
        counted_through: Set(Timestamp(now)),
        rebuilt_at: Set(rebuilt_at),
    })
    .exec(&txn)
    .await?;
    txn.commit().await
}

/// Whether counts made under `state` need no new count at `now` when nothing changed since:
/// not due for the hourly recount, and the next view still looks back to the last count.
fn up_to_date(state: &message_hours_state::Model, now: DateTime<Utc>) -> bool {
    *state.rebuilt_at > now - REBUILD_EVERY && *state.counted_through > now - LAG
}

/// Drops the business's counts so that the next view counts every hour afresh: for changes that
/// leave no `updated_at` behind (deleted messages).
pub async fn forget(db: &impl ConnectionTrait, business: BusinessId) -> Result<(), DbErr> {
    message_hours_state::Entity::delete_by_id(business.0)
        .exec(db)
        .await?;
    Ok(())
}

/// The business's watermark, created (as never counted) if missing, and locked until the
/// transaction ends so that two views do not count the same hours at once.
async fn lock_state<C: ConnectionTrait + TransactionTrait>(
    txn: &C,
    business: BusinessId,
) -> Result<message_hours_state::Model, DbErr> {
    let never = Timestamp(DateTime::UNIX_EPOCH);
    message_hours_state::Entity::insert(message_hours_state::ActiveModel {
        business_id: Set(business.0),
        counted_through: Set(never),
        rebuilt_at: Set(never),
    })
    .on_conflict(
        OnConflict::column(message_hours_state::Column::BusinessId)
            .do_nothing_on([message_hours_state::Column::BusinessId])
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    let mut query = message_hours_state::Entity::find_by_id(business.0);
    if Backend::from(txn.get_database_backend()) != Backend::Sqlite {
        QuerySelect::query(&mut query).lock(LockType::Update);
    }
    query
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("message_hours_state".to_owned()))
}

/// The hours (from `kept_from`) of the business's messages changed at or after `since`.
async fn changed_hours(
    db: &impl ConnectionTrait,
    business: BusinessId,
    since: DateTime<Utc>,
    kept_from: DateTime<Utc>,
) -> Result<BTreeSet<DateTime<Utc>>, DbErr> {
    let hours: Vec<String> = notification::Entity::find()
        .select_only()
        .column_as(Expr::cust(hour_text(db)), "hour")
        .distinct()
        .filter(notification::Column::BusinessId.eq(business.0))
        .filter(notification::Column::UpdatedAt.gte(Timestamp(since)))
        .filter(notification::Column::OccurrenceAt.gte(Timestamp(kept_from)))
        .into_tuple()
        .all(db)
        .await?;
    hours.iter().map(|hour| parse_hour(hour)).collect()
}

/// Consecutive hours as (first, last) runs, so that each is counted over one range.
fn runs(hours: &BTreeSet<DateTime<Utc>>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut runs: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for hour in hours {
        match runs.last_mut() {
            Some((_, last)) if *last + Duration::hours(1) == *hour => *last = *hour,
            _ => runs.push((*hour, *hour)),
        }
    }
    runs
}

/// Replaces the business's counts of the hours in `[from, to)` (every hour from `from` on
/// without `to`) with the messages due there now.
async fn recount(
    db: &impl ConnectionTrait,
    business: BusinessId,
    from: DateTime<Utc>,
    to: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    let mut occurring =
        Condition::all().add(notification::Column::OccurrenceAt.gte(Timestamp(from)));
    let mut kept = Condition::all().add(message_hour::Column::Hour.gte(Timestamp(from)));
    if let Some(to) = to {
        occurring = occurring.add(notification::Column::OccurrenceAt.lt(Timestamp(to)));
        kept = kept.add(message_hour::Column::Hour.lt(Timestamp(to)));
    }
    let counted: Vec<(String, Channel, NotificationStatus, i64)> = notification::Entity::find()
        .select_only()
        .column_as(Expr::cust(hour_text(db)), "hour")
        .column(notification::Column::Channel)
        .column(notification::Column::Status)
        .column_as(notification::Column::Id.count(), "messages")
        .filter(notification::Column::BusinessId.eq(business.0))
        .filter(occurring)
        .group_by(Expr::cust(hour_text(db)))
        .group_by(notification::Column::Channel)
        .group_by(notification::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    message_hour::Entity::delete_many()
        .filter(message_hour::Column::BusinessId.eq(business.0))
        .filter(kept)
        .exec(db)
        .await?;
    let rows = counted
        .into_iter()
        .map(|(hour, channel, status, messages)| {
            Ok(message_hour::ActiveModel {
                business_id: Set(business.0),
                hour: Set(Timestamp(parse_hour(&hour)?)),
                channel: Set(channel),
                status: Set(status),
                messages: Set(messages),
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    for chunk in rows.chunks(rows_per_statement(message_hour::Column::iter().count())) {
        message_hour::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// `occurrence_at`'s UTC hour as `YYYY-MM-DD HH` text, in the connection's dialect.
fn hour_text(db: &impl ConnectionTrait) -> &'static str {
    match Backend::from(db.get_database_backend()) {
        Backend::Sqlite => "strftime('%Y-%m-%d %H', occurrence_at)",
        Backend::MySql => "DATE_FORMAT(occurrence_at, '%Y-%m-%d %H')",
        Backend::Postgres => "to_char(occurrence_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')",
    }
}

/// The hour [`hour_text`] named.
fn parse_hour(text: &str) -> Result<DateTime<Utc>, DbErr> {
    NaiveDateTime::parse_from_str(&format!("{text}:00:00"), "%Y-%m-%d %H:%M:%S")
        .map(|hour| hour.and_utc())
        .map_err(|error| DbErr::Type(format!("hour {text:?}: {error}")))
}
