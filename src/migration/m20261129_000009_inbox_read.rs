//! The firm's own "read" mark on a notification, for its inbox view (not the client's read
//! receipt, which is the `read` status).

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
            timestamp_null(manager, "inbox_read_at"),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, "notifications", "inbox_read_at").await
    }
}
