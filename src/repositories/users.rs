//! `users`.

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::Paged;
use super::sort::{Sort, SortKey};
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

/// The account with this username (case ignored), whatever its business.
pub async fn find_by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(user::Column::Username))).eq(username.to_lowercase()),
        )
        .one(db)
        .await
}

/// The business's first owner: who the original service called the firm's user.
pub async fn first_owner(
    db: &impl ConnectionTrait,
    business: BusinessId,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::BusinessId.eq(business.0))
        .filter(user::Column::Role.eq(Role::Owner))
        .order_by_asc(user::Column::Id)
        .one(db)
        .await
}

/// What a list of users is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSortKey {
    /// The order they were added in.
    Added,
    /// Their sign-in address.
    Email,
    /// Their name.
    FullName,
}

impl SortKey for UserSortKey {
    const KEYS: &'static [(&'static str, Self)] = &[
        ("created_at", Self::Added),
        ("email", Self::Email),
        ("full_name", Self::FullName),
    ];
    const DEFAULT_DESCENDING: bool = false;
}

/// The order of a list of users: `created_at` (the default), `email` or `full_name`.
pub type UserSort = Sort<UserSortKey>;

/// Staff of the business, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    business: BusinessId,
    sort: UserSort,
    limit: u64,
    offset: u64,
) -> Result<Paged<user::Model>, DbErr> {
    let query = user::Entity::find().filter(user::Column::BusinessId.eq(business.0));
    let total = query.clone().count(db).await?;
    let column = match sort.key {
        UserSortKey::Added => None,
        UserSortKey::Email => Some(user::Column::Email),
        UserSortKey::FullName => Some(user::Column::FullName),
    };
    let items = sort
        .apply(query, column, user::Column::Id)
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
