//! Database connection: the URL's scheme picks the backend; SQLite gets WAL, a busy timeout and
//! foreign keys. Dialect differences live in [`Backend`] and nowhere else.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
};
use sea_orm_migration::MigratorTrait;

use crate::migration::Migrator;

mod write;

pub use write::{WriteTransaction, begin_write};

/// How long a SQLite writer waits for the write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The three supported databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded, single node.
    Sqlite,
    /// MySQL or MariaDB.
    MySql,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// Picks the backend from a URL's scheme; any other scheme is an error.
    pub fn from_url(url: &str) -> Result<Self, String> {
        let scheme = url.split("://").next().unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "mysql" | "mariadb" => Ok(Self::MySql),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            other => Err(format!(
                "unsupported scheme {other:?}: use sqlite://, mysql:// or postgres://"
            )),
        }
    }

    /// Whether write transactions on several connections make progress at once (SQLite has a
    /// single writer: a second one only waits for the lock).
    pub fn writes_concurrently(self) -> bool {
        self != Self::Sqlite
    }
}

impl From<DbBackend> for Backend {
    fn from(backend: DbBackend) -> Self {
        match backend {
            DbBackend::MySql => Self::MySql,
            DbBackend::Postgres => Self::Postgres,
            _ => Self::Sqlite,
        }
    }
}

/// Opens a pool; creates the SQLite file when it does not exist.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    let backend = Backend::from_url(url).map_err(anyhow::Error::msg)?;
    let url = match url.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => url.to_owned(),
    };
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections.max(1))
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if backend == Backend::Postgres {
        // Prepared statements would otherwise switch to a generic plan made while a table was
        // small (e.g. early in a large import) and keep scanning it whole as it grows.
        options.map_sqlx_postgres_opts(|opts| {
            // Date-times are bound without offset (see `entities::Timestamp`) and read as UTC.
            opts.options([
                ("plan_cache_mode", "force_custom_plan"),
                ("TimeZone", "UTC"),
            ])
        });
    }
    if backend == Backend::Sqlite {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(BUSY_TIMEOUT)
                .foreign_keys(true)
                // Erased personal data is overwritten, not left in free pages.
                .pragma("secure_delete", "ON")
        });
        options.map_sqlx_sqlite_pool_opts(|pool| pool.after_release(closes_if_out_of_step));
    }
    Ok(Database::connect(options).await?)
}

/// Whether a SQLite connection given back to the pool may be used again: not when its driver
/// still counts a transaction open. SQLite rolls a transaction back by itself on some errors
/// (a full disk, an I/O error); the driver's own `ROLLBACK` then fails and it keeps counting
/// the transaction, so every later one on that connection would fail or run as a savepoint
/// inside nothing (seen as a dispatcher stuck on "database is locked" once a full disk had
/// room again). Such a connection is closed; the pool opens a fresh one.
fn closes_if_out_of_step(
    connection: &mut sea_orm::sqlx::SqliteConnection,
    _: sea_orm::sqlx::pool::PoolConnectionMetadata,
) -> futures_util::future::BoxFuture<'_, Result<bool, sea_orm::sqlx::Error>> {
    use sea_orm::sqlx::Connection;
    Box::pin(async move {
        // The driver counts a transaction down only when its worker has run the rollback, so
        // a connection counting none has none open or queued and needs no round trip (which
        // would double the cost of every read on its own).
        if !connection.is_in_transaction() {
            return Ok(true);
        }
        // Runs after the rollback queued when the transaction was dropped.
        connection.ping().await?;
        Ok(!connection.is_in_transaction())
    })
}

/// Opens a database that must already exist, read-only where the driver allows (SQLite): the
/// source of an import, never written to.
pub async fn connect_existing(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if Backend::from_url(url).map_err(anyhow::Error::msg)? == Backend::Sqlite {
        options.map_sqlx_sqlite_opts(|opts| opts.create_if_missing(false).read_only(true));
    }
    Ok(Database::connect(options).await?)
}

/// Bound parameters per statement we aim at; multi-row writes are split to stay near this.
pub const PARAMETERS_PER_STATEMENT: usize = 1000;

/// Bytes of bound values a statement carries at most. A statement larger than one TLS record
/// (16 KiB) leaves in two writes, and the driver sets no `TCP_NODELAY`, so the second waits for
/// the server's delayed acknowledgement: 40 ms and more per statement (strace of the 100,000-row
/// import on PostgreSQL over TLS: `sendto` of 16,406 then 1,197 bytes, then 49 ms in
/// `epoll_wait`, once per chunk; the same wait made 100 notification rows take 48 ms in one
/// statement and 5 ms in four).
pub const BYTES_PER_STATEMENT: usize = 8 * 1024;

/// The bytes a bound value takes in a statement, near enough to split by.
pub fn value_bytes(value: &sea_orm::Value) -> usize {
    use sea_orm::Value;
    // A length prefix or a fixed-size value.
    const FIXED: usize = 8;
    FIXED
        + match value {
            Value::String(Some(text)) => text.len(),
            Value::Bytes(Some(bytes)) => bytes.len(),
            Value::Json(Some(json)) => json.to_string().len(),
            _ => 0,
        }
}

/// The bytes a row's set values take in an insert.
pub fn row_bytes<A: sea_orm::ActiveModelTrait>(row: &A) -> usize {
    use sea_orm::Iterable;
    <<A::Entity as sea_orm::EntityTrait>::Column as Iterable>::iter()
        .map(|column| match row.get(column) {
            sea_orm::ActiveValue::Set(value) | sea_orm::ActiveValue::Unchanged(value) => {
                value_bytes(&value)
            }
            sea_orm::ActiveValue::NotSet => 0,
        })
        .sum()
}

