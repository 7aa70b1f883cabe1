//! Usage counted per send, not per notification: a resent message is billed again, so each
//! attempt keeps its channel and the SMS parts the provider reported, and the parts leave the
//! notification (where a resend would overwrite them).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer_null, string_len_null};

use super::{add_column, drop_column, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            "notification_attempts",
            string_len_null("channel", 16),
        )
        .await?;
        add_column(manager, "notification_attempts", integer_null("segments")).await?;
        // Earlier attempts take their notification's channel, and its parts when they sent.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE notification_attempts SET \
                 channel = (SELECT n.channel FROM notifications n \
                            WHERE n.id = notification_attempts.notification_id), \
                 segments = CASE WHEN outcome = 'sent' THEN \
                            (SELECT n.segments FROM notifications n \
                             WHERE n.id = notification_attempts.notification_id) END",
            )
            .await?;
        drop_column(manager, "notifications", "segments").await?;
        index(
            manager,
            "ix_attempts_business_time",
            "notification_attempts",
            &["business_id", "attempted_at"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_attempts_business_time")
                    .table("notification_attempts")
                    .to_owned(),
            )
            .await?;
        add_column(manager, "notifications", integer_null("segments")).await?;
        drop_column(manager, "notification_attempts", "segments").await?;
        drop_column(manager, "notification_attempts", "channel").await
    }
}
