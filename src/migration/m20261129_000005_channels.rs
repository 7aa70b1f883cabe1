//! Real channels: provider webhooks processed once, provider accounts found by their public id,
//! notifications found by the provider's message id, and WhatsApp template messages.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_pk_auto, string_len, string_len_null, text_null};

use super::{add_column, drop_column, index, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("webhook_events")
                    .col(big_pk_auto("id"))
                    .col(string_len("provider", 32))
                    .col(string_len("event_id", 191))
                    .col(timestamp(manager, "received_at"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_webhook_events",
            "webhook_events",
            &["provider", "event_id"],
            true,
        )
        .await?;
        // The public id of an account (Twilio account SID, WhatsApp phone number id) that
        // webhooks name, so the right business and secret are found.
        add_column(
            manager,
            "provider_credentials",
            string_len_null("account_ref", 191),
        )
        .await?;
        index(
            manager,
            "ix_provider_credentials_account",
            "provider_credentials",
            &["provider", "account_ref"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_notifications_provider_message",
            "notifications",
            &["provider_message_id"],
            false,
        )
        .await?;
        // The WhatsApp template a notification sends, its parameters rendered for the client.
        add_column(manager, "notifications", text_null("whatsapp_template")).await?;
        // The business's default WhatsApp template for reminders that name none.
        add_column(manager, "businesses", text_null("whatsapp_template")).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            ("businesses", "whatsapp_template"),
            ("notifications", "whatsapp_template"),
            ("provider_credentials", "account_ref"),
        ] {
            drop_column(manager, table, column).await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ix_notifications_provider_message")
                    .table(Alias::new("notifications"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("webhook_events").to_owned())
            .await
    }
}
