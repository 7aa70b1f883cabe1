//! Transactions that write, and on SQLite the order in which they get the database's one write
//! lock.
//!
//! SQLite lets one transaction write at a time; another one asking for the lock is refused
//! (`SQLITE_BUSY`) and its busy handler sleeps and asks again, in steps that grow to 100 ms.
//! A waiter therefore often sleeps on long after the lock came free, and one that keeps
//! losing the race can wait behind many others: the dispatcher's first pass of a large
//! fan-out waited 430 ms while the planner wrote the fan-out's later chunks. Within this
//! process, writers now queue for the lock in arrival order ([`WriteTransaction`] holds the
//! turn until it ends), so each waits only for those ahead of it and starts as soon as they end.
//! Other processes on the same file (a command run beside the server) still meet the busy
//! handler, as before.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::OwnedMutexGuard;

/// Per SQLite database file, the queue for its write lock.
static TURNS: LazyLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Mutex::default);

/// A transaction begun to write; on SQLite it holds this process's turn at the write lock
/// until it commits, rolls back or is dropped.
pub struct WriteTransaction {
    transaction: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
}

/// Begins a transaction that will write. On SQLite it waits for its turn among this process's
/// writers, then takes the write lock at once (`BEGIN IMMEDIATE`): a deferred transaction that
/// reads and then writes fails outright with `SQLITE_BUSY` when another writer committed in
/// between, instead of waiting. Other backends begin as usual.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTransaction, DbErr> {
    let turn = match db.get_database_backend() {
        DbBackend::Sqlite => take_turn(db).await,
        _ => None,
    };
    let transaction = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    Ok(WriteTransaction {
        transaction,
        _turn: turn,
    })
}

/// Waits for this process's turn to write to `db`'s file. After the busy timeout it goes
/// ahead without one, and the database's own lock decides (as it would for another process).
async fn take_turn(db: &DatabaseConnection) -> Option<OwnedMutexGuard<()>> {
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let queue = TURNS
        .lock()
        .ok()?
        .entry(file)
        .or_insert_with(Arc::default)
        .clone();
    tokio::time::timeout(super::BUSY_TIMEOUT, queue.lock_owned())
        .await
        .ok()
}

impl WriteTransaction {
    /// Commits, then gives up the turn.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.transaction.commit().await
    }

    /// Rolls back, then gives up the turn.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.transaction.rollback().await
    }
}

impl Deref for WriteTransaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.transaction
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DbBackend {
        self.transaction.get_database_backend()
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        self.transaction.execute_raw(statement).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.transaction.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.transaction.query_one_raw(statement).await
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.transaction.query_all_raw(statement).await
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Statement};

    use super::*;

    #[tokio::test]
    async fn writers_get_the_lock_in_the_order_they_asked_for_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/turns.db", dir.path().display());
        let db = crate::db::connect(&url, 16).await.expect("database");
        db.execute_unprepared("CREATE TABLE written (writer INTEGER NOT NULL)")
            .await
            .expect("table");
        let ahead = begin_write(&db).await.expect("first writer");
        let mut writers = Vec::new();
        for writer in 0..8 {
            let db = db.clone();
            writers.push(tokio::spawn(async move {
                let txn = begin_write(&db).await.expect("a later writer");
                txn.execute_unprepared(&format!("INSERT INTO written VALUES ({writer})"))
                    .await
                    .expect("write");
                txn.commit().await.expect("commit");
            }));
            // The writer runs until it waits for the lock, before the next one is started.
            tokio::task::yield_now().await;
        }
        ahead.commit().await.expect("first commit");
        for writer in writers {
            writer.await.expect("writer");
        }
        let order: Vec<i64> = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT writer FROM written ORDER BY rowid",
            ))
            .await
            .expect("read")
            .iter()
            .map(|row| row.try_get_by_index(0).expect("writer"))
            .collect();
        assert_eq!(order, (0..8).collect::<Vec<i64>>());
    }
}
