//! No index on `notifications.claim_token`. The dispatcher records a claim's outcomes a group
//! at a time by the notifications' ids and its token; with the token indexed, PostgreSQL, whose
//! statistics were taken while no claim was held and so count one row per token, read each
//! group by walking every row of the claim through that index (500 rows to write 32, sixteen
//! times a batch). Without it the rows are found by their primary key; the reads by token
//! alone (a claim's rows, renewing its lease) go through the index on (`status`,
//! `lease_until`), as a claim's rows are the ones in `sending`.

use sea_orm_migration::prelude::*;

use super::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The index dropped.
const CLAIM_INDEX: &str = "ix_notifications_claim";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(CLAIM_INDEX)
                    .table("notifications")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(
            manager,
            CLAIM_INDEX,
            "notifications",
            &["claim_token"],
            false,
        )
        .await
    }
}
