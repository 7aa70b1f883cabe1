//! A page of a business's clients read in order from an index: without these, every page in
//! the order they were added (the default, by id) or by name sorted all of the business's
//! clients first, a cost that grew with the business (5,000 clients on SQLite: 1 ms of sorting
//! for a page of 50). The id ends each index as it ends each order, so keyset pages (`after=`)
//! seek too.

use sea_orm_migration::prelude::*;

use super::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, columns) of each index on `clients`.
const INDEXES: [(&str, &[&str]); 2] = [
    ("ix_clients_added", &["business_id", "id"]),
    ("ix_clients_name", &["business_id", "name", "id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns) in INDEXES {
            index(manager, name, "clients", columns, false).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table("clients").to_owned())
                .await?;
        }
        Ok(())
    }
}
