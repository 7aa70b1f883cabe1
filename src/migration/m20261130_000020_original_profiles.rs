//! What the original service's users had and ours lacked: a `username` to sign in with (unique
//! per installation, kept as written) and a contact `phone`, both optional. Only the original's
//! paths and the importer write them (docs/DECISIONS.md, "Usernames").

use sea_orm_migration::prelude::*;

use super::{add_column, drop_column, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            "users",
            ColumnDef::new(Alias::new("username"))
                .string_len(191)
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            "users",
            ColumnDef::new(Alias::new("phone"))
                .string_len(32)
                .null()
                .to_owned(),
        )
        .await?;
        index(manager, "ux_users_username", "users", &["username"], true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ux_users_username")
                    .table(Alias::new("users"))
                    .to_owned(),
            )
            .await?;
        drop_column(manager, "users", "phone").await?;
        drop_column(manager, "users", "username").await
    }
}
