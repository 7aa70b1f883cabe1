//! Security hardening: sign-in attempts are counted before the password is checked (the
//! separate lock column goes: a key is locked while its window has no attempt left), and
//! one-time password-reset tokens.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_pk_auto, string_len};

use super::{add_column, cascade, drop_column, index, timestamp, timestamp_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, "login_throttle", "locked_until").await?;
        manager
            .create_table(
                Table::create()
                    .table("password_resets")
                    .col(big_pk_auto("id"))
                    .col(big_integer("user_id"))
                    // SHA-256 of the token sent by e-mail; the token itself is never stored.
                    .col(string_len("token_hash", 64))
                    .col(timestamp(manager, "expires_at"))
                    .col(timestamp_null(manager, "used_at"))
                    .col(timestamp(manager, "created_at"))
                    .foreign_key(&mut cascade(
                        "fk_password_resets_user",
                        "password_resets",
                        "user_id",
                        "users",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_password_resets_token",
            "password_resets",
            &["token_hash"],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("password_resets").to_owned())
            .await?;
        add_column(
            manager,
            "login_throttle",
            timestamp_null(manager, "locked_until"),
        )
        .await
    }
}
