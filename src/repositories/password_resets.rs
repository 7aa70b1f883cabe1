//! `password_resets`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::domain::UserId;
use crate::entities::{Timestamp, password_reset};

/// Stores a new token's hash.
pub async fn insert(
    db: &impl ConnectionTrait,
    user: UserId,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    password_reset::Entity::insert(password_reset::ActiveModel {
        user_id: Set(user.0),
        token_hash: Set(token_hash.to_owned()),
        expires_at: Set(Timestamp(expires_at)),
        used_at: Set(None),
        created_at: Set(Timestamp(now)),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The unused, unexpired token with this hash.
pub async fn find_usable(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<password_reset::Model>, DbErr> {
    password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(token_hash))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(Timestamp(now)))
        .one(db)
        .await
}

/// Uses a token if it is still unused and unexpired, in one conditional update so two
/// concurrent uses cannot both succeed.
pub async fn consume(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let used = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(Timestamp(now)))
        .filter(password_reset::Column::Id.eq(id))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(Timestamp(now)))
        .exec(db)
        .await?;
    Ok(used.rows_affected == 1)
}

/// Ends a user's unused tokens (a newer one was sent, or the password was just set).
pub async fn expire_for_user(
    db: &impl ConnectionTrait,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(Timestamp(now)))
        .filter(password_reset::Column::UserId.eq(user.0))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
