//! `reminders`, `reminder_clients` and `reminder_occurrences`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Iterable, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::Paged;
use super::sort::{Sort, SortKey};
use crate::db::Backend;
use crate::domain::{BusinessId, ClientId, ReminderStatus};
use crate::entities::Timestamp;
use crate::entities::{client, reminder, reminder_client, reminder_occurrence};

/// A reminder of the business.
pub async fn find(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: i64,
) -> Result<Option<reminder::Model>, DbErr> {
    reminder::Entity::find_by_id(id)
        .filter(reminder::Column::BusinessId.eq(business.0))
        .one(db)
        .await
}

/// The titles of the business's reminders among `ids`, by id (others' and unknown ids are left
/// out), in one query per 500.
pub async fn titles(
    db: &impl ConnectionTrait,
    business: BusinessId,
    ids: &[i64],
) -> Result<HashMap<i64, String>, DbErr> {
    let mut titles = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String)> = reminder::Entity::find()
            .select_only()
            .column(reminder::Column::Id)
            .column(reminder::Column::Title)
            .filter(reminder::Column::BusinessId.eq(business.0))
            .filter(reminder::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        titles.extend(rows);
    }
    Ok(titles)
}

/// What a list of reminders is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderSortKey {
    /// The order they were written in.
    Created,
    /// Their title.
    Title,
    /// Their status.
    Status,
}

impl SortKey for ReminderSortKey {
    const KEYS: &'static [(&'static str, Self)] = &[
        ("created_at", Self::Created),
        ("title", Self::Title),
        ("status", Self::Status),
    ];
    const DEFAULT_DESCENDING: bool = true;
}

/// The order of a list of reminders: `created_at` (default newest first), `title` or `status`.
pub type ReminderSort = Sort<ReminderSortKey>;

