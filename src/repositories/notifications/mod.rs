//! `notifications` (the outbox) and `notification_attempts`: the history read here; the queue
//! protocol in `queue`, what claimed ones came to in `outcomes`, provider reports in `reports` and sends
//! counted for usage in `usage`.

mod outcomes;
mod queue;
mod reports;
mod usage;

pub use outcomes::{Accepted, Settlement, insert_attempts, mark_sent, settle};
pub use queue::{
    Reclaimed, cancel_pending, claim_due, earliest_pending, end_claim, insert_new, mark_started,
    queue_depth, reclaim_expired, release, renew_lease, requeue, requeue_unknown,
};
pub use reports::{DeliveryReport, apply_report, find_by_provider_message, find_for_occurrence};
pub use usage::sent_in;

/// An update that gives up a claim: no token, no lease, touched `now`. Every write that takes a
/// notification out of `sending` starts from it (sent, settled, handed back, taken over,
/// cancelled by an erasure), so a claim token is held by `sending` rows only.
pub(in crate::repositories) fn unclaim(
    now: DateTime<Utc>,
) -> sea_orm::UpdateMany<notification::Entity> {
    notification::Entity::update_many()
        .col_expr(
            notification::Column::ClaimToken,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            notification::Column::LeaseUntil,
            Expr::value(Option::<Timestamp>::None),
        )
        .col_expr(notification::Column::UpdatedAt, Expr::value(Timestamp(now)))
}

/// `status = '…'` for the queue's reads, written into the statement rather than bound: the
/// queue's indexes on PostgreSQL and SQLite hold only the rows in the state each serves
/// (migration `…000024`), and a plan made for any bound status cannot use them.
fn queue_state(status: NotificationStatus) -> sea_orm::sea_query::SimpleExpr {
    Expr::cust(format!("status = '{}'", status.as_str()))
}

/// The rows among `ids` that the claim `token` still holds. The token alone says so (see
/// [`unclaim`]): a filter on `sending` as well would let PostgreSQL find the rows by walking
/// every `sending` row through a status index, since its statistics, taken while none were
/// being sent, count them as one; by id the claim's rows are found by their primary key.
/// `claim_token` has no index for the same reason (migration `…000022`).
fn held_by(token: &str, ids: impl IntoIterator<Item = i64>) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(notification::Column::Id.is_in(ids))
        .add(notification::Column::ClaimToken.eq(token))
}

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use super::sort::{Sort, SortKey};
use crate::domain::{BusinessId, Channel, NotificationStatus, Trigger};
use crate::entities::Timestamp;
use crate::entities::{notification, notification_attempt};

/// Filters of the notification history.
#[derive(Debug, Default, Clone)]
pub struct NotificationFilter {
    /// One status.
    pub status: Option<NotificationStatus>,
    /// Any of these statuses; empty: any.
    pub statuses: Vec<NotificationStatus>,
    /// One channel.
    pub channel: Option<Channel>,
    /// One client.
    pub client_id: Option<i64>,
    /// One reminder.
    pub reminder_id: Option<i64>,
    /// Occurrence at or after.
    pub from: Option<DateTime<Utc>>,
    /// Occurrence before.
    pub to: Option<DateTime<Utc>>,
    /// Only those the firm has (true: not) marked read.
    pub unread: Option<bool>,
}

/// A notification of the business.
pub async fn find(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: i64,
) -> Result<Option<notification::Model>, DbErr> {
    notification::Entity::find_by_id(id)
        .filter(notification::Column::BusinessId.eq(business.0))
        .one(db)
        .await
}

/// Notifications of a reminder for one occurrence.
pub async fn of_occurrence(
    db: &impl ConnectionTrait,
    business: BusinessId,
    reminder_id: i64,
    occurrence_at: DateTime<Utc>,
) -> Result<Vec<notification::Model>, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::BusinessId.eq(business.0))
        .filter(notification::Column::ReminderId.eq(reminder_id))
        .filter(notification::Column::OccurrenceAt.eq(Timestamp(occurrence_at)))
        .order_by_asc(notification::Column::Id)
        .all(db)
        .await
}

/// Notifications of the business by id, in the order given (unknown ids are left out).
pub async fn find_many(
    db: &impl ConnectionTrait,
    business: BusinessId,
    ids: &[i64],
) -> Result<Vec<notification::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = notification::Entity::find()
        .filter(notification::Column::BusinessId.eq(business.0))
        .filter(notification::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    rows.sort_by_key(|row| ids.iter().position(|id| *id == row.id));
    Ok(rows)
}

/// What a list of notifications is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationSortKey {
    /// The occurrence they were made for.
    OccurrenceAt,
    /// The order they were made in.
    Created,
    /// Their status.
    Status,
}

impl SortKey for NotificationSortKey {
    const KEYS: &'static [(&'static str, Self)] = &[
        ("occurrence_at", Self::OccurrenceAt),
        ("created_at", Self::Created),
        ("status", Self::Status),
    ];
    const DEFAULT_DESCENDING: bool = true;
    const KEYSET: &'static [Self] = &[Self::OccurrenceAt, Self::Created, Self::Status];
}

/// The order of the history: `occurrence_at` (default newest first), `created_at` or `status`.
pub type NotificationSort = Sort<NotificationSortKey>;

