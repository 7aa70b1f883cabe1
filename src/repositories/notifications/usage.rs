//! Sends counted for usage and billing: every attempt a provider accepted, per channel.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use crate::domain::{AttemptOutcome, BusinessId, Channel};
use crate::entities::Timestamp;
use crate::entities::notification_attempt;

/// Sends of the business in `[from, to)` per channel: (channel, messages, SMS parts, where a
/// send without a report counts as one part). Every attempt handed to a provider counts, a
/// resend too.
pub async fn sent_in(
    db: &impl ConnectionTrait,
    business: BusinessId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Option<Channel>, i64, i64)>, DbErr> {
    // MySQL sums integers as DECIMAL: cast back to a 64-bit integer on every backend.
    let integer = match db.get_database_backend() {
        sea_orm::DbBackend::MySql => "SIGNED",
        _ => "BIGINT",
    };
    notification_attempt::Entity::find()
        .select_only()
        .column(notification_attempt::Column::Channel)
        .column_as(notification_attempt::Column::Id.count(), "messages")
        .column_as(
            Expr::cust(format!("CAST(SUM(COALESCE(segments, 1)) AS {integer})")),
            "parts",
        )
        .filter(notification_attempt::Column::BusinessId.eq(business.0))
        .filter(notification_attempt::Column::Outcome.eq(AttemptOutcome::Sent))
        .filter(notification_attempt::Column::AttemptedAt.gte(Timestamp(from)))
        .filter(notification_attempt::Column::AttemptedAt.lt(Timestamp(to)))
        .group_by(notification_attempt::Column::Channel)
        .into_tuple()
        .all(db)
        .await
}
