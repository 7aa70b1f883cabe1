//! How far a large occurrence's fan-out has got: the planner writes a reminder's notifications
//! a chunk of clients per transaction, so the first messages leave while the rest are planned.
//! `planned_through` is the last client id planned while the fan-out is under way, and null once
//! every assigned client has been; after a crash the planner carries on from it.

use sea_orm_migration::prelude::*;

use super::{add_column, drop_column, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            "reminder_occurrences",
            ColumnDef::new(Alias::new("planned_through"))
                .big_integer()
                .null()
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ix_reminder_occurrences_planned_through",
            "reminder_occurrences",
            &["planned_through"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_reminder_occurrences_planned_through")
                    .table(Alias::new("reminder_occurrences"))
                    .to_owned(),
            )
            .await?;
        drop_column(manager, "reminder_occurrences", "planned_through").await
    }
}
