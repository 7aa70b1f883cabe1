//! The dashboard's counts kept instead of counted on each view: a business's messages per hour
//! of occurrence (UTC), channel and status, recounted for the hours whose messages changed since
//! the last view (found by `updated_at`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string_len};

use super::{cascade, index, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("message_hours")
                    .col(big_integer("business_id"))
                    .col(timestamp(manager, "hour"))
                    .col(string_len("channel", 16))
                    .col(string_len("status", 16))
                    .col(big_integer("messages"))
                    .primary_key(
                        Index::create()
                            .col("business_id")
                            .col("hour")
                            .col("channel")
                            .col("status"),
                    )
                    .foreign_key(&mut cascade(
                        "fk_message_hours_business",
                        "message_hours",
                        "business_id",
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("message_hours_state")
                    .col(big_integer("business_id").primary_key())
                    .col(timestamp(manager, "counted_through"))
                    .col(timestamp(manager, "rebuilt_at"))
                    .foreign_key(&mut cascade(
                        "fk_message_hours_state_business",
                        "message_hours_state",
                        "business_id",
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_notifications_updated",
            "notifications",
            &["business_id", "updated_at"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_notifications_updated")
                    .table("notifications")
                    .to_owned(),
            )
            .await?;
        for table in ["message_hours_state", "message_hours"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
