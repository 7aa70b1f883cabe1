//! No index on `notifications.claim_token`. The dispatcher records a claim's outcomes a group
//! at a time by the notifications' ids and its token. PostgreSQL's statistics are taken while
//! no claim is held, so they count one row for any token, as for `sending`: given an index that
//! leads with either, it reads a group by walking every row of the claim through that index
//! (500 rows to write 32, sixteen times a batch), which it did through the index on
//! (`status`, `lease_until`) while the writes also asked for `sending`. They ask for the token
//! and the ids only now, and without this index the rows are found by their primary key. The
//! reads by token alone (a claim's rows, renewing its lease) also ask for `sending` and go
//! through the status index, as a claim's rows are the ones in `sending`.

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
