//! `login_throttle`: attempt counters shared by all nodes through the database. Every change is
//! one conditional SQL statement, so concurrent requests cannot take more attempts than allowed.

use chrono::{DateTime, Duration, Utc};
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

/// Creates the key's counter at zero unless it exists (another node may create it first).
pub async fn ensure(db: &impl ConnectionTrait, key: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    // A plain insert whose unique violation means "already there": portable, and outside a
    // transaction it aborts nothing.
    let inserted = login_throttle::Entity::insert(login_throttle::ActiveModel {
        throttle_key: Set(key.to_owned()),
        failures: Set(0),
        window_started_at: Set(now.into()),
    })
    .exec_without_returning(db)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(error)
            if matches!(
                error.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Ok(())
        }
        Err(error) => Err(error),
    }
}

/// Starts a new window at zero when the key's window began `window` or longer ago.
pub async fn restart_if_over(
    db: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
    window: Duration,
) -> Result<(), DbErr> {
    login_throttle::Entity::update_many()
        .col_expr(login_throttle::Column::Failures, Expr::value(0))
        .col_expr(
            login_throttle::Column::WindowStartedAt,
            Expr::value(Timestamp(now)),
        )
        .filter(login_throttle::Column::ThrottleKey.eq(key))
        .filter(login_throttle::Column::WindowStartedAt.lte(Timestamp(now - window)))
        .exec(db)
        .await?;
    Ok(())
}

/// Takes one attempt from a window that began after `window_after`, when fewer than `max` were
/// taken in it, in one conditional update; false when there is no such row or no attempt left.
pub async fn take(
    db: &impl ConnectionTrait,
    key: &str,
    max: u32,
    window_after: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Failures,
            Expr::col(login_throttle::Column::Failures).add(1),
        )
        .filter(login_throttle::Column::ThrottleKey.eq(key))
        .filter(login_throttle::Column::WindowStartedAt.gt(Timestamp(window_after)))
        .filter(login_throttle::Column::Failures.lt(i64::from(max)))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Gives one attempt back (it succeeded, or a later key refused the request).
pub async fn give_back(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Failures,
            Expr::col(login_throttle::Column::Failures).sub(1),
        )
        .filter(login_throttle::Column::ThrottleKey.eq(key))
        .filter(login_throttle::Column::Failures.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets a key's attempts (after a successful sign-in).
pub async fn clear(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    login_throttle::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await?;
    Ok(())
}
