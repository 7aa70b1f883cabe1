//! `GET /audit-log`: sensitive actions of the business, for owners and admins.

use std::sync::Arc;

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, Problem};
use super::extract::ApiQuery;
use super::paging::{ListWindow, Listed};
use super::responses::ListResponse;
use crate::domain::Actor;
use crate::entities::audit_entry;
use crate::services::audit::{self, AuditSortKey};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(list_audit_log))
}

/// One audited action.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntryResponse {
    /// The entry's id; a later entry has a higher one.
    pub id: i64,
    /// When the action was taken (UTC).
    pub at: DateTime<Utc>,
    /// The id of the user who acted (it may name a user since removed).
    pub actor_user_id: Option<i64>,
    /// What was done, e.g. `user.added`, `user.role_changed`, `user.password_set`,
    /// `providers.changed`, `client.exported`, `client.erased`, `reminder.sent_manually`.
    pub action: String,
    /// What it was done to: `user`, `client`, `reminder` or `business`.
    #[schema(schema_with = super::openapi::audit_targets)]
    pub target_type: String,
    /// The id of that user, client, reminder or business.
    pub target_id: Option<i64>,
    /// What changed (never secrets or personal data).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<audit_entry::Model> for AuditEntryResponse {
    fn from(entry: audit_entry::Model) -> Self {
        Self {
            id: entry.id,
            at: *entry.created_at,
            actor_user_id: entry.actor_user_id,
            action: entry.action,
            target_type: entry.target_type,
            target_id: entry.target_id,
            details: serde_json::from_str(&entry.details).unwrap_or_default(),
        }
    }
}

/// `GET /audit-log` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries with this exact action, e.g. `user.role_changed`.
    pub action: Option<String>,
}

/// Lists the business's audit log, newest first.
///
/// Sensitive actions: staff and role changes, passwords set for others, provider accounts,
/// client exports, deletions and erasures, documents, sender identities, cancelled reminders
/// and sends on demand. Owners and admins only.
#[utoipa::path(
    get, path = "/audit-log", tag = "users", security(("oauth2" = [])), params(AuditQuery, ListWindow<AuditSortKey>),
    responses(
        (status = 200, description = "A page of entries", body = ListResponse<AuditEntryResponse>),
        (status = 403, description = "The caller is a member: owners and admins only", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_audit_log(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<AuditQuery>,
    window: ListWindow<AuditSortKey>,
) -> ApiResult<Listed<AuditEntryResponse>> {
    let paged = audit::list(
        &state,
        &actor,
        query.action.as_deref(),
        window.sort,
        window.page.limit,
        window.page.offset,
    )
    .await?;
    Ok(window.answer(paged, AuditEntryResponse::from))
}
