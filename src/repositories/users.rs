//! `users`.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::Paged;
use crate::domain::{BusinessId, Role, UserId};
use crate::entities::user;

/// A user of the business, active or not.
pub async fn find(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: UserId,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id.0)
        .filter(user::Column::BusinessId.eq(business.0))
        .one(db)
        .await
}

/// An active user of the business (the token's bearer).
pub async fn find_active(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: UserId,
) -> Result<Option<user::Model>, DbErr> {
    Ok(find(db, business, id).await?.filter(|user| user.is_active))
}

/// An active user by id alone: only for sign-in flows, where the business is not yet known.
pub async fn find_active_by_id(
    db: &impl ConnectionTrait,
    id: UserId,
) -> Result<Option<user::Model>, DbErr> {
    Ok(user::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .filter(|user| user.is_active))
}

/// The account signing in with this e-mail, whatever its business.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
}

/// Staff of the business, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    business: BusinessId,
    limit: u64,
    offset: u64,
) -> Result<Paged<user::Model>, DbErr> {
    let query = user::Entity::find().filter(user::Column::BusinessId.eq(business.0));
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_asc(user::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok(Paged { items, total })
}

/// Active owners of the business.
pub async fn count_active_owners(
    db: &impl ConnectionTrait,
    business: BusinessId,
) -> Result<u64, DbErr> {
    user::Entity::find()
        .filter(user::Column::BusinessId.eq(business.0))
        .filter(user::Column::Role.eq(Role::Owner))
        .filter(user::Column::IsActive.eq(true))
        .count(db)
        .await
}

/// Inserts a user.
pub async fn insert(
    db: &impl ConnectionTrait,
    row: user::ActiveModel,
) -> Result<user::Model, DbErr> {
    row.insert(db).await
}

/// Saves changed fields.
pub async fn update(
    db: &impl ConnectionTrait,
    row: user::ActiveModel,
) -> Result<user::Model, DbErr> {
    row.update(db).await
}

/// Deletes a user of the business; false when there was none.
pub async fn delete(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: UserId,
) -> Result<bool, DbErr> {
    let result = user::Entity::delete_many()
        .filter(user::Column::Id.eq(id.0))
        .filter(user::Column::BusinessId.eq(business.0))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
