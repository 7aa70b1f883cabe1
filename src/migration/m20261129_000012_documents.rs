//! Documents: files a firm keeps (in the database or object storage), attaches to reminders
//! (for everyone or per client), and links from messages; each open of a link is recorded.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, boolean, string_len, string_len_null, text_null,
};

use super::{add_column, cascade, drop_column, index, timestamp, timestamp_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Bytes up to the largest upload: `LONGBLOB` on MySQL (`BLOB` stops at 64 KiB), `bytea` on
/// PostgreSQL, `BLOB` on SQLite.
fn bytes(manager: &SchemaManager, column: &str) -> ColumnDef {
    let mut def = ColumnDef::new(Alias::new(column));
    match manager.get_database_backend() {
        sea_orm::DbBackend::MySql => def.custom(Alias::new("LONGBLOB")),
        _ => def.blob(),
    };
    def.not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("documents")
                    .col(big_pk_auto("id"))
                    .col(big_integer("business_id"))
                    // The client it belongs to (an invoice); none when it is for everyone.
                    .col(big_integer_null("client_id"))
                    .col(string_len("name", 255))
                    .col(string_len("content_type", 100))
                    .col(big_integer("size_bytes"))
                    .col(string_len("sha256", 64))
                    // Set when the bytes are in object storage, not in `document_contents`.
                    .col(string_len_null("storage_key", 300))
                    // Links to it stop working after this.
                    .col(timestamp_null(manager, "link_expires_at"))
                    .col(timestamp(manager, "created_at"))
                    .col(timestamp(manager, "updated_at"))
                    .foreign_key(&mut cascade(
                        "fk_documents_business",
                        "documents",
                        "business_id",
                        "businesses",
                    ))
                    .foreign_key(&mut cascade(
                        "fk_documents_client",
                        "documents",
                        "client_id",
                        "clients",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_documents_business_client",
            "documents",
            &["business_id", "client_id"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("document_contents")
                    .col(big_integer("document_id").primary_key())
                    .col(bytes(manager, "bytes"))
                    .foreign_key(&mut cascade(
                        "fk_document_contents_document",
                        "document_contents",
                        "document_id",
                        "documents",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("reminder_documents")
                    .col(big_integer("reminder_id"))
                    .col(big_integer("document_id"))
                    .col(big_integer("business_id"))
                    .col(timestamp(manager, "created_at"))
                    .primary_key(Index::create().col("reminder_id").col("document_id"))
                    .foreign_key(&mut cascade(
                        "fk_reminder_documents_reminder",
                        "reminder_documents",
                        "reminder_id",
                        "reminders",
                    ))
                    .foreign_key(&mut cascade(
                        "fk_reminder_documents_document",
                        "reminder_documents",
                        "document_id",
                        "documents",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("document_links")
                    .col(big_pk_auto("id"))
                    .col(big_integer("business_id"))
                    .col(big_integer("document_id"))
                    .col(big_integer("client_id"))
                    .col(timestamp_null(manager, "revoked_at"))
                    .col(timestamp(manager, "created_at"))
                    .foreign_key(&mut cascade(
                        "fk_document_links_document",
                        "document_links",
                        "document_id",
                        "documents",
                    ))
                    .foreign_key(&mut cascade(
                        "fk_document_links_client",
                        "document_links",
                        "client_id",
                        "clients",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_document_links_document_client",
            "document_links",
            &["document_id", "client_id"],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("document_opens")
                    .col(big_pk_auto("id"))
                    .col(big_integer("business_id"))
                    .col(big_integer("link_id"))
                    .col(big_integer_null("notification_id"))
                    .col(timestamp(manager, "opened_at"))
                    .foreign_key(&mut cascade(
                        "fk_document_opens_link",
                        "document_opens",
                        "link_id",
                        "document_links",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_document_opens_link",
            "document_opens",
            &["link_id"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_document_opens_business_time",
            "document_opens",
            &["business_id", "opened_at"],
            false,
        )
        .await?;
        // A client's own document on a reminder (their invoice), instead of or besides the
        // reminder's documents.
        add_column(manager, "reminder_clients", big_integer_null("document_id")).await?;
        add_column(
            manager,
            "reminders",
            boolean("attach_documents").default(false).to_owned(),
        )
        .await?;
        add_column(
            manager,
            "notifications",
            timestamp_null(manager, "document_opened_at"),
        )
        .await?;
        // E-mail: JSON list of the document ids it attaches.
        add_column(manager, "notifications", text_null("attachment_ids")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, "notifications", "attachment_ids").await?;
        drop_column(manager, "notifications", "document_opened_at").await?;
        drop_column(manager, "reminders", "attach_documents").await?;
        drop_column(manager, "reminder_clients", "document_id").await?;
        for table in [
            "document_opens",
            "document_links",
            "reminder_documents",
            "document_contents",
            "documents",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
