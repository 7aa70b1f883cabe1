//! Quiet hours of a business.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_len_null;

use super::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["quiet_hours_start", "quiet_hours_end"] {
            add_column(manager, "businesses", string_len_null(column, 5)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["quiet_hours_start", "quiet_hours_end"] {
            drop_column(manager, "businesses", column).await?;
        }
        Ok(())
    }
}
