//! Which of a claim's notifications have started sending is kept once per claim, as the id its
//! sends have started through (a claim starts its notifications in id order), instead of a
//! `send_started_at` written on each notification. Writing it on each was a row version per
//! message, with every index of `notifications` written again, between its claim and its
//! outcome: about 41 µs of PostgreSQL's time per message in a fan-out (docs/BENCHMARKS.md).
//! Claims started when the migration runs keep what they had started.
//!
//! `send_started_at` stays, no longer written or read, so that nodes of the version before keep
//! working during a rolling upgrade (they read and write it); a later migration drops it once
//! no such node can be left.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string_len};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The table of started claims.
const CLAIMS: &str = "dispatch_claims";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CLAIMS)
                    .col(string_len("token", 36).primary_key())
                    .col(big_integer("started_through"))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO dispatch_claims (token, started_through) \
                 SELECT claim_token, MAX(id) FROM notifications \
                 WHERE status = 'sending' AND claim_token IS NOT NULL \
                 AND send_started_at IS NOT NULL GROUP BY claim_token",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE notifications SET send_started_at = updated_at \
                 WHERE status = 'sending' AND id <= (SELECT started_through \
                 FROM dispatch_claims WHERE dispatch_claims.token = notifications.claim_token)",
            )
            .await?;
        manager
            .drop_table(Table::drop().table(CLAIMS).to_owned())
            .await
    }
}
