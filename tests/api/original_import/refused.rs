//! A source that is not the original's database is refused before the target is touched:
//! another application's `users`, `clients` and `reminders`, or this service's own database
//! given as the source; and so is a key that does not open the original's sealed values. The
//! command names what is wrong, exits non-zero, and leaves the target as it was (no SQLite file
//! created, no tables on a server).

use std::path::Path;
use std::process::Output;

use sea_orm::ConnectionTrait;

use crate::support::{Backend, create_database, per_backend, server_url};

/// Runs `import-original` in `dir` from `source` into `target`, without the original's key.
fn import(dir: &Path, source: &str, target: &str) -> Output {
    import_with_key(dir, source, target, None)
}

/// Runs `import-original` in `dir` from `source` into `target`, with `key` as the original's.
fn import_with_key(dir: &Path, source: &str, target: &str, key: Option<&str>) -> Output {
    let mut command = crate::cli::binary();
    if let Some(key) = key {
        command.env("ORIGINAL_SECRET_KEY", key);
    }
    command
        .current_dir(dir)
        .env("DATABASE_URL", target)
        .env("SECRET_KEY", crate::support::TEST_SECRET_KEY)
        .args([
            "import-original",
            "--source",
            source,
            "--timezone",
            "Europe/Rome",
        ])
        .output()
        .unwrap()
}

/// Another application's database at `dir/app.db`: the same table names, other columns.
async fn write_foreign_sqlite(dir: &Path) {
    let url = format!("sqlite://{}?mode=rwc", dir.join("app.db").display());
    let db = sea_orm::Database::connect(url).await.unwrap();
    for statement in [
        "CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT, email TEXT, password TEXT)",
        "CREATE TABLE clients (id INTEGER PRIMARY KEY, account_id INTEGER, name TEXT, email TEXT)",
        "CREATE TABLE reminders (id INTEGER PRIMARY KEY, account_id INTEGER, note TEXT, due TEXT)",
        "INSERT INTO users VALUES (1, 'ann', 'ann@elsewhere.test', 'x')",
    ] {
        db.execute_unprepared(statement).await.unwrap();
    }
    db.close().await.unwrap();
}

/// The tables in the database at `url` (MySQL or PostgreSQL).
async fn tables_in(backend: Backend, url: &str) -> i64 {
    let db = sea_orm::Database::connect(url).await.unwrap();
    let sql = match backend {
        Backend::MySql => {
            "SELECT CAST(COUNT(*) AS SIGNED) AS n FROM information_schema.tables \
             WHERE table_schema = DATABASE()"
        }
        _ => "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public'",
    };
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// A target not created yet: a SQLite file in the command's folder, or an empty server
/// database.
async fn untouched_target(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => "sqlite://./ours.db".to_owned(),
        server => {
            let name = format!("t_{}", uuid::Uuid::new_v4().simple());
            create_database(&server_url(server), &name).await
        }
    }
}

/// The command failed saying `why`, imported nothing, printed no report and left `target` as it
/// was.
async fn assert_refused(output: &Output, why: &str, backend: Backend, dir: &Path, target: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains(why), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert!(output.stdout.is_empty());
    match backend {
        Backend::Sqlite => assert!(!dir.join("ours.db").exists()),
        server => assert_eq!(tables_in(server, target).await, 0),
    }
}

async fn a_foreign_database_is_refused_and_the_target_left_untouched(backend: Backend) {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    write_foreign_sqlite(dir.path()).await;
    let target = untouched_target(backend).await;

    // Act
    let output = import(dir.path(), "sqlite:///./app.db", &target);

    // Assert
    let why = "the source is not the original service's database: it lacks \
               column users.username, column users.hashed_password, column users.is_active, \
               column clients.user_id, column clients.phone_number or clients.phone, \
               column reminders.user_id, column reminders.title";
    assert_refused(&output, why, backend, dir.path(), &target).await;
}
per_backend!(
    a_foreign_database_is_refused_and_the_target_left_untouched,
    a_foreign_database_is_refused_and_the_target_left_untouched
);

async fn a_wrong_key_is_refused_and_the_target_left_untouched(backend: Backend) {
    // Arrange: the original's database, its phone numbers sealed under another key.
    let dir = tempfile::tempdir().unwrap();
    super::write_original_sqlite(&dir, chrono::Utc::now()).await;
    let target = untouched_target(backend).await;

    // Act
    let output = import_with_key(
        dir.path(),
        "sqlite:///./app.db",
        &target,
        Some("not-the-originals-key"),
    );

    // Assert
    let why = "the original's SECRET_KEY given is wrong: client 1's phone_number";
    assert_refused(&output, why, backend, dir.path(), &target).await;
}
per_backend!(
    a_wrong_key_is_refused_and_the_target_left_untouched,
    a_wrong_key_is_refused_and_the_target_left_untouched
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn this_services_own_database_is_refused_as_a_source() {
    // Arrange: a database of ours, as `migrate` makes it.
    let dir = tempfile::tempdir().unwrap();
    let migrated = crate::cli::binary()
        .current_dir(dir.path())
        .env("DATABASE_URL", "sqlite://./ours.db")
        .env("SECRET_KEY", crate::support::TEST_SECRET_KEY)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(migrated.status.success());

    // Act
    let output = import(dir.path(), "sqlite:///./ours.db", "sqlite://./new.db");

    // Assert
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("the source looks like this service's own database"),
        "{stderr}"
    );
    assert!(!dir.path().join("new.db").exists());
}
