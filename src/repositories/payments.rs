//! `payments` and `payment_clicks`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::Paged;
use super::sort::{Sort, SortKey};
use crate::db::Backend;
use crate::domain::{BusinessId, Channel, PaymentStatus};
use crate::entities::{Timestamp, payment, payment_click, reminder};

/// The payments of a reminder for these clients, creating those missing. Keyed by client id;
/// empty (without a query) when the reminder asks for no payment.
pub async fn ensure(
    db: &impl ConnectionTrait,
    reminder: &reminder::Model,
    client_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<HashMap<i64, payment::Model>, DbErr> {
    if reminder.payment_amount.is_none() {
        // The planner's common case: nothing to look up.
        return Ok(HashMap::new());
    }
    let existing = |db| async move {
        let mut found = HashMap::new();
        for chunk in client_ids.chunks(500) {
            for row in payment::Entity::find()
                .filter(payment::Column::ReminderId.eq(reminder.id))
                .filter(payment::Column::ClientId.is_in(chunk.iter().copied()))
                .all(db)
                .await?
            {
                found.insert(row.client_id, row);
            }
        }
        Ok::<_, DbErr>(found)
    };
    let found = existing(db).await?;
    let (Some(amount), Some(currency)) = (reminder.payment_amount, &reminder.payment_currency)
    else {
        return Ok(found);
    };
    let missing: Vec<payment::ActiveModel> = client_ids
        .iter()
        .filter(|id| !found.contains_key(id))
        .map(|client_id| payment::ActiveModel {
            business_id: Set(reminder.business_id),
            reminder_id: Set(reminder.id),
            client_id: Set(*client_id),
            amount: Set(amount),
            currency: Set(currency.clone()),
            description: Set(reminder.payment_description.clone()),
            status: Set(PaymentStatus::Open),
            checkout_generation: Set(0),
            created_at: Set(Timestamp(now)),
            updated_at: Set(Timestamp(now)),
            ..Default::default()
        })
        .collect();
    if missing.is_empty() {
        return Ok(found);
    }
    for chunk in missing.chunks(crate::db::rows_per_statement(16)) {
        payment::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    existing(db).await
}

/// A reminder's new amount applies to its payments not yet paid; their sessions, made for the
/// old amount, are dropped.
pub async fn reprice(
    db: &impl ConnectionTrait,
    reminder: &reminder::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let (Some(amount), Some(currency)) = (reminder.payment_amount, &reminder.payment_currency)
    else {
        return Ok(());
    };
    payment::Entity::update_many()
        .col_expr(payment::Column::Amount, Expr::value(amount))
        .col_expr(payment::Column::Currency, Expr::value(currency.as_str()))
        .col_expr(
            payment::Column::Description,
            Expr::value(reminder.payment_description.clone()),
        )
        .col_expr(
            payment::Column::CheckoutSessionId,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            payment::Column::CheckoutUrl,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            payment::Column::CheckoutExpiresAt,
            Expr::value(Option::<Timestamp>::None),
        )
        .col_expr(payment::Column::UpdatedAt, Expr::value(Timestamp(now)))
        .filter(payment::Column::ReminderId.eq(reminder.id))
        .filter(payment::Column::Status.ne(PaymentStatus::Paid))
        .exec(db)
        .await?;
    Ok(())
}

/// A payment by id whatever its business: only for signed links and verified webhooks.
pub async fn find_any(db: &impl ConnectionTrait, id: i64) -> Result<Option<payment::Model>, DbErr> {
    payment::Entity::find_by_id(id).one(db).await
}

/// A payment by the PaymentIntent that paid it: only for verified webhooks.
pub async fn find_by_provider_ref(
    db: &impl ConnectionTrait,
    provider_ref: &str,
) -> Result<Option<payment::Model>, DbErr> {
    payment::Entity::find()
        .filter(payment::Column::ProviderRef.eq(provider_ref))
        .one(db)
        .await
}

/// A payment of the business.
pub async fn find(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: i64,
) -> Result<Option<payment::Model>, DbErr> {
    payment::Entity::find_by_id(id)
        .filter(payment::Column::BusinessId.eq(business.0))
        .one(db)
        .await
}

/// Filters of `GET /payments`.
#[derive(Debug, Default, Clone)]
pub struct PaymentFilter {
    pub status: Option<PaymentStatus>,
    pub client_id: Option<i64>,
    pub reminder_id: Option<i64>,
}

/// What a list of payments is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentSortKey {
    /// The order they were asked in.
    Created,
    /// Their amount (in minor units, whatever the currency).
    Amount,
    /// Their status.
    Status,
}

impl SortKey for PaymentSortKey {
    const KEYS: &'static [(&'static str, Self)] = &[
        ("created_at", Self::Created),
        ("amount", Self::Amount),
        ("status", Self::Status),
    ];
    const DEFAULT_DESCENDING: bool = true;
}

