//! Businesses, their users, refresh tokens, login throttling and clients.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_pk_auto, boolean, integer, string, string_null};

use super::{timestamp, timestamp_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("businesses")
                    .col(big_pk_auto("id"))
                    .col(string("name"))
                    .col(string("timezone"))
                    .col(string("default_channels"))
                    .col(string_null("email_from"))
                    .col(string_null("default_country"))
                    .col(timestamp(manager, "created_at"))
                    .col(timestamp(manager, "updated_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(big_pk_auto("id"))
                    .col(big_integer("business_id"))
                    .col(string("email"))
                    .col(string("full_name"))
                    .col(string("password_hash"))
                    .col(string("role"))
                    .col(boolean("is_active"))
                    .col(timestamp(manager, "created_at"))
                    .col(timestamp(manager, "updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_users_business")
                            .from("users", "business_id")
                            .to("businesses", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_users_email")
                    .table("users")
                    .col("email")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_users_business")
                    .table("users")
                    .col("business_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("refresh_tokens")
                    .col(big_pk_auto("id"))
                    .col(big_integer("user_id"))
                    .col(ColumnDef::new("family_id").char_len(36).not_null())
                    .col(ColumnDef::new("token_hash").char_len(64).not_null())
                    .col(timestamp(manager, "expires_at"))
                    .col(timestamp_null(manager, "used_at"))
                    .col(timestamp_null(manager, "revoked_at"))
                    .col(timestamp(manager, "created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_tokens_user")
                            .from("refresh_tokens", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_refresh_tokens_hash")
                    .table("refresh_tokens")
                    .col("token_hash")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_refresh_tokens_family")
                    .table("refresh_tokens")
                    .col("family_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("login_throttle")
                    .col(
                        ColumnDef::new("throttle_key")
                            .string_len(191)
                            .not_null()
                            .primary_key(),
                    )
                    .col(integer("failures"))
                    .col(timestamp(manager, "window_started_at"))
                    .col(timestamp_null(manager, "locked_until"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("clients")
                    .col(big_pk_auto("id"))
                    .col(big_integer("business_id"))
                    .col(string("name"))
                    .col(string_null("email"))
                    .col(string_null("phone"))
                    .col(boolean("whatsapp_opt_in"))
                    .col(string("preferred_channels"))
                    .col(string_null("timezone"))
                    .col(string_null("external_ref"))
                    .col(boolean("opted_out_email"))
                    .col(boolean("opted_out_sms"))
                    .col(boolean("opted_out_whatsapp"))
                    .col(timestamp(manager, "created_at"))
                    .col(timestamp(manager, "updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_clients_business")
                            .from("clients", "business_id")
                            .to("businesses", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_clients_business_email")
                    .table("clients")
                    .col("business_id")
                    .col("email")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_clients_business_external_ref")
                    .table("clients")
                    .col("business_id")
                    .col("external_ref")
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "clients",
            "login_throttle",
            "refresh_tokens",
            "users",
            "businesses",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
