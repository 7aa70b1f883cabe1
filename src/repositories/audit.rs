//! `audit_log`.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

use super::Paged;
use super::sort::{Sort, SortKey};
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

/// What a list of audit entries is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditSortKey {
    /// The order they were recorded in.
    At,
    /// Their action.
    Action,
}

impl SortKey for AuditSortKey {
    const KEYS: &'static [(&'static str, Self)] = &[("at", Self::At), ("action", Self::Action)];
    const DEFAULT_DESCENDING: bool = true;
}

/// The order of the audit log: `at` (default newest first) or `action`.
pub type AuditSort = Sort<AuditSortKey>;

/// The business's entries, newest first, optionally of one action.
pub async fn list(
    db: &impl ConnectionTrait,
    business: BusinessId,
    action: Option<&str>,
    sort: AuditSort,
    limit: u64,
    offset: u64,
) -> Result<Paged<audit_entry::Model>, DbErr> {
    let mut query =
        audit_entry::Entity::find().filter(audit_entry::Column::BusinessId.eq(business.0));
    if let Some(action) = action {
        query = query.filter(audit_entry::Column::Action.eq(action));
    }
    let total = query.clone().count(db).await?;
    let column = match sort.key {
        AuditSortKey::At => None,
        AuditSortKey::Action => Some(audit_entry::Column::Action),
    };
    let items = sort
        .apply(query, column, audit_entry::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok(Paged { items, total })
}
