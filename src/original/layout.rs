//! What makes a database the original service's: its tables and the columns the import reads
//! from them, checked before anything is written, so that another application's `users`,
//! `clients` and `reminders` (or this service's own database) are refused rather than imported
//! as nothing.
//!
//! Columns that changed between the original's releases (`clients.phone` → `phone_number`,
//! `full_name` → `first_name`/`last_name`, notifications' `user_id` and `message`, sender
//! identities' `value` → `email`/`phone_number`) are not required; those every release had are.
//! Tables that came late (`sender_identities`, `email_configurations`) are read when present.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

/// Why a database cannot be imported as the original's.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// It holds this service's tables: an import's target given as its source.
    #[error(
        "the source looks like this service's own database (it has `businesses` and \
         `seaql_migrations`), not the original's: --source takes the original FastAPI service's \
         database; nothing was imported"
    )]
    OurOwnDatabase,
    /// Tables or columns every release of the original had are missing, each named
    /// (`table reminders`, `column clients.user_id`).
    #[error(
        "the source is not the original service's database: it lacks {}; nothing was imported",
        .0.join(", ")
    )]
    NotTheOriginal(Vec<String>),
    /// The database could not be read.
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// A table the import reads, and the columns every release of the original gave it.
struct Expected {
    table: &'static str,
    /// Whether the oldest releases had it too (the others are read when present).
    required: bool,
    columns: &'static [&'static str],
    /// Columns of which at least one is present (one renamed between releases).
    one_of: &'static [&'static str],
}

const EXPECTED: &[Expected] = &[
    Expected {
        table: "users",
        required: true,
        columns: &["id", "username", "email", "hashed_password", "is_active"],
        one_of: &[],
    },
    Expected {
        table: "clients",
        required: true,
        columns: &["id", "user_id", "name", "email"],
        one_of: &["phone_number", "phone"],
    },
    Expected {
        table: "reminders",
        required: true,
        columns: &[
            "id",
            "user_id",
            "title",
            "notification_type",
            "is_recurring",
            "recurrence_pattern",
            "reminder_date",
            "is_active",
        ],
        one_of: &[],
    },
    Expected {
        table: "reminder_recipients",
        required: false,
        columns: &["reminder_id", "client_id"],
        one_of: &[],
    },
    Expected {
        table: "notifications",
        required: false,
        columns: &["id", "reminder_id", "client_id", "status"],
        one_of: &[],
    },
    Expected {
        table: "sender_identities",
        required: false,
        columns: &["id", "user_id", "identity_type"],
        one_of: &[],
    },
    Expected {
        table: "email_configurations",
        required: false,
        columns: &[
            "id",
            "user_id",
            "smtp_host",
            "smtp_port",
            "smtp_user",
            "smtp_password",
            "email_from",
            "is_active",
        ],
        one_of: &[],
    },
];

/// The columns of `table` in lower case; none when there is no such table.
pub(super) async fn columns(db: &impl ConnectionTrait, table: &str) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let statement = match backend {
        DbBackend::Sqlite => Statement::from_sql_and_values(
            backend,
            "SELECT name FROM pragma_table_info(?)",
            [Value::from(table)],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            "SELECT column_name AS name FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = ?",
            [Value::from(table)],
        ),
    };
    db.query_all_raw(statement)
        .await?
        .iter()
        .map(|row| {
            row.try_get::<String>("", "name")
                .map(|name| name.to_ascii_lowercase())
        })
        .collect()
}

/// Checks that `db` has the original's tables and the columns the import reads.
///
/// # Errors
/// [`SourceError::OurOwnDatabase`] for this service's database, [`SourceError::NotTheOriginal`]
/// naming every table and column missing, or a database error.
pub(super) async fn check_source(db: &impl ConnectionTrait) -> Result<(), SourceError> {
    if !columns(db, "businesses").await?.is_empty()
        && !columns(db, "seaql_migrations").await?.is_empty()
    {
        return Err(SourceError::OurOwnDatabase);
    }
    let mut missing = Vec::new();
    for expected in EXPECTED {
        let present = columns(db, expected.table).await?;
        if present.is_empty() {
            if expected.required {
                missing.push(format!("table {}", expected.table));
            }
            continue;
        }
        let has = |column: &&str| present.iter().any(|p| p == column);
        missing.extend(
            expected
                .columns
                .iter()
                .filter(|column| !has(column))
                .map(|column| format!("column {}.{column}", expected.table)),
        );
        if !expected.one_of.is_empty() && !expected.one_of.iter().any(has) {
            let names: Vec<String> = expected
                .one_of
                .iter()
                .map(|column| format!("{}.{column}", expected.table))
                .collect();
            missing.push(format!("column {}", names.join(" or ")));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(SourceError::NotTheOriginal(missing))
    }
}
