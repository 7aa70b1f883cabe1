//! Per-business provider credentials: non-secret settings in the clear, secrets sealed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string_len, text};

use super::timestamp;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("provider_credentials")
                    .col(big_integer("business_id"))
                    .col(string_len("provider", 16))
                    .col(text("settings"))
                    .col(text("secret"))
                    .col(string_len("key_id", 16))
                    .col(timestamp(manager, "updated_at"))
                    .primary_key(Index::create().col("business_id").col("provider"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_provider_credentials_business")
                            .from("provider_credentials", "business_id")
                            .to("businesses", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("provider_credentials").to_owned())
            .await
    }
}
