//! `webhook_events`: which provider events were processed.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

use crate::entities::{Timestamp, webhook_event};

/// Records an event; false when it was already recorded (a redelivery), after which the
/// transaction must be dropped. Run it in the transaction that processes the event, so an event
/// is either processed and recorded or neither.
pub async fn remember(
    db: &impl ConnectionTrait,
    provider: &str,
    event_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    // A plain insert: a duplicate fails on the unique index, portably (MySQL has no
    // `ON CONFLICT DO NOTHING` whose row count can be trusted). The caller then drops the
    // transaction, which PostgreSQL has aborted anyway.
    let inserted = webhook_event::Entity::insert(webhook_event::ActiveModel {
        provider: Set(provider.to_owned()),
        event_id: Set(event_id.chars().take(191).collect()),
        received_at: Set(Timestamp(now)),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(error)
            if matches!(
                error.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Ok(false)
        }
        Err(error) => Err(error),
    }
}
