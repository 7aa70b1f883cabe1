//! Access tokens revoked before their expiry (logout), shared by every node.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_len;

use super::{index, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("revoked_tokens")
                    .col(string_len("jti", 64).primary_key())
                    // Kept until the token would have expired anyway.
                    .col(timestamp(manager, "expires_at"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_revoked_tokens_expiry",
            "revoked_tokens",
            &["expires_at"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("revoked_tokens").to_owned())
            .await
    }
}
