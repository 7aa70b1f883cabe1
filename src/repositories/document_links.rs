//! `reminder_documents`, per-client documents on `reminder_clients`, `document_links` and
//! `document_opens`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::Paged;
use super::sort::{Sort, SortKey};
use crate::domain::{BusinessId, ReminderStatus};
use crate::entities::{
    Timestamp, document, document_link, document_open, notification, reminder, reminder_client,
    reminder_document,
};

/// The clients' own documents on these reminders: (reminder, client) → document.
pub async fn own_of_many(
    db: &impl ConnectionTrait,
    reminder_ids: &[i64],
) -> Result<HashMap<(i64, i64), i64>, DbErr> {
    let mut own = HashMap::new();
    for chunk in reminder_ids.chunks(500) {
        for row in reminder_client::Entity::find()
            .filter(reminder_client::Column::ReminderId.is_in(chunk.iter().copied()))
            .filter(reminder_client::Column::DocumentId.is_not_null())
            .all(db)
            .await?
        {
            if let Some(document) = row.document_id {
                own.insert((row.reminder_id, row.client_id), document);
            }
        }
    }
    Ok(own)
}

/// Documents by id (of any business: callers pass ids they read from the business's rows).
pub async fn documents(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, document::Model>, DbErr> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in document::Entity::find()
            .filter(document::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            found.insert(row.id, row);
        }
    }
    Ok(found)
}

/// The link of each (document, client), made where missing.
pub async fn ensure(
    db: &impl ConnectionTrait,
    business: BusinessId,
    pairs: &[(i64, i64)],
    now: DateTime<Utc>,
) -> Result<HashMap<(i64, i64), i64>, DbErr> {
    if pairs.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = pairs
        .iter()
        .map(|(document_id, client_id)| document_link::ActiveModel {
            business_id: Set(business.0),
            document_id: Set(*document_id),
            client_id: Set(*client_id),
            revoked_at: Set(None),
            created_at: Set(Timestamp(now)),
            ..Default::default()
        });
    for chunk in rows
        .collect::<Vec<_>>()
        .chunks(crate::db::rows_per_statement(6))
    {
        document_link::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([
                    document_link::Column::DocumentId,
                    document_link::Column::ClientId,
                ])
                .do_nothing_on([document_link::Column::DocumentId])
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    let documents: Vec<i64> = pairs.iter().map(|(document, _)| *document).collect();
    let mut links = HashMap::new();
    for chunk in documents.chunks(500) {
        for link in document_link::Entity::find()
            .filter(document_link::Column::DocumentId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            links.insert((link.document_id, link.client_id), link.id);
        }
    }
    Ok(links)
}

/// One link.
pub async fn find(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<document_link::Model>, DbErr> {
    document_link::Entity::find_by_id(id).one(db).await
}

/// What a list of document links is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkSortKey {
    /// The order they were made in.
    Created,
    /// The client they were sent to.
    Client,
}

impl SortKey for LinkSortKey {
    const KEYS: &'static [(&'static str, Self)] =
        &[("created_at", Self::Created), ("client_id", Self::Client)];
    const DEFAULT_DESCENDING: bool = false;
}

/// The order of a document's links: `created_at` (the default) or `client_id`.
pub type LinkSort = Sort<LinkSortKey>;

