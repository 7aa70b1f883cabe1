//! Versioned schema migrations: one migrator for SQLite, MySQL/MariaDB and PostgreSQL.
//!
//! Portable columns only: UTC timestamps (`DATETIME(6)` on MySQL, whose `TIMESTAMP` stops in
//! 2038), integer minor units, enums by name and structured values as JSON, both in text columns.

use sea_orm_migration::prelude::*;

mod m20261129_000001_accounts_and_clients;
mod m20261129_000002_reminders_and_notifications;
mod m20261129_000003_provider_credentials;
mod m20261129_000004_quiet_hours;
mod m20261129_000005_channels;
mod m20261129_000006_payments;
mod m20261129_000007_audit_and_privacy;
mod m20261129_000008_revoked_tokens;
mod m20261129_000009_inbox_read;
mod m20261129_000010_usage;
mod m20261129_000011_sender_identities;
mod m20261129_000012_documents;
mod m20261129_000013_usage_per_send;
mod m20261129_000014_security_hardening;
mod m20261129_000015_channel_lists_as_json;
mod m20261129_000016_list_indexes;
mod m20261129_000017_message_hours;
mod m20261130_000018_send_started;
mod m20261130_000019_fan_out_progress;
mod m20261130_000020_original_profiles;
mod m20261130_000021_client_list_indexes;
mod m20261130_000022_unindexed_claim_token;
mod m20261201_000023_dispatch_claims;
mod m20261201_000024_partial_indexes;

/// Applies the migrations in order; the applied set is kept in `seaql_migrations`.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_accounts_and_clients::Migration),
            Box::new(m20261129_000002_reminders_and_notifications::Migration),
            Box::new(m20261129_000003_provider_credentials::Migration),
            Box::new(m20261129_000004_quiet_hours::Migration),
            Box::new(m20261129_000005_channels::Migration),
            Box::new(m20261129_000006_payments::Migration),
            Box::new(m20261129_000007_audit_and_privacy::Migration),
            Box::new(m20261129_000008_revoked_tokens::Migration),
            Box::new(m20261129_000009_inbox_read::Migration),
            Box::new(m20261129_000010_usage::Migration),
            Box::new(m20261129_000011_sender_identities::Migration),
            Box::new(m20261129_000012_documents::Migration),
            Box::new(m20261129_000013_usage_per_send::Migration),
            Box::new(m20261129_000014_security_hardening::Migration),
            Box::new(m20261129_000015_channel_lists_as_json::Migration),
            Box::new(m20261129_000016_list_indexes::Migration),
            Box::new(m20261129_000017_message_hours::Migration),
            Box::new(m20261130_000018_send_started::Migration),
            Box::new(m20261130_000019_fan_out_progress::Migration),
            Box::new(m20261130_000020_original_profiles::Migration),
            Box::new(m20261130_000021_client_list_indexes::Migration),
            Box::new(m20261130_000022_unindexed_claim_token::Migration),
            Box::new(m20261201_000023_dispatch_claims::Migration),
            Box::new(m20261201_000024_partial_indexes::Migration),
        ]
    }
}

/// A non-null UTC timestamp column, portable past 2038 on every backend.
pub(crate) fn timestamp(manager: &SchemaManager, column: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(column);
    match manager.get_database_backend() {
        sea_orm::DbBackend::MySql => def.custom(Alias::new("DATETIME(6)")),
        _ => def.timestamp_with_time_zone(),
    };
    def.not_null().to_owned()
}

/// A nullable UTC timestamp column.
pub(crate) fn timestamp_null(manager: &SchemaManager, column: impl IntoIden) -> ColumnDef {
    let mut def = timestamp(manager, column);
    def.null();
    def
}

/// Creates an index on `columns` of `table`.
pub(crate) async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: &str,
    columns: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut statement = Index::create();
    statement.name(name).table(table.to_owned());
    for column in columns {
        statement.col(Alias::new(*column));
    }
    if unique {
        statement.unique();
    }
    manager.create_index(statement.to_owned()).await
}

/// A foreign key from `from.column` to `to.id` that deletes with its parent.
pub(crate) fn cascade(name: &str, from: &str, column: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.to_owned(), column.to_owned())
        .to(to.to_owned(), "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// Adds a column to a table (one per statement: SQLite alters one at a time).
pub(crate) async fn add_column(
    manager: &SchemaManager<'_>,
    table: &str,
    column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(Alias::new(table))
                .add_column(column)
                .to_owned(),
        )
        .await
}

/// Drops a column from a table.
pub(crate) async fn drop_column(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(Alias::new(table))
                .drop_column(Alias::new(column))
                .to_owned(),
        )
        .await
}
