//! `businesses`.

use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait};

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
