//! `idempotency_keys`: answers remembered per business, scope and key.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::domain::BusinessId;
use crate::entities::idempotency_key;

/// The ids remembered for a key, if it was used before.
pub async fn find_ids(
    db: &impl ConnectionTrait,
    business: BusinessId,
    scope: &str,
    key: &str,
) -> Result<Option<Vec<i64>>, DbErr> {
    let row = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::BusinessId.eq(business.0))
        .filter(idempotency_key::Column::Scope.eq(scope))
        .filter(idempotency_key::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?;
    Ok(row.map(|row| serde_json::from_str(&row.response).unwrap_or_default()))
}

/// Reserves a key; a unique violation means it was used already.
pub async fn insert(
    db: &impl ConnectionTrait,
    business: BusinessId,
    scope: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    idempotency_key::Entity::insert(idempotency_key::ActiveModel {
        business_id: Set(business.0),
        scope: Set(scope.to_owned()),
        idempotency_key: Set(key.to_owned()),
        response: Set("[]".into()),
        created_at: Set(now.into()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Stores the answer of a reserved key.
pub async fn store_ids(
    db: &impl ConnectionTrait,
    business: BusinessId,
    scope: &str,
    key: &str,
    ids: &[i64],
) -> Result<(), DbErr> {
    let response = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    idempotency_key::Entity::update_many()
        .col_expr(idempotency_key::Column::Response, Expr::value(response))
        .filter(idempotency_key::Column::BusinessId.eq(business.0))
        .filter(idempotency_key::Column::Scope.eq(scope))
        .filter(idempotency_key::Column::IdempotencyKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}
