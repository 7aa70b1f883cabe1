//! The firm's own "read" mark on a notification, for its inbox view (not the client's read
//! receipt, which is the `read` status).

use sea_orm_migration::prelude::*;

use super::timestamp_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("notifications")
                    .add_column(timestamp_null(manager, "inbox_read_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("notifications")
                    .drop_column("inbox_read_at")
                    .to_owned(),
            )
            .await
    }
}
