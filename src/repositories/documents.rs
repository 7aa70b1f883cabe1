//! `documents` (their bytes are the document store's business).

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
};

use super::Paged;
use super::sort::{Sort, SortKey};
use crate::domain::BusinessId;
use crate::entities::document;

/// Saves a new document row.
pub async fn insert(
    db: &impl ConnectionTrait,
    row: document::ActiveModel,
) -> Result<document::Model, DbErr> {
    row.insert(db).await
}

/// Saves changes to a document row.
pub async fn update(
    db: &impl ConnectionTrait,
    row: document::ActiveModel,
) -> Result<document::Model, DbErr> {
    row.update(db).await
}

/// One document of the business.
pub async fn find(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: i64,
) -> Result<Option<document::Model>, DbErr> {
    document::Entity::find_by_id(id)
        .filter(document::Column::BusinessId.eq(business.0))
        .one(db)
        .await
}

/// What a list of documents is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentSortKey {
    /// The order they were uploaded in.
    Created,
    /// Their name.
    Name,
    /// Their size.
    Size,
}

impl SortKey for DocumentSortKey {
    const KEYS: &'static [(&'static str, Self)] = &[
        ("created_at", Self::Created),
        ("name", Self::Name),
        ("size_bytes", Self::Size),
    ];
    const DEFAULT_DESCENDING: bool = true;
}

/// The order of a list of documents: `created_at` (default newest first), `name` or `size_bytes`.
pub type DocumentSort = Sort<DocumentSortKey>;

/// The business's documents, newest first; only one client's with `client_id`.
pub async fn list(
    db: &impl ConnectionTrait,
    business: BusinessId,
    client_id: Option<i64>,
    sort: DocumentSort,
    limit: u64,
    offset: u64,
) -> Result<Paged<document::Model>, DbErr> {
    let mut query = document::Entity::find().filter(document::Column::BusinessId.eq(business.0));
    if let Some(client) = client_id {
        query = query.filter(document::Column::ClientId.eq(client));
    }
    let total = query.clone().count(db).await?;
    let column = match sort.key {
        DocumentSortKey::Created => None,
        DocumentSortKey::Name => Some(document::Column::Name),
        DocumentSortKey::Size => Some(document::Column::SizeBytes),
    };
    let items = sort
        .apply(query, column, document::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok(Paged { items, total })
}

/// Deletes a document row (its database bytes, links and opens go with it).
pub async fn delete(db: &impl ConnectionTrait, business: BusinessId, id: i64) -> Result<(), DbErr> {
    document::Entity::delete_many()
        .filter(document::Column::BusinessId.eq(business.0))
        .filter(document::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
