//! On PostgreSQL and SQLite, three indexes of `notifications` hold only the rows they are read
//! for: due times of `pending` notifications (what a claim takes), leases of `sending` ones
//! (what a lapsed claim leaves), and provider message ids once a provider has given one (what
//! a delivery report names). A notification enters each once, instead of having an entry in
//! each written with every version of it: in a fan-out a message is written three times
//! (planned, claimed, sent), and a third of those nine entries were ever read. The queue's
//! indexes stay as small as the queue, however long the history grows. MySQL has no partial
//! indexes and keeps them whole. The queue's reads say the state in their text
//! (`repositories::notifications::queue_state`), so that a plan made for any bound value can
//! use them; a lookup by provider message id implies one is set.

use sea_orm::{DbBackend, TransactionTrait};
use sea_orm_migration::prelude::*;

use super::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, its columns when whole, its column when partial, the rows it holds when partial).
const PARTIAL: [(&str, &[&str], &str, &str); 3] = [
    (
        "ix_notifications_due",
        &["status", "next_attempt_at"],
        "next_attempt_at",
        "status = 'pending'",
    ),
    (
        "ix_notifications_lease",
        &["status", "lease_until"],
        "lease_until",
        "status = 'sending'",
    ),
    (
        "ix_notifications_provider_message",
        &["provider_message_id"],
        "provider_message_id",
        "provider_message_id IS NOT NULL",
    ),
];

/// What the indexes become.
#[derive(Clone, Copy)]
enum Shape {
    Partial,
    Whole,
}

/// Makes the indexes `shape`: on SQLite in a transaction of its own, as PostgreSQL's
/// migrations have one already (each index is dropped and made again under its name, and
/// outside a transaction the statements go to the pool's connections in turn, where one that
/// has not read the new schema yet refuses the new index as existing already). MySQL keeps
/// its indexes whole.
async fn apply(manager: &SchemaManager<'_>, shape: Shape) -> Result<(), DbErr> {
    match manager.get_database_backend() {
        DbBackend::MySql => Ok(()),
        DbBackend::Sqlite => {
            let txn = manager.get_connection().begin().await?;
            reshape(&SchemaManager::new(&txn), shape).await?;
            txn.commit().await
        }
        _ => reshape(manager, shape).await,
    }
}

/// Drops each index and makes it again in `shape`.
async fn reshape(manager: &SchemaManager<'_>, shape: Shape) -> Result<(), DbErr> {
    for (name, whole, column, rows) in PARTIAL {
        manager
            .drop_index(Index::drop().name(name).table("notifications").to_owned())
            .await?;
        match shape {
            Shape::Whole => index(manager, name, "notifications", whole, false).await?,
            Shape::Partial => {
                manager
                    .create_index(
                        Index::create()
                            .name(name)
                            .table("notifications")
                            .col(Alias::new(column))
                            .and_where(Expr::cust(rows))
                            .to_owned(),
                    )
                    .await?;
            }
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        apply(manager, Shape::Partial).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        apply(manager, Shape::Whole).await
    }
}
