//! Payments: one per reminder and client, with its Stripe Checkout Session, and the clicks on
//! its link.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, integer, string_len, string_len_null, text_null,
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
                    .table("payments")
                    .col(big_pk_auto("id"))
                    .col(big_integer("business_id"))
                    .col(big_integer("reminder_id"))
                    .col(big_integer("client_id"))
                    .col(big_integer("amount"))
                    .col(string_len("currency", 3))
                    .col(text_null("description"))
                    .col(string_len("status", 16))
                    .col(string_len_null("checkout_session_id", 255))
                    .col(text_null("checkout_url"))
                    .col(timestamp_null(manager, "checkout_expires_at"))
                    // Bumped when Stripe answers 5xx, so the next try gets a fresh idempotency key.
                    .col(integer("checkout_generation").default(0))
                    .col(string_len_null("provider_ref", 255))
                    .col(timestamp_null(manager, "paid_at"))
                    .col(timestamp(manager, "created_at"))
                    .col(timestamp(manager, "updated_at"))
                    .foreign_key(&mut cascade(
                        "fk_payments_reminder",
                        "payments",
                        "reminder_id",
                        "reminders",
                    ))
                    .foreign_key(&mut cascade(
                        "fk_payments_client",
                        "payments",
                        "client_id",
                        "clients",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_payments_reminder_client",
            "payments",
            &["reminder_id", "client_id"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_payments_business",
            "payments",
            &["business_id", "status"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_payments_provider_ref",
            "payments",
            &["provider_ref"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("payment_clicks")
                    .col(big_pk_auto("id"))
                    .col(big_integer("payment_id"))
                    .col(big_integer("business_id"))
                    .col(big_integer_null("notification_id"))
                    .col(string_len_null("channel", 16))
                    .col(timestamp(manager, "clicked_at"))
                    .foreign_key(&mut cascade(
                        "fk_payment_clicks_payment",
                        "payment_clicks",
                        "payment_id",
                        "payments",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_payment_clicks_payment",
            "payment_clicks",
            &["payment_id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["payment_clicks", "payments"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
