//! `webhook_events`: which provider events were processed.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};
use sha2::{Digest, Sha256};

use crate::domain::Provider;
use crate::entities::{Timestamp, webhook_event};

/// Records an event of one provider account (whose secret verified it); false when that account
/// already sent it (a redelivery), after which the transaction must be dropped. Ids are kept per
/// account, so an event posted first under one account — a tenant naming the platform's account
/// id with its own secret — never hides the genuine event of another. Run it in the
/// transaction that processes the event, so an event is either processed and recorded or
/// neither.
pub async fn remember(
    db: &impl ConnectionTrait,
    provider: Provider,
    account: &str,
    event_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let key = format!("{account}|{event_id}");
    // The column holds 191 characters; a longer key is kept as its digest.
    let key = if key.len() > 191 {
        hex::encode(Sha256::digest(key.as_bytes()))
    } else {
        key
    };
    // A plain insert: a duplicate fails on the unique index, portably (MySQL has no
    // `ON CONFLICT DO NOTHING` whose row count can be trusted). The caller then drops the
    // transaction, which PostgreSQL has aborted anyway.
    let inserted = webhook_event::Entity::insert(webhook_event::ActiveModel {
        provider: Set(provider),
        event_id: Set(key),
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
