//! `businesses`.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::domain::BusinessId;
use crate::entities::business;

/// The caller's own business.
pub async fn find(
    db: &impl ConnectionTrait,
    id: BusinessId,
) -> Result<Option<business::Model>, DbErr> {
    business::Entity::find_by_id(id.0).one(db).await
}

/// Inserts a business.
pub async fn insert(
    db: &impl ConnectionTrait,
    row: business::ActiveModel,
) -> Result<business::Model, DbErr> {
    row.insert(db).await
}

/// Saves changed fields of a business.
pub async fn update(
    db: &impl ConnectionTrait,
    row: business::ActiveModel,
) -> Result<business::Model, DbErr> {
    row.update(db).await
}

/// Businesses by id: only for the dispatcher, which works for every business.
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<business::Model>, DbErr> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        found.extend(
            business::Entity::find()
                .filter(business::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(found)
}
