//! The audit log: sensitive actions recorded with who, when and what, in the transaction that
//! does them; readable by owners and admins of the business.

use sea_orm::{ConnectionTrait, Set};
use serde_json::Value;

use super::{ServiceError, ServiceResult};
use crate::domain::Actor;
use crate::entities::{Timestamp, audit_entry};
pub use crate::repositories::audit::{AuditSort, AuditSortKey};
use crate::repositories::{Paged, audit};
use crate::state::AppState;

/// Every kind of [`Target`], as the audit log names them.
pub const TARGET_KINDS: [&str; 4] = ["user", "client", "reminder", "business"];

/// What was done to what.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// `user`, `client`, `reminder` or `business`.
    pub kind: &'static str,
    pub id: Option<i64>,
}

impl Target {
    /// A user of the business.
    pub fn user(id: i64) -> Self {
        Self {
            kind: "user",
            id: Some(id),
        }
    }

    /// A client.
    pub fn client(id: i64) -> Self {
        Self {
            kind: "client",
            id: Some(id),
        }
    }

    /// A reminder.
    pub fn reminder(id: i64) -> Self {
        Self {
            kind: "reminder",
            id: Some(id),
        }
    }

    /// The business itself.
    pub fn business(id: i64) -> Self {
        Self {
            kind: "business",
            id: Some(id),
        }
    }
}

/// Records an action of `actor`; `details` must hold no secrets or personal data.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    target: Target,
    details: Value,
) -> ServiceResult<()> {
    audit::insert(
        db,
        audit_entry::ActiveModel {
            business_id: Set(actor.business.0),
            actor_user_id: Set(Some(actor.user.0)),
            action: Set(action.to_owned()),
            target_type: Set(target.kind.to_owned()),
            target_id: Set(target.id),
            details: Set(details.to_string()),
            created_at: Set(Timestamp(chrono::Utc::now())),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// The business's audit log; owners and admins only.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    action: Option<&str>,
    sort: AuditSort,
    limit: u64,
    offset: u64,
) -> ServiceResult<Paged<audit_entry::Model>> {
    if !actor.role.can_manage() {
        return Err(ServiceError::Forbidden(
            "Only owners and admins read the audit log.".into(),
        ));
    }
    Ok(audit::list(&state.db, actor.business, action, sort, limit, offset).await?)
}