/// A page of the links of one document of the business.
pub async fn of_document(
    db: &impl ConnectionTrait,
    business: BusinessId,
    document_id: i64,
    sort: LinkSort,
    limit: u64,
    offset: u64,
) -> Result<Paged<document_link::Model>, DbErr> {
    let query = document_link::Entity::find()
        .filter(document_link::Column::BusinessId.eq(business.0))
        .filter(document_link::Column::DocumentId.eq(document_id));
    let total = query.clone().count(db).await?;
    let column = match sort.key {
        LinkSortKey::Created => None,
        LinkSortKey::Client => Some(document_link::Column::ClientId),
    };
    let items = sort
        .apply(query, column, document_link::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok(Paged { items, total })
}

/// The opens of these links, oldest first, by link.
pub async fn opens(
    db: &impl ConnectionTrait,
    link_ids: &[i64],
) -> Result<HashMap<i64, Vec<document_open::Model>>, DbErr> {
    let mut found: HashMap<i64, Vec<document_open::Model>> = HashMap::new();
    for chunk in link_ids.chunks(500) {
        for open in document_open::Entity::find()
            .filter(document_open::Column::LinkId.is_in(chunk.iter().copied()))
            .order_by_asc(document_open::Column::Id)
            .all(db)
            .await?
        {
            found.entry(open.link_id).or_default().push(open);
        }
    }
    Ok(found)
}

/// Revokes a link of a document of the business (again is fine); false when there is none.
pub async fn revoke(
    db: &impl ConnectionTrait,
    business: BusinessId,
    document_id: i64,
    link_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let exists = document_link::Entity::find_by_id(link_id)
        .filter(document_link::Column::BusinessId.eq(business.0))
        .filter(document_link::Column::DocumentId.eq(document_id))
        .one(db)
        .await?
        .is_some();
    if exists {
        document_link::Entity::update_many()
            .col_expr(
                document_link::Column::RevokedAt,
                Expr::value(Timestamp(now)),
            )
            .filter(document_link::Column::Id.eq(link_id))
            .filter(document_link::Column::RevokedAt.is_null())
            .exec(db)
            .await?;
    }
    Ok(exists)
}

/// Records an open, and the first open on the notification that carried the link.
pub async fn record_open(
    db: &impl ConnectionTrait,
    link: &document_link::Model,
    notification_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    document_open::Entity::insert(document_open::ActiveModel {
        business_id: Set(link.business_id),
        link_id: Set(link.id),
        notification_id: Set(notification_id),
        opened_at: Set(Timestamp(now)),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    if let Some(id) = notification_id {
        notification::Entity::update_many()
            .col_expr(
                notification::Column::DocumentOpenedAt,
                Expr::value(Timestamp(now)),
            )
            .filter(notification::Column::Id.eq(id))
            .filter(notification::Column::DocumentOpenedAt.is_null())
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Replaces the documents a reminder carries to everyone.
pub async fn set_shared(
    db: &impl ConnectionTrait,
    business: BusinessId,
    reminder_id: i64,
    document_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    reminder_document::Entity::delete_many()
        .filter(reminder_document::Column::ReminderId.eq(reminder_id))
        .exec(db)
        .await?;
    if document_ids.is_empty() {
        return Ok(());
    }
    reminder_document::Entity::insert_many(document_ids.iter().map(|document_id| {
        reminder_document::ActiveModel {
            reminder_id: Set(reminder_id),
            document_id: Set(*document_id),
            business_id: Set(business.0),
            created_at: Set(Timestamp(now)),
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The documents each of these reminders carries to everyone.
pub async fn shared_of_many(
    db: &impl ConnectionTrait,
    reminder_ids: &[i64],
) -> Result<HashMap<i64, Vec<i64>>, DbErr> {
    let mut shared: HashMap<i64, Vec<i64>> = HashMap::new();
    for chunk in reminder_ids.chunks(500) {
        for row in reminder_document::Entity::find()
            .filter(reminder_document::Column::ReminderId.is_in(chunk.iter().copied()))
            .order_by_asc(reminder_document::Column::DocumentId)
            .all(db)
            .await?
        {
            shared
                .entry(row.reminder_id)
                .or_default()
                .push(row.document_id);
        }
    }
    Ok(shared)
}

/// Gives a client their own document on a reminder (`None` takes it away).
pub async fn set_own(
    db: &impl ConnectionTrait,
    reminder_id: i64,
    client_id: i64,
    document_id: Option<i64>,
) -> Result<(), DbErr> {
    reminder_client::Entity::update_many()
        .col_expr(
            reminder_client::Column::DocumentId,
            Expr::value(document_id),
        )
        .filter(reminder_client::Column::ReminderId.eq(reminder_id))
        .filter(reminder_client::Column::ClientId.eq(client_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The live (not cancelled) reminders of the business that carry a document.
pub async fn reminders_carrying(
    db: &impl ConnectionTrait,
    business: BusinessId,
    document_id: i64,
) -> Result<Vec<i64>, DbErr> {
    let mut ids: Vec<i64> = reminder_document::Entity::find()
        .select_only()
        .column(reminder_document::Column::ReminderId)
        .filter(reminder_document::Column::BusinessId.eq(business.0))
        .filter(reminder_document::Column::DocumentId.eq(document_id))
        .into_tuple()
        .all(db)
        .await?;
    ids.extend(
        reminder_client::Entity::find()
            .select_only()
            .column(reminder_client::Column::ReminderId)
            .filter(reminder_client::Column::BusinessId.eq(business.0))
            .filter(reminder_client::Column::DocumentId.eq(document_id))
            .into_tuple::<i64>()
            .all(db)
            .await?,
    );
    if ids.is_empty() {
        return Ok(ids);
    }
    let mut live: Vec<i64> = reminder::Entity::find()
        .select_only()
        .column(reminder::Column::Id)
        .filter(reminder::Column::Id.is_in(ids))
        .filter(reminder::Column::Status.ne(ReminderStatus::Cancelled))
        .into_tuple()
        .all(db)
        .await?;
    live.sort_unstable();
    live.dedup();
    Ok(live)
}

/// How many of the business's document links were opened in `[from, to)`.
pub async fn opened_in(
    db: &impl ConnectionTrait,
    business: BusinessId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<i64, DbErr> {
    let mut query = document_open::Entity::find()
        .select_only()
        .column(document_open::Column::LinkId)
        .distinct()
        .filter(document_open::Column::BusinessId.eq(business.0));
    if let Some(from) = from {
        query = query.filter(document_open::Column::OpenedAt.gte(Timestamp(from)));
    }
    if let Some(to) = to {
        query = query.filter(document_open::Column::OpenedAt.lt(Timestamp(to)));
    }
    let links: Vec<i64> = query.into_tuple().all(db).await?;
    Ok(i64::try_from(links.len()).unwrap_or(i64::MAX))
}
