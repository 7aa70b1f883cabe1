//! Provider reports on messages they accepted (delivered, read, failed), applied forward only,
//! and the lookups a webhook or a link needs to find its notification.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::domain::{AttemptOutcome, Channel, NotificationStatus};
use crate::entities::Timestamp;
use crate::entities::{notification, notification_attempt};

/// A sent notification by the id its provider gave it: only for provider webhooks, whose
/// signature names the account (and so the businesses) they may touch.
pub async fn find_by_provider_message(
    db: &impl ConnectionTrait,
    provider: &str,
    provider_message_id: &str,
) -> Result<Option<notification::Model>, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::ProviderMessageId.eq(provider_message_id))
        .filter(notification::Column::Provider.eq(provider))
        .one(db)
        .await
}

/// What a provider reported about a message it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryReport {
    /// Reached the handset or mailbox.
    Delivered,
    /// Read by the recipient (WhatsApp).
    Read,
    /// Could not be delivered.
    Failed {
        /// The provider's code.
        code: String,
        /// What it means.
        message: String,
    },
}

/// Moves a notification forward on a provider's report: `sent → delivered → read`, or
/// `sent → failed`. Reports arrive repeated and out of order, so one never moves a notification
/// back (a late `delivered` after `read` changes nothing). Returns whether it changed.
pub async fn apply_report(
    db: &impl ConnectionTrait,
    id: i64,
    report: &DeliveryReport,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let update = notification::Entity::update_many()
        .col_expr(notification::Column::UpdatedAt, Expr::value(Timestamp(now)))
        .filter(notification::Column::Id.eq(id));
    let update = match report {
        DeliveryReport::Delivered => update
            .col_expr(
                notification::Column::Status,
                Expr::value(NotificationStatus::Delivered),
            )
            .col_expr(
                notification::Column::DeliveredAt,
                Expr::value(Timestamp(at)),
            )
            .filter(notification::Column::Status.eq(NotificationStatus::Sent)),
        DeliveryReport::Read => update
            .col_expr(
                notification::Column::Status,
                Expr::value(NotificationStatus::Read),
            )
            .col_expr(notification::Column::ReadAt, Expr::value(Timestamp(at)))
            .col_expr(
                notification::Column::DeliveredAt,
                Expr::col(notification::Column::DeliveredAt).if_null(Timestamp(at)),
            )
            .filter(
                notification::Column::Status
                    .is_in([NotificationStatus::Sent, NotificationStatus::Delivered]),
            ),
        DeliveryReport::Failed { code, message } => update
            .col_expr(
                notification::Column::Status,
                Expr::value(NotificationStatus::Failed),
            )
            .col_expr(notification::Column::ErrorCode, Expr::value(code.as_str()))
            .col_expr(
                notification::Column::ErrorMessage,
                Expr::value(message.as_str()),
            )
            .filter(notification::Column::Status.eq(NotificationStatus::Sent)),
    };
    let changed = update.exec(db).await?.rows_affected > 0;
    if changed && let DeliveryReport::Failed { code, message } = report {
        let row = notification::Entity::find_by_id(id).one(db).await?;
        if let Some(row) = row {
            notification_attempt::Entity::insert(notification_attempt::ActiveModel {
                notification_id: sea_orm::Set(row.id),
                business_id: sea_orm::Set(row.business_id),
                attempted_at: sea_orm::Set(at.into()),
                outcome: sea_orm::Set(AttemptOutcome::Undelivered),
                provider: sea_orm::Set(row.provider),
                provider_message_id: sea_orm::Set(row.provider_message_id),
                error_code: sea_orm::Set(Some(code.clone())),
                error_message: sea_orm::Set(Some(message.clone())),
                channel: sea_orm::Set(Some(row.channel)),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
    }
    Ok(changed)
}

/// The notification of one client, channel and occurrence of a reminder (what a payment link
/// names).
pub async fn find_for_occurrence(
    db: &impl ConnectionTrait,
    reminder_id: i64,
    client_id: i64,
    channel: Channel,
    occurrence_at: DateTime<Utc>,
) -> Result<Option<notification::Model>, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::ReminderId.eq(reminder_id))
        .filter(notification::Column::ClientId.eq(client_id))
        .filter(notification::Column::Channel.eq(channel))
        // Links carry whole seconds; manual sends happen at any microsecond.
        .filter(notification::Column::OccurrenceAt.gte(Timestamp(occurrence_at)))
        .filter(
            notification::Column::OccurrenceAt
                .lt(Timestamp(occurrence_at + chrono::Duration::seconds(1))),
        )
        .one(db)
        .await
}
