//! Usage: SMS parts per notification as the provider reports them, and monthly caps per channel.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer_null, text_null};

use super::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(manager, "notifications", integer_null("segments")).await?;
        add_column(manager, "businesses", text_null("usage_caps")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, "notifications", "segments").await?;
        drop_column(manager, "businesses", "usage_caps").await
    }
}
