//! The audit log of sensitive actions, and erasure of a client's personal data.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, big_pk_auto, string_len, text};

use super::{add_column, cascade, drop_column, index, timestamp, timestamp_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .col(big_pk_auto("id"))
                    .col(big_integer("business_id"))
                    // Null when the platform acted (a provider webhook, a signed link).
                    .col(big_integer_null("actor_user_id"))
                    .col(string_len("action", 64))
                    .col(string_len("target_type", 32))
                    .col(big_integer_null("target_id"))
                    // JSON: what changed, never secrets or personal data.
                    .col(text("details"))
                    .col(timestamp(manager, "created_at"))
                    .foreign_key(&mut cascade(
                        "fk_audit_log_business",
                        "audit_log",
                        "business_id",
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_audit_log_business",
            "audit_log",
            &["business_id", "id"],
            false,
        )
        .await?;
        add_column(manager, "clients", timestamp_null(manager, "erased_at")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, "clients", "erased_at").await?;
        manager
            .drop_table(Table::drop().table("audit_log").to_owned())
            .await
    }
}
