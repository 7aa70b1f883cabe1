//! `sender_identities`, and the reminders that name one.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::Paged;
use super::sort::{Sort, SortKey};
use crate::domain::{BusinessId, Channel, ReminderStatus};
use crate::entities::{Timestamp, reminder, sender_identity};

/// The business's identities, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    business: BusinessId,
) -> Result<Vec<sender_identity::Model>, DbErr> {
    sender_identity::Entity::find()
        .filter(sender_identity::Column::BusinessId.eq(business.0))
        .order_by_asc(sender_identity::Column::Id)
        .all(db)
        .await
}

/// What a list of sender identities is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentitySortKey {
    /// The order they were added in.
    Added,
    /// Their address or number.
    Address,
    /// Their channel.
    Channel,
}

impl SortKey for IdentitySortKey {
    const KEYS: &'static [(&'static str, Self)] = &[
        ("created_at", Self::Added),
        ("address", Self::Address),
        ("channel", Self::Channel),
    ];
    const DEFAULT_DESCENDING: bool = false;
}

/// The order of a list of identities: `created_at` (the default), `address` or `channel`.
pub type IdentitySort = Sort<IdentitySortKey>;

/// A page of the business's identities in `sort`'s order.
pub async fn page(
    db: &impl ConnectionTrait,
    business: BusinessId,
    sort: IdentitySort,
    limit: u64,
    offset: u64,
) -> Result<Paged<sender_identity::Model>, DbErr> {
    let query =
        sender_identity::Entity::find().filter(sender_identity::Column::BusinessId.eq(business.0));
    let total = query.clone().count(db).await?;
    let column = match sort.key {
        IdentitySortKey::Added => None,
        IdentitySortKey::Address => Some(sender_identity::Column::Address),
        IdentitySortKey::Channel => Some(sender_identity::Column::Channel),
    };
    let items = sort
        .apply(query, column, sender_identity::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok(Paged { items, total })
}

/// One identity of the business.
pub async fn find(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: i64,
) -> Result<Option<sender_identity::Model>, DbErr> {
    sender_identity::Entity::find_by_id(id)
        .filter(sender_identity::Column::BusinessId.eq(business.0))
        .one(db)
        .await
}

/// The verified identities of these businesses (what the dispatcher may send from).
pub async fn verified_of_many(
    db: &impl ConnectionTrait,
    business_ids: &[i64],
) -> Result<Vec<sender_identity::Model>, DbErr> {
    let mut found = Vec::new();
    for chunk in business_ids.chunks(500) {
        found.extend(
            sender_identity::Entity::find()
                .filter(sender_identity::Column::BusinessId.is_in(chunk.iter().copied()))
                .filter(sender_identity::Column::VerifiedAt.is_not_null())
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// Verified WhatsApp identities with this Cloud API phone number id, of any business.
pub async fn whatsapp_by_number_id(
    db: &impl ConnectionTrait,
    phone_number_id: &str,
) -> Result<Vec<sender_identity::Model>, DbErr> {
    sender_identity::Entity::find()
        .filter(sender_identity::Column::Channel.eq(Channel::Whatsapp))
        .filter(sender_identity::Column::PhoneNumberId.eq(phone_number_id))
        .filter(sender_identity::Column::VerifiedAt.is_not_null())
        .all(db)
        .await
}

/// Saves a new identity.
pub async fn insert(
    db: &impl ConnectionTrait,
    row: sender_identity::ActiveModel,
) -> Result<sender_identity::Model, DbErr> {
    row.insert(db).await
}

/// Saves changes to an identity.
pub async fn update(
    db: &impl ConnectionTrait,
    row: sender_identity::ActiveModel,
) -> Result<sender_identity::Model, DbErr> {
    row.update(db).await
}

/// Makes no identity of the business the default on this channel.
pub async fn clear_default(
    db: &impl ConnectionTrait,
    business: BusinessId,
    channel: Channel,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    sender_identity::Entity::update_many()
        .col_expr(sender_identity::Column::IsDefault, Expr::value(false))
        .col_expr(
            sender_identity::Column::UpdatedAt,
            Expr::value(Timestamp(now)),
        )
        .filter(sender_identity::Column::BusinessId.eq(business.0))
        .filter(sender_identity::Column::Channel.eq(channel))
        .filter(sender_identity::Column::IsDefault.eq(true))
        .exec(db)
        .await?;
    Ok(())
}

/// Counts one attempt at the identity's current code; false when `max` were already made.
pub async fn take_attempt(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: i64,
    max: i32,
) -> Result<bool, DbErr> {
    let result = sender_identity::Entity::update_many()
        .col_expr(
            sender_identity::Column::CodeAttempts,
            Expr::col(sender_identity::Column::CodeAttempts).add(1),
        )
        .filter(sender_identity::Column::BusinessId.eq(business.0))
        .filter(sender_identity::Column::Id.eq(id))
        .filter(sender_identity::Column::CodeAttempts.lt(max))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Deletes an identity of the business.
pub async fn delete(db: &impl ConnectionTrait, business: BusinessId, id: i64) -> Result<(), DbErr> {
    sender_identity::Entity::delete_many()
        .filter(sender_identity::Column::BusinessId.eq(business.0))
        .filter(sender_identity::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The ids of the business's reminders (not cancelled) that send from this identity.
pub async fn reminders_naming(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: i64,
) -> Result<Vec<i64>, DbErr> {
    let rows = reminder::Entity::find()
        .filter(reminder::Column::BusinessId.eq(business.0))
        .filter(reminder::Column::SenderIdentityIds.is_not_null())
        .filter(reminder::Column::Status.ne(ReminderStatus::Cancelled))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| {
            row.sender_identity_ids
                .as_ref()
                .is_some_and(|senders| senders.ids().contains(&id))
        })
        .map(|row| row.id)
        .collect())
}
