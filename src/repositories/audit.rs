//! `audit_log`.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::Paged;
use crate::domain::BusinessId;
use crate::entities::audit_entry;

/// Appends an entry.
pub async fn insert(
    db: &impl ConnectionTrait,
    entry: audit_entry::ActiveModel,
) -> Result<(), DbErr> {
    audit_entry::Entity::insert(entry)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The business's entries, newest first, optionally of one action.
pub async fn list(
    db: &impl ConnectionTrait,
    business: BusinessId,
    action: Option<&str>,
    limit: u64,
    offset: u64,
) -> Result<Paged<audit_entry::Model>, DbErr> {
    let mut query =
        audit_entry::Entity::find().filter(audit_entry::Column::BusinessId.eq(business.0));
    if let Some(action) = action {
        query = query.filter(audit_entry::Column::Action.eq(action));
    }
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_desc(audit_entry::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok(Paged { items, total })
}