/// Reminders of the business, newest first, optionally of one status.
pub async fn list(
    db: &impl ConnectionTrait,
    business: BusinessId,
    status: Option<ReminderStatus>,
    sort: ReminderSort,
    limit: u64,
    offset: u64,
) -> Result<Paged<reminder::Model>, DbErr> {
    let mut query = reminder::Entity::find().filter(reminder::Column::BusinessId.eq(business.0));
    if let Some(status) = status {
        query = query.filter(reminder::Column::Status.eq(status));
    }
    let total = query.clone().count(db).await?;
    let column = match sort.key {
        ReminderSortKey::Created => None,
        ReminderSortKey::Title => Some(reminder::Column::Title),
        ReminderSortKey::Status => Some(reminder::Column::Status),
    };
    let items = sort
        .apply(query, column, reminder::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok(Paged { items, total })
}

/// Inserts a reminder.
pub async fn insert(
    db: &impl ConnectionTrait,
    row: reminder::ActiveModel,
) -> Result<reminder::Model, DbErr> {
    row.insert(db).await
}

/// Saves changed fields.
pub async fn update(
    db: &impl ConnectionTrait,
    row: reminder::ActiveModel,
) -> Result<reminder::Model, DbErr> {
    row.update(db).await
}

/// Ids of the clients assigned to a reminder, ascending.
pub async fn client_ids(db: &impl ConnectionTrait, reminder_id: i64) -> Result<Vec<i64>, DbErr> {
    Ok(client_ids_of_many(db, &[reminder_id])
        .await?
        .remove(&reminder_id)
        .unwrap_or_default())
}

/// The statuses of the business's reminders a client is assigned to, one per reminder.
pub async fn statuses_of_client(
    db: &impl ConnectionTrait,
    business: BusinessId,
    client: ClientId,
) -> Result<Vec<ReminderStatus>, DbErr> {
    let ids: Vec<i64> = reminder_client::Entity::find()
        .select_only()
        .column(reminder_client::Column::ReminderId)
        .filter(reminder_client::Column::BusinessId.eq(business.0))
        .filter(reminder_client::Column::ClientId.eq(client.0))
        .into_tuple()
        .all(db)
        .await?;
    let mut statuses = Vec::new();
    for chunk in ids.chunks(500) {
        let found: Vec<ReminderStatus> = reminder::Entity::find()
            .select_only()
            .column(reminder::Column::Status)
            .filter(reminder::Column::BusinessId.eq(business.0))
            .filter(reminder::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        statuses.extend(found);
    }
    Ok(statuses)
}

/// How many clients each of these reminders has (reminders without any are left out).
pub async fn client_counts(
    db: &impl ConnectionTrait,
    reminder_ids: &[i64],
) -> Result<HashMap<i64, i64>, DbErr> {
    let mut counts = HashMap::new();
    for chunk in reminder_ids.chunks(500) {
        let rows: Vec<(i64, i64)> = reminder_client::Entity::find()
            .select_only()
            .column(reminder_client::Column::ReminderId)
            .column_as(reminder_client::Column::ClientId.count(), "count")
            .filter(reminder_client::Column::ReminderId.is_in(chunk.iter().copied()))
            .group_by(reminder_client::Column::ReminderId)
            .into_tuple()
            .all(db)
            .await?;
        counts.extend(rows);
    }
    Ok(counts)
}

/// Ids of the clients assigned to each of several reminders, ascending, in one query per 500.
pub async fn client_ids_of_many(
    db: &impl ConnectionTrait,
    reminder_ids: &[i64],
) -> Result<HashMap<i64, Vec<i64>>, DbErr> {
    let mut assigned: HashMap<i64, Vec<i64>> = HashMap::new();
    for chunk in reminder_ids.chunks(500) {
        let rows = reminder_client::Entity::find()
            .filter(reminder_client::Column::ReminderId.is_in(chunk.iter().copied()))
            .order_by_asc(reminder_client::Column::ClientId)
            .all(db)
            .await?;
        for row in rows {
            assigned
                .entry(row.reminder_id)
                .or_default()
                .push(row.client_id);
        }
    }
    Ok(assigned)
}

/// The clients assigned to a reminder.
pub async fn clients(
    db: &impl ConnectionTrait,
    business: BusinessId,
    reminder_id: i64,
) -> Result<Vec<client::Model>, DbErr> {
    let ids = client_ids(db, reminder_id).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        found.extend(
            client::Entity::find()
                .filter(client::Column::BusinessId.eq(business.0))
                .filter(client::Column::Id.is_in(chunk.iter().copied()))
                .order_by_asc(client::Column::Id)
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// The clients of several reminders, and the documents given to some of them.
pub struct Assigned {
    /// Reminder → its clients, by id.
    pub clients: HashMap<i64, Vec<client::Model>>,
    /// (reminder, client) → the client's own document on it.
    pub own_documents: HashMap<(i64, i64), i64>,
}

/// The clients assigned to each of several reminders (of any business: for the planner, which
/// plans all businesses' reminders and builds each notification from its reminder's business).
pub async fn clients_of_many(
    db: &impl ConnectionTrait,
    reminder_ids: &[i64],
) -> Result<Assigned, DbErr> {
    let mut links = Vec::new();
    for chunk in reminder_ids.chunks(500) {
        links.extend(
            reminder_client::Entity::find()
                .filter(reminder_client::Column::ReminderId.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    assigned_by_links(db, links).await
}

/// The first `chunk` clients (in id order) of each of several reminders, and how many each has
/// in all: what the planner writes with a batch (the rest of a larger one follows a chunk per
/// transaction, read with [`clients_after`]).
pub async fn first_clients_of_many(
    db: &impl ConnectionTrait,
    reminder_ids: &[i64],
    chunk: u64,
) -> Result<(Assigned, HashMap<i64, i64>), DbErr> {
    let counts = client_counts(db, reminder_ids).await?;
    let (large, small): (Vec<i64>, Vec<i64>) = reminder_ids.iter().partition(|id| {
        counts
            .get(id)
            .is_some_and(|n| u64::try_from(*n).is_ok_and(|n| n > chunk))
    });
    let mut assigned = clients_of_many(db, &small).await?;
    for id in large {
        let (first, _) = clients_after(db, id, i64::MIN, chunk).await?;
        assigned.clients.extend(first.clients);
        assigned.own_documents.extend(first.own_documents);
    }
    Ok((assigned, counts))
}

/// The next `limit` clients assigned to a reminder after client id `after`, in id order: the
/// next chunk of a fan-out under way. With them, where the following chunk starts: the last
/// client id read, when `limit` were read (none: this chunk is the last).
pub async fn clients_after(
    db: &impl ConnectionTrait,
    reminder_id: i64,
    after: i64,
    limit: u64,
) -> Result<(Assigned, Option<i64>), DbErr> {
    let links = reminder_client::Entity::find()
        .filter(reminder_client::Column::ReminderId.eq(reminder_id))
        .filter(reminder_client::Column::ClientId.gt(after))
        .order_by_asc(reminder_client::Column::ClientId)
        .limit(limit)
        .all(db)
        .await?;
    let full = u64::try_from(links.len()).is_ok_and(|read| read == limit);
    let next = links.last().map(|link| link.client_id).filter(|_| full);
    Ok((assigned_by_links(db, links).await?, next))
}

/// The clients (in id order) and own documents the links name.
async fn assigned_by_links(
    db: &impl ConnectionTrait,
    links: Vec<reminder_client::Model>,
) -> Result<Assigned, DbErr> {
    let client_ids: Vec<i64> = links.iter().map(|link| link.client_id).collect();
    let clients: HashMap<i64, client::Model> = super::clients::find_many_any(db, &client_ids)
        .await?
        .into_iter()
        .map(|client| (client.id, client))
        .collect();
    let mut assigned: HashMap<i64, Vec<client::Model>> = HashMap::new();
    let own_documents = links
        .iter()
        .filter_map(|link| Some(((link.reminder_id, link.client_id), link.document_id?)))
        .collect();
    for link in links {
        // A link and its client belong to the same business (both are written scoped by it).
        if let Some(client) = clients
            .get(&link.client_id)
            .filter(|c| c.business_id == link.business_id)
        {
            assigned
                .entry(link.reminder_id)
                .or_default()
                .push(client.clone());
        }
    }
    for clients in assigned.values_mut() {
        clients.sort_by_key(|client| client.id);
    }
    Ok(Assigned {
        clients: assigned,
        own_documents,
    })
}

/// Moves planned reminders on: the next occurrence (none completes them) and the last one sent.
pub async fn move_on(
    db: &impl ConnectionTrait,
    ids: &[i64],
    next: Option<DateTime<Utc>>,
    last_run: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = reminder::Entity::update_many()
        .col_expr(
            reminder::Column::NextRunAt,
            Expr::value(next.map(Timestamp)),
        )
        .col_expr(
            reminder::Column::LastRunAt,
            Expr::value(last_run.map(Timestamp)),
        )
        .col_expr(reminder::Column::UpdatedAt, Expr::value(Timestamp(now)));
    if next.is_none() {
        update = update.col_expr(
            reminder::Column::Status,
            Expr::value(ReminderStatus::Completed),
        );
    }
    update
        .filter(reminder::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Which of `ids` are clients of the business.
pub async fn existing_client_ids(
    db: &impl ConnectionTrait,
    business: BusinessId,
    ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    let mut found = Vec::new();
    for chunk in ids.chunks(500) {
        let rows = client::Entity::find()
            .select_only()
            .column(client::Column::Id)
            .filter(client::Column::BusinessId.eq(business.0))
            .filter(client::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple::<i64>()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Assigns clients (already checked to be the business's); existing assignments stay.
pub async fn assign(
    db: &impl ConnectionTrait,
    business: BusinessId,
    reminder_id: i64,
    client_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let per_statement = crate::db::rows_per_statement(reminder_client::Column::iter().count());
    for chunk in client_ids.chunks(per_statement) {
        let rows = chunk.iter().map(|client_id| reminder_client::ActiveModel {
            reminder_id: Set(reminder_id),
            client_id: Set(*client_id),
            business_id: Set(business.0),
            document_id: Set(None),
            created_at: Set(now.into()),
        });
        reminder_client::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    reminder_client::Column::ReminderId,
                    reminder_client::Column::ClientId,
                ])
                .do_nothing_on([reminder_client::Column::ReminderId])
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Unassigns a client; false when it was not assigned.
pub async fn unassign(
    db: &impl ConnectionTrait,
    business: BusinessId,
    reminder_id: i64,
    client: ClientId,
) -> Result<bool, DbErr> {
    let result = reminder_client::Entity::delete_many()
        .filter(reminder_client::Column::ReminderId.eq(reminder_id))
        .filter(reminder_client::Column::ClientId.eq(client.0))
        .filter(reminder_client::Column::BusinessId.eq(business.0))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Claims active reminders due by `now` for planning, oldest first. On MySQL and PostgreSQL the
/// rows stay locked (`FOR UPDATE SKIP LOCKED`) until the transaction ends, so planners on other
/// nodes take other reminders; SQLite has one writer and needs no lock.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<reminder::Model>, DbErr> {
    let mut query = reminder::Entity::find()
        .filter(reminder::Column::Status.eq(ReminderStatus::Active))
        .filter(reminder::Column::NextRunAt.lte(Timestamp(now)))
        .order_by_asc(reminder::Column::NextRunAt)
        .limit(limit);
    if Backend::from(db.get_database_backend()) != Backend::Sqlite {
        QuerySelect::query(&mut query)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    query.all(db).await
}

/// An occurrence whose fan-out is under way, locked for this transaction (other nodes' planners
/// skip it), oldest first.
pub async fn claim_unfinished_fan_out(
    db: &impl ConnectionTrait,
) -> Result<Option<reminder_occurrence::Model>, DbErr> {
    let mut query = reminder_occurrence::Entity::find()
        .filter(reminder_occurrence::Column::PlannedThrough.is_not_null())
        .order_by_asc(reminder_occurrence::Column::Id)
        .limit(1);
    if Backend::from(db.get_database_backend()) != Backend::Sqlite {
        QuerySelect::query(&mut query)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    query.one(db).await
}

/// A reminder of any business, locked for this transaction (a pause or cancel waits for it).
pub async fn find_any_locked(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<reminder::Model>, DbErr> {
    let mut query = reminder::Entity::find_by_id(id);
    if Backend::from(db.get_database_backend()) != Backend::Sqlite {
        QuerySelect::query(&mut query).lock(LockType::Update);
    }
    query.one(db).await
}

/// Records a chunk of an occurrence's fan-out: `added` more notifications, planned through
/// client `through` (none: every client has been planned).
pub async fn advance_fan_out(
    db: &impl ConnectionTrait,
    occurrence_id: i64,
    through: Option<i64>,
    added: u64,
) -> Result<(), DbErr> {
    reminder_occurrence::Entity::update_many()
        .col_expr(
            reminder_occurrence::Column::PlannedThrough,
            Expr::value(through),
        )
        .col_expr(
            reminder_occurrence::Column::NotificationCount,
            Expr::col(reminder_occurrence::Column::NotificationCount)
                .add(i32::try_from(added).unwrap_or(i32::MAX)),
        )
        .filter(reminder_occurrence::Column::Id.eq(occurrence_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The earliest `next_run_at` of any active reminder.
pub async fn earliest_due(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, DbErr> {
    reminder::Entity::find()
        .select_only()
        .column(reminder::Column::NextRunAt)
        .filter(reminder::Column::Status.eq(ReminderStatus::Active))
        .filter(reminder::Column::NextRunAt.is_not_null())
        .order_by_asc(reminder::Column::NextRunAt)
        .limit(1)
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await
        .map(Option::flatten)
}

/// Records occurrences; ones already recorded are left as they are.
pub async fn record_occurrences(
    db: &impl ConnectionTrait,
    rows: Vec<reminder_occurrence::ActiveModel>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let per_statement = crate::db::rows_per_statement(reminder_occurrence::Column::iter().count());
    for chunk in rows.chunks(per_statement) {
        reminder_occurrence::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([
                    reminder_occurrence::Column::ReminderId,
                    reminder_occurrence::Column::OccurrenceAt,
                ])
                .do_nothing_on([reminder_occurrence::Column::ReminderId])
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The occurrence records of a reminder, newest first.
pub async fn occurrence_history(
    db: &impl ConnectionTrait,
    business: BusinessId,
    reminder_id: i64,
    limit: u64,
) -> Result<Vec<reminder_occurrence::Model>, DbErr> {
    reminder_occurrence::Entity::find()
        .filter(reminder_occurrence::Column::BusinessId.eq(business.0))
        .filter(reminder_occurrence::Column::ReminderId.eq(reminder_id))
        .order_by_desc(reminder_occurrence::Column::OccurrenceAt)
        .limit(limit)
        .all(db)
        .await
}

/// The business's active reminders next due, soonest first.
pub async fn upcoming(
    db: &impl ConnectionTrait,
    business: BusinessId,
    limit: u64,
) -> Result<Vec<reminder::Model>, DbErr> {
    reminder::Entity::find()
        .filter(reminder::Column::BusinessId.eq(business.0))
        .filter(reminder::Column::Status.eq(ReminderStatus::Active))
        .filter(reminder::Column::NextRunAt.is_not_null())
        .order_by_asc(reminder::Column::NextRunAt)
        .limit(limit)
        .all(db)
        .await
}
