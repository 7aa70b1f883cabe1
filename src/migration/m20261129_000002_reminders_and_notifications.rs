//! Reminders, their clients and occurrences, the notification outbox with its attempts, and
//! idempotency keys of manual sends.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, integer, string, string_null, text, text_null,
};

use super::{cascade, index, timestamp, timestamp_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("reminders")
                    .col(big_pk_auto("id"))
                    .col(big_integer("business_id"))
                    .col(string("title"))
                    .col(string("kind"))
                    .col(string("channels"))
                    .col(text_null("subject"))
                    .col(text("body"))
                    .col(text_null("whatsapp_template"))
                    .col(text("schedule"))
                    .col(string("timezone"))
                    .col(big_integer_null("payment_amount"))
                    .col(string_null("payment_currency"))
                    .col(string_null("payment_description"))
                    .col(string("status"))
                    .col(timestamp_null(manager, "next_run_at"))
                    .col(timestamp_null(manager, "last_run_at"))
                    .col(timestamp(manager, "created_at"))
                    .col(timestamp(manager, "updated_at"))
                    .foreign_key(&mut cascade(
                        "fk_reminders_business",
                        "reminders",
                        "business_id",
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_reminders_due",
            "reminders",
            &["status", "next_run_at"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_reminders_business",
            "reminders",
            &["business_id", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("reminder_clients")
                    .col(big_integer("reminder_id"))
                    .col(big_integer("client_id"))
                    .col(big_integer("business_id"))
                    .col(timestamp(manager, "created_at"))
                    .primary_key(Index::create().col("reminder_id").col("client_id"))
                    .foreign_key(&mut cascade(
                        "fk_reminder_clients_reminder",
                        "reminder_clients",
                        "reminder_id",
                        "reminders",
                    ))
                    .foreign_key(&mut cascade(
                        "fk_reminder_clients_client",
                        "reminder_clients",
                        "client_id",
                        "clients",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_reminder_clients_client",
            "reminder_clients",
            &["client_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("reminder_occurrences")
                    .col(big_pk_auto("id"))
                    .col(big_integer("business_id"))
                    .col(big_integer("reminder_id"))
                    .col(timestamp(manager, "occurrence_at"))
                    .col(string("outcome"))
                    .col(integer("notification_count"))
                    .col(timestamp(manager, "created_at"))
                    .foreign_key(&mut cascade(
                        "fk_reminder_occurrences_reminder",
                        "reminder_occurrences",
                        "reminder_id",
                        "reminders",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_reminder_occurrences",
            "reminder_occurrences",
            &["reminder_id", "occurrence_at"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("notifications")
                    .col(big_pk_auto("id"))
                    .col(big_integer("business_id"))
                    .col(big_integer("reminder_id"))
                    .col(big_integer("client_id"))
                    .col(string("channel"))
                    .col(timestamp(manager, "occurrence_at"))
                    .col(string("trigger"))
                    .col(string("status"))
                    .col(string_null("recipient"))
                    .col(text_null("subject"))
                    .col(text("body"))
                    .col(string_null("provider"))
                    .col(string_null("provider_message_id"))
                    .col(integer("attempt_count"))
                    .col(timestamp(manager, "next_attempt_at"))
                    .col(timestamp_null(manager, "lease_until"))
                    .col(ColumnDef::new("claim_token").char_len(36).null())
                    .col(string_null("error_code"))
                    .col(text_null("error_message"))
                    .col(timestamp_null(manager, "sent_at"))
                    .col(timestamp_null(manager, "delivered_at"))
                    .col(timestamp_null(manager, "read_at"))
                    .col(timestamp(manager, "created_at"))
                    .col(timestamp(manager, "updated_at"))
                    .foreign_key(&mut cascade(
                        "fk_notifications_reminder",
                        "notifications",
                        "reminder_id",
                        "reminders",
                    ))
                    .foreign_key(&mut cascade(
                        "fk_notifications_client",
                        "notifications",
                        "client_id",
                        "clients",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_notifications_occurrence",
            "notifications",
            &["reminder_id", "client_id", "channel", "occurrence_at"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_notifications_due",
            "notifications",
            &["status", "next_attempt_at"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_notifications_lease",
            "notifications",
            &["status", "lease_until"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_notifications_claim",
            "notifications",
            &["claim_token"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_notifications_business",
            "notifications",
            &["business_id", "occurrence_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("notification_attempts")
                    .col(big_pk_auto("id"))
                    .col(big_integer("notification_id"))
                    .col(big_integer("business_id"))
                    .col(timestamp(manager, "attempted_at"))
                    .col(string("outcome"))
                    .col(string_null("provider"))
                    .col(string_null("provider_message_id"))
                    .col(string_null("error_code"))
                    .col(text_null("error_message"))
                    .foreign_key(&mut cascade(
                        "fk_attempts_notification",
                        "notification_attempts",
                        "notification_id",
                        "notifications",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_attempts_notification",
            "notification_attempts",
            &["notification_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .col(big_pk_auto("id"))
                    .col(big_integer("business_id"))
                    .col(string_len_col("scope", 64))
                    .col(string_len_col("idempotency_key", 191))
                    .col(text("response"))
                    .col(timestamp(manager, "created_at"))
                    .foreign_key(&mut cascade(
                        "fk_idempotency_business",
                        "idempotency_keys",
                        "business_id",
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_idempotency_keys",
            "idempotency_keys",
            &["business_id", "scope", "idempotency_key"],
            true,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "idempotency_keys",
            "notification_attempts",
            "notifications",
            "reminder_occurrences",
            "reminder_clients",
            "reminders",
        ] {
            manager
                .drop_table(Table::drop().table(table.to_owned()).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn string_len_col(name: &str, length: u32) -> ColumnDef {
    ColumnDef::new(name.to_owned())
        .string_len(length)
        .not_null()
        .to_owned()
}
