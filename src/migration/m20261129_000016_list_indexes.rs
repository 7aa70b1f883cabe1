//! Lists read without scanning all of a business's messages: a client's history (their page,
//! the messages list filtered by client, erasure), messages of one status newest first (the
//! failed ones, say), and a client's payments.

use sea_orm_migration::prelude::*;

use super::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, table, columns) of each index.
const INDEXES: [(&str, &str, &[&str]); 3] = [
    (
        "ix_notifications_client",
        "notifications",
        &["business_id", "client_id", "occurrence_at"],
    ),
    (
        "ix_notifications_status",
        "notifications",
        &["business_id", "status", "occurrence_at"],
    ),
    (
        "ix_payments_client",
        "payments",
        &["business_id", "client_id"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, columns) in INDEXES {
            index(manager, name, table, columns, false).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