/// The order of a list of payments: `created_at` (default newest first), `amount` or `status`.
pub type PaymentSort = Sort<PaymentSortKey>;

/// Payments of the business, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    business: BusinessId,
    filter: &PaymentFilter,
    sort: PaymentSort,
    limit: u64,
    offset: u64,
) -> Result<Paged<payment::Model>, DbErr> {
    let mut query = payment::Entity::find().filter(payment::Column::BusinessId.eq(business.0));
    if let Some(status) = filter.status {
        query = query.filter(payment::Column::Status.eq(status));
    }
    if let Some(client) = filter.client_id {
        query = query.filter(payment::Column::ClientId.eq(client));
    }
    if let Some(reminder) = filter.reminder_id {
        query = query.filter(payment::Column::ReminderId.eq(reminder));
    }
    let total = query.clone().count(db).await?;
    let column = match sort.key {
        PaymentSortKey::Created => None,
        PaymentSortKey::Amount => Some(payment::Column::Amount),
        PaymentSortKey::Status => Some(payment::Column::Status),
    };
    let items = sort
        .apply(query, column, payment::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok(Paged { items, total })
}

/// Records the Checkout Session made for a payment (reopening it if it had lapsed).
pub async fn set_session(
    db: &impl ConnectionTrait,
    id: i64,
    session_id: &str,
    url: Option<&str>,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    payment::Entity::update_many()
        .col_expr(payment::Column::CheckoutSessionId, Expr::value(session_id))
        .col_expr(payment::Column::CheckoutUrl, Expr::value(url))
        .col_expr(
            payment::Column::CheckoutExpiresAt,
            Expr::value(expires_at.map(Timestamp)),
        )
        .col_expr(payment::Column::Status, Expr::value(PaymentStatus::Open))
        .col_expr(payment::Column::UpdatedAt, Expr::value(Timestamp(now)))
        .filter(payment::Column::Id.eq(id))
        .filter(payment::Column::Status.ne(PaymentStatus::Paid))
        .exec(db)
        .await?;
    Ok(())
}

/// After a Stripe failure, the next try gets a fresh idempotency key.
pub async fn next_generation(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    payment::Entity::update_many()
        .col_expr(
            payment::Column::CheckoutGeneration,
            Expr::col(payment::Column::CheckoutGeneration).add(1),
        )
        .filter(payment::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A status change Stripe reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentChange {
    /// Paid, by this PaymentIntent.
    Paid {
        provider_ref: Option<String>,
        at: DateTime<Utc>,
    },
    /// The session lapsed unpaid (only the current session's expiry counts).
    Expired { session_id: String },
    /// The payment attempt failed.
    Failed,
    /// Paid back in full: the client owes it again.
    Refunded,
}

/// Applies a change if the payment's state allows it: `open|expired|failed → paid`,
/// `open → expired | failed`, `paid → refunded`. Returns whether it changed.
pub async fn apply(
    db: &impl ConnectionTrait,
    id: i64,
    change: &PaymentChange,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let update = payment::Entity::update_many()
        .col_expr(payment::Column::UpdatedAt, Expr::value(Timestamp(now)))
        .filter(payment::Column::Id.eq(id));
    let update = match change {
        PaymentChange::Paid { provider_ref, at } => update
            .col_expr(payment::Column::Status, Expr::value(PaymentStatus::Paid))
            .col_expr(payment::Column::PaidAt, Expr::value(Timestamp(*at)))
            .col_expr(
                payment::Column::ProviderRef,
                Expr::value(provider_ref.clone()),
            )
            .filter(payment::Column::Status.is_in([
                PaymentStatus::Open,
                PaymentStatus::Expired,
                PaymentStatus::Failed,
            ])),
        PaymentChange::Expired { session_id } => update
            .col_expr(payment::Column::Status, Expr::value(PaymentStatus::Expired))
            .filter(payment::Column::Status.eq(PaymentStatus::Open))
            .filter(payment::Column::CheckoutSessionId.eq(session_id.as_str())),
        PaymentChange::Failed => update
            .col_expr(payment::Column::Status, Expr::value(PaymentStatus::Failed))
            .filter(payment::Column::Status.eq(PaymentStatus::Open)),
        PaymentChange::Refunded => update
            .col_expr(
                payment::Column::Status,
                Expr::value(PaymentStatus::Refunded),
            )
            .col_expr(
                payment::Column::CheckoutSessionId,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                payment::Column::CheckoutUrl,
                Expr::value(Option::<String>::None),
            )
            .filter(payment::Column::Status.eq(PaymentStatus::Paid)),
    };
    Ok(update.exec(db).await?.rows_affected > 0)
}

/// Records a click on a payment link.
pub async fn record_click(
    db: &impl ConnectionTrait,
    payment: &payment::Model,
    notification_id: Option<i64>,
    channel: Option<Channel>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    payment_click::Entity::insert(payment_click::ActiveModel {
        payment_id: Set(payment.id),
        business_id: Set(payment.business_id),
        notification_id: Set(notification_id),
        channel: Set(channel),
        clicked_at: Set(Timestamp(now)),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The clicks of a payment, oldest first.
pub async fn clicks(
    db: &impl ConnectionTrait,
    payment_id: i64,
) -> Result<Vec<payment_click::Model>, DbErr> {
    payment_click::Entity::find()
        .filter(payment_click::Column::PaymentId.eq(payment_id))
        .order_by_asc(payment_click::Column::Id)
        .all(db)
        .await
}

/// The clicks on these payments' links, oldest first, by payment.
pub async fn clicks_of_many(
    db: &impl ConnectionTrait,
    payment_ids: &[i64],
) -> Result<HashMap<i64, Vec<payment_click::Model>>, DbErr> {
    let mut found: HashMap<i64, Vec<payment_click::Model>> = HashMap::new();
    for chunk in payment_ids.chunks(500) {
        for click in payment_click::Entity::find()
            .filter(payment_click::Column::PaymentId.is_in(chunk.iter().copied()))
            .order_by_asc(payment_click::Column::Id)
            .all(db)
            .await?
        {
            found.entry(click.payment_id).or_default().push(click);
        }
    }
    Ok(found)
}

/// How many of the business's payments created in the window there are, and their total in
/// minor units, per status and currency.
pub async fn amounts(
    db: &impl ConnectionTrait,
    business: BusinessId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<(PaymentStatus, String, i64, i64)>, DbErr> {
    let mut query = payment::Entity::find()
        .select_only()
        .column(payment::Column::Status)
        .column(payment::Column::Currency)
        .column_as(payment::Column::Id.count(), "payments")
        // A whole number on every backend (PostgreSQL and MySQL sum to a decimal).
        .column_as(
            Expr::expr(payment::Column::Amount.sum()).cast_as(
                match Backend::from(db.get_database_backend()) {
                    Backend::MySql => "SIGNED",
                    _ => "BIGINT",
                },
            ),
            "amount",
        )
        .filter(payment::Column::BusinessId.eq(business.0))
        .group_by(payment::Column::Status)
        .group_by(payment::Column::Currency);
    if let Some(from) = from {
        query = query.filter(payment::Column::CreatedAt.gte(Timestamp(from)));
    }
    if let Some(to) = to {
        query = query.filter(payment::Column::CreatedAt.lt(Timestamp(to)));
    }
    query.into_tuple().all(db).await
}
