//! Sender identities: the addresses and numbers a business sends from, each verified by a code
//! sent to it; reminders may name them and notifications keep the one they were written for.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, boolean, integer, string_len, string_len_null,
    text_null,
};

use super::{add_column, cascade, drop_column, index, timestamp, timestamp_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("sender_identities")
                    .col(big_pk_auto("id"))
                    .col(big_integer("business_id"))
                    // `email`, `sms` or `whatsapp`.
                    .col(string_len("channel", 16))
                    // An e-mail address (lower case) or an E.164 number.
                    .col(string_len("address", 320))
                    .col(string_len_null("display_name", 200))
                    // WhatsApp: the Cloud API's id of this number.
                    .col(string_len_null("phone_number_id", 64))
                    .col(boolean("is_default"))
                    .col(timestamp_null(manager, "verified_at"))
                    // Keyed hash of the code last sent; cleared once verified.
                    .col(string_len_null("code_hash", 64))
                    .col(timestamp_null(manager, "code_sent_at"))
                    .col(timestamp_null(manager, "code_expires_at"))
                    .col(integer("code_attempts"))
                    .col(timestamp(manager, "created_at"))
                    .col(timestamp(manager, "updated_at"))
                    .foreign_key(&mut cascade(
                        "fk_sender_identities_business",
                        "sender_identities",
                        "business_id",
                        "businesses",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_sender_identities_address",
            "sender_identities",
            &["business_id", "channel", "address"],
            true,
        )
        .await?;
        // JSON object of the identities a reminder sends from: channel name → identity id.
        add_column(manager, "reminders", text_null("sender_identity_ids")).await?;
        add_column(
            manager,
            "notifications",
            big_integer_null("sender_identity_id"),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, "notifications", "sender_identity_id").await?;
        drop_column(manager, "reminders", "sender_identity_ids").await?;
        manager
            .drop_table(Table::drop().table("sender_identities").to_owned())
            .await
    }
}
