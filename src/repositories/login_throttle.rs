//! `login_throttle`: failure counters shared by all nodes through the database. Increments are
//! done in SQL so concurrent failures are all counted.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::entities::Timestamp;
use crate::entities::login_throttle;

/// The counter of a key.
pub async fn find(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<login_throttle::Model>, DbErr> {
    login_throttle::Entity::find_by_id(key.to_owned())
        .one(db)
        .await
}

/// Starts a counter at one failure; fails with a unique violation when another node did first.
pub async fn insert_first(
    db: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        throttle_key: Set(key.to_owned()),
        failures: Set(1),
        window_started_at: Set(now.into()),
        locked_until: Set(None),
    })
    .exec(db)
    .await?;
    Ok(())
}

/// Starts a new window at one failure.
pub async fn restart_window(
    db: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    login_throttle::Entity::update_many()
        .col_expr(login_throttle::Column::Failures, Expr::value(1))
        .col_expr(
            login_throttle::Column::WindowStartedAt,
            Expr::value(Timestamp(now)),
        )
        .col_expr(
            login_throttle::Column::LockedUntil,
            Expr::value(Option::<Timestamp>::None),
        )
        .filter(login_throttle::Column::ThrottleKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Adds one failure to the current window.
pub async fn increment(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Failures,
            Expr::col(login_throttle::Column::Failures).add(1),
        )
        .filter(login_throttle::Column::ThrottleKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Locks the key until `until`.
pub async fn lock(db: &impl ConnectionTrait, key: &str, until: DateTime<Utc>) -> Result<(), DbErr> {
    login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::LockedUntil,
            Expr::value(Timestamp(until)),
        )
        .filter(login_throttle::Column::ThrottleKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets a key's failures (after a successful sign-in).
pub async fn clear(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    login_throttle::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await?;
    Ok(())
}