/// The business's notifications that `filter` lets through.
fn matching(business: BusinessId, filter: &NotificationFilter) -> Select<notification::Entity> {
    let mut query =
        notification::Entity::find().filter(notification::Column::BusinessId.eq(business.0));
    if let Some(status) = filter.status {
        query = query.filter(notification::Column::Status.eq(status));
    }
    if !filter.statuses.is_empty() {
        query = query.filter(notification::Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if let Some(channel) = filter.channel {
        query = query.filter(notification::Column::Channel.eq(channel));
    }
    if let Some(client) = filter.client_id {
        query = query.filter(notification::Column::ClientId.eq(client));
    }
    if let Some(reminder) = filter.reminder_id {
        query = query.filter(notification::Column::ReminderId.eq(reminder));
    }
    if let Some(from) = filter.from {
        query = query.filter(notification::Column::OccurrenceAt.gte(Timestamp(from)));
    }
    if let Some(to) = filter.to {
        query = query.filter(notification::Column::OccurrenceAt.lt(Timestamp(to)));
    }
    match filter.unread {
        Some(true) => query = query.filter(notification::Column::InboxReadAt.is_null()),
        Some(false) => query = query.filter(notification::Column::InboxReadAt.is_not_null()),
        None => {}
    }
    query
}

/// How many of the business's notifications `filter` lets through.
pub async fn count(
    db: &impl ConnectionTrait,
    business: BusinessId,
    filter: &NotificationFilter,
) -> Result<u64, DbErr> {
    matching(business, filter).count(db).await
}

/// A page of the history, in `sort`'s order: `limit` after skipping `offset`, or after the
/// notification `after` (keyset paging).
pub async fn page(
    db: &impl ConnectionTrait,
    business: BusinessId,
    filter: &NotificationFilter,
    sort: NotificationSort,
    limit: u64,
    offset: u64,
    after: Option<&notification::Model>,
) -> Result<Vec<notification::Model>, DbErr> {
    let column = match sort.key {
        NotificationSortKey::OccurrenceAt => Some(notification::Column::OccurrenceAt),
        NotificationSortKey::Created => None,
        NotificationSortKey::Status => Some(notification::Column::Status),
    };
    sort.from_anchor(
        matching(business, filter),
        column,
        notification::Column::Id,
        after,
    )
    .limit(limit)
    .offset(offset)
    .all(db)
    .await
}

/// The imported notifications of these businesses as (id, reminder, client, channel,
/// occurrence): the keys `import-original` finds its rows again by.
pub async fn find_imported_by_businesses(
    db: &impl ConnectionTrait,
    businesses: &[i64],
) -> Result<Vec<(i64, i64, i64, Channel, Timestamp)>, DbErr> {
    let mut found = Vec::new();
    for chunk in businesses.chunks(500) {
        found.extend(
            notification::Entity::find()
                .select_only()
                .columns([
                    notification::Column::Id,
                    notification::Column::ReminderId,
                    notification::Column::ClientId,
                    notification::Column::Channel,
                    notification::Column::OccurrenceAt,
                ])
                .filter(notification::Column::BusinessId.is_in(chunk.iter().copied()))
                .filter(notification::Column::Trigger.eq(Trigger::Imported))
                .into_tuple::<(i64, i64, i64, Channel, Timestamp)>()
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// The attempts of a notification, oldest first.
pub async fn attempts(
    db: &impl ConnectionTrait,
    notification_id: i64,
) -> Result<Vec<notification_attempt::Model>, DbErr> {
    notification_attempt::Entity::find()
        .filter(notification_attempt::Column::NotificationId.eq(notification_id))
        .order_by_asc(notification_attempt::Column::Id)
        .all(db)
        .await
}

/// The attempts of these notifications, oldest first, by notification.
pub async fn attempts_of_many(
    db: &impl ConnectionTrait,
    notification_ids: &[i64],
) -> Result<HashMap<i64, Vec<notification_attempt::Model>>, DbErr> {
    let mut found: HashMap<i64, Vec<notification_attempt::Model>> = HashMap::new();
    for chunk in notification_ids.chunks(500) {
        for attempt in notification_attempt::Entity::find()
            .filter(notification_attempt::Column::NotificationId.is_in(chunk.iter().copied()))
            .order_by_asc(notification_attempt::Column::Id)
            .all(db)
            .await?
        {
            found
                .entry(attempt.notification_id)
                .or_default()
                .push(attempt);
        }
    }
    Ok(found)
}

/// Marks a notification read in the firm's inbox (the first time counts).
pub async fn mark_inbox_read(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    notification::Entity::update_many()
        .col_expr(
            notification::Column::InboxReadAt,
            Expr::value(Timestamp(now)),
        )
        .filter(notification::Column::BusinessId.eq(business.0))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::InboxReadAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// How many notifications of the business per status and channel, by occurrence in the window.
pub async fn counts(
    db: &impl ConnectionTrait,
    business: BusinessId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<(NotificationStatus, Channel, i64)>, DbErr> {
    let mut query = notification::Entity::find()
        .select_only()
        .column(notification::Column::Status)
        .column(notification::Column::Channel)
        .column_as(notification::Column::Id.count(), "count")
        .filter(notification::Column::BusinessId.eq(business.0))
        .group_by(notification::Column::Status)
        .group_by(notification::Column::Channel);
    if let Some(from) = from {
        query = query.filter(notification::Column::OccurrenceAt.gte(Timestamp(from)));
    }
    if let Some(to) = to {
        query = query.filter(notification::Column::OccurrenceAt.lt(Timestamp(to)));
    }
    query.into_tuple().all(db).await
}
