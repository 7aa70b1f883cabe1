//! `revoked_tokens`: access tokens revoked by their `jti`, or all of a session's by
//! [`session_key`].

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::entities::{Timestamp, revoked_token};

/// Revokes a token until it expires; forgets tokens that have expired meanwhile.
pub async fn revoke(
    db: &impl ConnectionTrait,
    jti: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    revoked_token::Entity::delete_many()
        .filter(revoked_token::Column::ExpiresAt.lt(Timestamp(now)))
        .exec(db)
        .await?;
    revoked_token::Entity::insert(revoked_token::ActiveModel {
        jti: Set(jti.to_owned()),
        expires_at: Set(Timestamp(expires_at)),
    })
    .on_conflict(
        OnConflict::column(revoked_token::Column::Jti)
            .update_column(revoked_token::Column::ExpiresAt)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The key under which a whole sign-in session's access tokens are revoked.
pub fn session_key(session_id: &str) -> String {
    format!("session:{session_id}")
}

/// Whether a token was revoked, by its own id or its session's, in one query.
pub async fn is_revoked(
    db: &impl ConnectionTrait,
    jti: &str,
    session_id: Option<&str>,
) -> Result<bool, DbErr> {
    let mut keys = vec![jti.to_owned()];
    keys.extend(session_id.map(session_key));
    Ok(revoked_token::Entity::find()
        .filter(revoked_token::Column::Jti.is_in(keys))
        .count(db)
        .await?
        > 0)
}