/// `items` in runs for one statement each: at most `per_statement` items, and no more than
/// [`BYTES_PER_STATEMENT`] by `bytes_of` (a run holds at least one item).
pub fn statement_runs<T>(
    items: Vec<T>,
    per_statement: usize,
    bytes_of: impl Fn(&T) -> usize,
) -> Vec<Vec<T>> {
    let mut runs = Vec::new();
    let mut run = Vec::new();
    let mut bytes = 0;
    for item in items {
        let size = bytes_of(&item);
        if !run.is_empty() && (run.len() >= per_statement || bytes + size > BYTES_PER_STATEMENT) {
            runs.push(std::mem::take(&mut run));
            bytes = 0;
        }
        bytes += size;
        run.push(item);
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// Rows of `columns` values that fit in one statement.
pub fn rows_per_statement(columns: usize) -> usize {
    (PARAMETERS_PER_STATEMENT / columns.max(1)).max(1)
}

/// Brings the query planner's statistics of `tables` up to date after a bulk load. PostgreSQL
/// and MySQL otherwise plan with the sizes they last measured until their own analysis comes
/// round (autovacuum, InnoDB's 10 % rule), and a page of a business's messages measured as
/// "a few dozen rows" was read by sorting all of them: 20 ms for 30,000 instead of 0.2 ms.
/// SQLite plans from its own rules without statistics, so nothing is done there.
pub async fn analyze(db: &impl ConnectionTrait, tables: &[&str]) -> Result<(), DbErr> {
    let statement = match Backend::from(db.get_database_backend()) {
        Backend::Sqlite => return Ok(()),
        Backend::MySql => "ANALYZE TABLE",
        Backend::Postgres => "ANALYZE",
    };
    db.execute_unprepared(&format!("{statement} {}", tables.join(", ")))
        .await?;
    Ok(())
}

/// The PostgreSQL advisory lock taken while migrating (any constant unique to this program).
const MIGRATION_LOCK_KEY: i64 = 0x5245_4d49_4e44_4552;

/// The MySQL named lock taken while migrating.
const MIGRATION_LOCK_NAME: &str = "reminder_backend.migrations";

/// How long a process waits for another's migrations before giving up (MySQL; PostgreSQL and
/// SQLite wait for as long as the lock is held, bounded by the busy timeout on SQLite).
const MIGRATION_LOCK_WAIT_SECONDS: u32 = 600;

/// Applies every pending migration, one process at a time: processes that start together (an
/// orchestrator rolling out an API node and workers) wait for the first, then find nothing to
/// do. All of it runs on one connection, pinned by a transaction:
///
/// - PostgreSQL: a transaction-scoped advisory lock, the migrations inside that transaction;
/// - MySQL: a named lock (`GET_LOCK`) of that connection's session, released at the end (DDL
///   commits implicitly there, so the lock cannot be the transaction's);
/// - SQLite: the database's write lock, taken at the start (`BEGIN IMMEDIATE`).
///
/// A failure names the underlying error, whichever migration it came from.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    let backend = Backend::from(db.get_database_backend());
    let txn = begin_write(db).await.map_err(failed)?;
    match backend {
        Backend::Postgres => {
            txn.execute_unprepared(&format!(
                "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
            ))
            .await
            .map_err(failed)?;
        }
        Backend::MySql => {
            let taken = txn
                .query_one_raw(Statement::from_string(
                    DbBackend::MySql,
                    format!(
                        "SELECT GET_LOCK('{MIGRATION_LOCK_NAME}', {MIGRATION_LOCK_WAIT_SECONDS})"
                    ),
                ))
                .await
                .map_err(failed)?
                .and_then(|row| row.try_get_by_index::<Option<i64>>(0).ok().flatten());
            if taken != Some(1) {
                anyhow::bail!(
                    "migrations failed: another process held the migration lock for over {MIGRATION_LOCK_WAIT_SECONDS} s"
                );
            }
        }
        Backend::Sqlite => {}
    }
    let applied = Migrator::up(&*txn, None).await;
    let released = if backend == Backend::MySql {
        txn.execute_unprepared(&format!("DO RELEASE_LOCK('{MIGRATION_LOCK_NAME}')"))
            .await
            .map(drop)
    } else {
        Ok(())
    };
    match applied.and(released) {
        Ok(()) => txn.commit().await.map_err(failed),
        Err(error) => {
            // The migration's error (or else the release's) is what matters; a failed rollback
            // adds nothing to it, and closing the connection releases a lock still held.
            let _ = txn.rollback().await;
            Err(failed(error))
        }
    }
}

/// A migration's error with its cause spelled out: some database errors display as nothing.
fn failed(error: DbErr) -> anyhow::Error {
    let shown = error.to_string();
    if shown.trim().is_empty() || shown.ends_with(": ") {
        anyhow::anyhow!("migrations failed: {error:?}")
    } else {
        anyhow::anyhow!("migrations failed: {shown}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_runs_keep_to_the_count_and_the_bytes() {
        let counted = statement_runs((0..7).collect(), 3, |_| 1);
        assert_eq!(counted, [vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        let half = BYTES_PER_STATEMENT / 2;
        let sized = statement_runs(vec![half, half, 1, BYTES_PER_STATEMENT * 2, 1], 100, |n| *n);
        assert_eq!(
            sized,
            [
                vec![half, half],
                vec![1],
                vec![BYTES_PER_STATEMENT * 2],
                vec![1]
            ]
        );
        assert!(statement_runs(Vec::<u8>::new(), 3, |_| 1).is_empty());
    }
}
