//! When the dispatcher handed a claimed notification to its send, written before the provider
//! is called: after a crash, a claim that had started is known to have an unknown outcome (and
//! is recorded so when sent again), one that had not is simply handed back.

use sea_orm_migration::prelude::*;

use super::{add_column, drop_column, timestamp_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            "notifications",
            timestamp_null(manager, "send_started_at"),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, "notifications", "send_started_at").await
    }
}
