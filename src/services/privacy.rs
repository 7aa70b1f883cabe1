//! A client's data: everything held about them (export), and erasure of their personal data.
//! Both are audited.

use serde_json::json;

use super::audit::{self, Target};
use super::{ServiceError, ServiceResult};
use crate::domain::{Actor, ClientId};
use crate::repositories::privacy::{self, Held};
use crate::state::AppState;

/// Everything held about a client; owners and admins only, as for erasure.
pub async fn export(state: &AppState, actor: &Actor, id: ClientId) -> ServiceResult<Held> {
    if !actor.role.can_manage() {
        return Err(ServiceError::Forbidden(
            "Only owners and admins export client data.".into(),
        ));
    }
    let held = privacy::held(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    audit::record(
        &state.db,
        actor,
        "client.exported",
        Target::client(id.0),
        json!({}),
    )
    .await?;
    Ok(held)
}

/// Erases the client's personal data; owners and admins only.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, client_id = id.0))]
pub async fn erase(state: &AppState, actor: &Actor, id: ClientId) -> ServiceResult<()> {
    if !actor.role.can_manage() {
        return Err(ServiceError::Forbidden(
            "Only owners and admins erase client data.".into(),
        ));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    if !privacy::erase(&txn, actor.business, id, state.clock.now()).await? {
        return Err(ServiceError::NotFound);
    }
    let documents = privacy::erase_documents(&txn, actor.business, id).await?;
    audit::record(
        &txn,
        actor,
        "client.erased",
        Target::client(id.0),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    // The erased name and address no longer match a search.
    state.list_totals.forget_all();
    for document in &documents {
        state.documents.remove_object(document).await;
    }
    // SQLite: fold the write-ahead log into the database now, so the old text does not linger
    // in the -wal file (pages freed by the update are zeroed by `secure_delete`).
    if crate::db::Backend::from(sea_orm::ConnectionTrait::get_database_backend(&state.db))
        == crate::db::Backend::Sqlite
    {
        let _ = sea_orm::ConnectionTrait::execute_unprepared(
            &state.db,
            "PRAGMA wal_checkpoint(TRUNCATE)",
        )
        .await;
    }
    tracing::info!("client erased");
    Ok(())
}
