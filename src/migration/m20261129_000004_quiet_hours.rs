//! Quiet hours of a business.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_len_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for column in ["quiet_hours_start", "quiet_hours_end"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("businesses")
                        .add_column(string_len_null(column, 5))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["quiet_hours_start", "quiet_hours_end"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("businesses")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
