//! `import-original`: a database written with the original FastAPI service's table layout (as
//! its SQLAlchemy models and migrations define it, rows as SQLAlchemy stores them), imported into
//! each of our backends; every row imported or skipped with a reason, then checked through the
//! API: old passwords sign in, sealed phone numbers opened, schedules and history carried over.

use chrono::{DateTime, Datelike, Duration, Utc};
use reminder_backend::clock::Clock;
use reminder_backend::original::{self, Opener, Options, Report};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, create_database, per_backend};

mod accounts;
mod email_configurations;
mod history;
mod plus_tests;
mod recurrence;
mod refused;
mod sealed;

/// The original's `SECRET_KEY` in this fixture; the phone numbers below were sealed by Python's
/// `cryptography` Fernet under the key the original derives from it.
const ORIGINAL_SECRET: &str = "original-secret-key-for-the-import-test-0123456789";
const SEALED_ANN: &str = "gAAAAABrC_41qQm5ThJN1I03hYVa7tCiBFz5EHZrTO5s6tpUy7FDq9TXTJ6wMM9KLYG5fe3tWXCvM81GZpZUvEUpZRi-wBi7PA==";
const SEALED_BEN_WHATSAPP: &str = "gAAAAABrC_41aLdcNkGWNTLv-cR7fveGP0RmYq3v8TKYeQtgMRJteBNuHdRmgun3X0E9Lq9o6Kcr_d9Jvud1ODbZlmYVjUggzw==";
/// passlib's bcrypt (the original's) of `OLD_PASSWORD`.
const BCRYPT: &str = "$2b$04$cy75EUz/.I6kmLEuU18d0OOyYYURc2oykOeiJ5oGB6B5DAwKVqbGW";
const OLD_PASSWORD: &str = "Old-Password-2025";

/// The original's tables in the layout of its latest branch (`event_driven_architecture`:
/// sender identities with `email` and `phone_number`, notifications naming theirs). MySQL got
/// native enums from SQLAlchemy's `Enum`; SQLite got `VARCHAR` columns. `plus_tests` has its
/// own, exact, fixture in `plus_tests.rs`.
fn schema(mysql: bool) -> Vec<String> {
    let enumeration = |values: &[&str]| {
        if mysql {
            format!(
                "ENUM({})",
                values
                    .iter()
                    .map(|v| format!("'{v}'"))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        } else {
            "VARCHAR(12)".to_owned()
        }
    };
    let pk = if mysql {
        "INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY"
    } else {
        "INTEGER NOT NULL PRIMARY KEY"
    };
    let channel = enumeration(&["EMAIL", "SMS", "WHATSAPP"]);
    vec![
        format!(
            "CREATE TABLE users (id {pk}, username VARCHAR(255) NOT NULL UNIQUE,
             email VARCHAR(255) NOT NULL UNIQUE, hashed_password VARCHAR(255) NOT NULL,
             first_name VARCHAR(255), last_name VARCHAR(255), business_name VARCHAR(255),
             phone_number VARCHAR(255), is_active BOOLEAN DEFAULT 1, is_superuser BOOLEAN DEFAULT 0,
             sms_count INTEGER DEFAULT 0, whatsapp_count INTEGER DEFAULT 0,
             last_billing_date DATETIME NULL, created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
             updated_at DATETIME NULL)"
        ),
        format!(
            "CREATE TABLE clients (id {pk}, user_id INTEGER NOT NULL, name VARCHAR(255) NOT NULL,
             email VARCHAR(255), phone_number VARCHAR(255), secondary_phone_number VARCHAR(255),
             whatsapp_phone_number VARCHAR(255), address VARCHAR(500), notes TEXT,
             preferred_contact_method {channel}, is_active BOOLEAN DEFAULT 1,
             created_at DATETIME DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME NULL)"
        ),
        format!(
            "CREATE TABLE email_configurations (id {pk}, user_id INTEGER NOT NULL,
             configuration_name VARCHAR(255) NOT NULL, smtp_host VARCHAR(255) NOT NULL,
             smtp_port INTEGER NOT NULL, smtp_user VARCHAR(255) NOT NULL,
             smtp_password VARCHAR(500) NOT NULL, email_from VARCHAR(255) NOT NULL,
             is_active BOOLEAN DEFAULT 1, created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
             updated_at DATETIME NULL)"
        ),
        format!(
            "CREATE TABLE sender_identities (id {pk}, user_id INTEGER NOT NULL,
             identity_type {}, email VARCHAR(255), phone_number VARCHAR(20),
             display_name VARCHAR(255) NOT NULL, is_verified BOOLEAN DEFAULT 0,
             is_default BOOLEAN DEFAULT 0, is_complete BOOLEAN DEFAULT 0,
             email_configuration_id INTEGER, created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
             updated_at DATETIME NULL)",
            enumeration(&["PHONE", "EMAIL"])
        ),
        format!(
            "CREATE TABLE reminders (id {pk}, user_id INTEGER NOT NULL, title VARCHAR(255) NOT NULL,
             description TEXT, reminder_type {} NOT NULL, notification_type {channel} NOT NULL,
             email_configuration_id INTEGER, sender_identity_id INTEGER NOT NULL,
             is_recurring BOOLEAN DEFAULT 0, recurrence_pattern VARCHAR(255),
             reminder_date DATETIME NOT NULL, is_active BOOLEAN DEFAULT 1,
             created_at DATETIME DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME NULL)",
            enumeration(&["PAYMENT", "DEADLINE", "NOTIFICATION"])
        ),
        format!(
            "CREATE TABLE reminder_recipients (id {pk}, reminder_id INTEGER NOT NULL,
             client_id INTEGER NOT NULL,
             CONSTRAINT unique_reminder_client UNIQUE (reminder_id, client_id))"
        ),
        format!(
            "CREATE TABLE notifications (id {pk}, user_id INTEGER NOT NULL,
             reminder_id INTEGER NOT NULL, client_id INTEGER NOT NULL,
             sender_identity_id INTEGER NOT NULL, message TEXT,
             notification_type {channel} NOT NULL, status {},
             sent_at DATETIME NULL, error_message TEXT,
             created_at DATETIME DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME NULL)",
            enumeration(&["PENDING", "SENT", "FAILED", "CANCELLED"])
        ),
    ]
}

/// SQLAlchemy's text for a date-time.
fn at(instant: DateTime<Utc>) -> String {
    instant.format("'%Y-%m-%d %H:%M:%S%.6f'").to_string()
}

/// Rows covering what the import must carry over and what it must leave out, with why.
fn rows(now: DateTime<Utc>) -> Vec<String> {
    let day = |days: i64| {
        at((now + Duration::days(days))
            .date_naive()
            .and_hms_opt(9, 0, 0)
            .unwrap()
            .and_utc())
    };
    // A monthly reminder from a day every month has (from the 29th it would be clamped).
    let monthly = (10..)
        .find(|days| (now + Duration::days(*days)).day() <= 28)
        .unwrap();
    let sent = at(now - Duration::days(20));
    vec![
        format!(
            "INSERT INTO users (id, username, email, hashed_password, first_name, last_name,
             business_name, is_active, created_at) VALUES
             (1, 'alice', 'Alice@Rossi.test', '{BCRYPT}', 'Alice', 'Rossi', 'Rossi & Partners', 1, {sent}),
             (2, 'bob', 'bob@solo.test', '{BCRYPT}', 'Bob', 'Bianchi', NULL, 0, {sent}),
             (3, 'zed', 'not-an-email', '{BCRYPT}', NULL, NULL, NULL, 1, {sent})"
        ),
        format!(
            "INSERT INTO clients (id, user_id, name, email, phone_number, whatsapp_phone_number,
             secondary_phone_number, preferred_contact_method, created_at) VALUES
             (1, 1, 'Ann', 'ann@client.test', '{SEALED_ANN}', NULL, '333 999 8888', 'EMAIL', {sent}),
             (2, 1, 'Ben', 'ben@client.test', '333 765 4321', '{SEALED_BEN_WHATSAPP}', NULL, 'WHATSAPP', {sent}),
             (3, 1, 'Cat', 'cat@@bad', '12', NULL, NULL, 'SMS', {sent}),
             (4, 1, 'Dan', 'ann@client.test', NULL, NULL, '333 111 2222', NULL, {sent}),
             (5, 2, 'Eve', 'eve@client.test', NULL, NULL, NULL, 'EMAIL', {sent}),
             (6, 3, 'Zoe', 'zoe@client.test', NULL, NULL, NULL, 'EMAIL', {sent}),
             (7, 99, 'Orphan', 'orphan@client.test', NULL, NULL, NULL, 'EMAIL', {sent})"
        ),
        "INSERT INTO sender_identities (id, user_id, identity_type, email, phone_number,
         display_name, is_verified, is_default) VALUES
         (1, 1, 'EMAIL', 'billing@rossi.test', NULL, 'Rossi Billing', 1, 1),
         (2, 1, 'PHONE', NULL, '+393330000001', 'Rossi SMS', 1, 0),
         (3, 1, 'EMAIL', 'Billing@rossi.test', NULL, 'Again', 0, 0),
         (4, 2, 'EMAIL', 'bad', NULL, 'Bad', 0, 0)"
            .to_owned(),
        format!(
            "INSERT INTO reminders (id, user_id, title, description, reminder_type,
             notification_type, sender_identity_id, is_recurring, recurrence_pattern,
             reminder_date, is_active, created_at) VALUES
             (1, 1, 'VAT return', 'VAT is due on the 15th. Pay {{{{ amount }}}} now.', 'PAYMENT', 'EMAIL', 1, 1, 'monthly', {}, 1, {sent}),
             (2, 1, 'Call us', 'Please call.', 'NOTIFICATION', 'SMS', 2, 1, 'every 2 weeks', {}, 1, {sent}),
             (3, 1, 'Old one-off', 'Done already.', 'DEADLINE', 'EMAIL', 1, 0, NULL, {}, 0, {sent}),
             (4, 1, 'Odd rule', 'Whenever.', 'DEADLINE', 'EMAIL', 1, 1, 'fortnightly-ish', {}, 1, {sent}),
             (5, 1, 'Paused weekly', 'Weekly.', 'NOTIFICATION', 'EMAIL', 1, 1, 'weekly', {}, 0, {sent}),
             (6, 2, 'Eve chat', NULL, 'NOTIFICATION', 'WHATSAPP', 4, 0, NULL, {}, 1, {sent}),
             (7, 3, 'Not theirs', 'x', 'DEADLINE', 'EMAIL', 1, 0, NULL, {}, 1, {sent}),
             (8, 1, 'Just due', 'Due now.', 'DEADLINE', 'EMAIL', 1, 0, NULL, {}, 1, {sent})",
            day(monthly),
            day(3),
            at(now - Duration::days(30)),
            day(5),
            day(2),
            day(1),
            day(1),
            at(now - Duration::minutes(10)),
        ),
        "INSERT INTO reminder_recipients (id, reminder_id, client_id) VALUES
         (1, 1, 1), (2, 1, 2), (3, 1, 3), (4, 2, 2), (5, 3, 1), (6, 4, 4), (7, 6, 5), (8, 8, 1),
         (9, 7, 6), (10, 1, 5), (11, 2, 99)"
            .to_owned(),
        format!(
            "INSERT INTO notifications (id, user_id, reminder_id, client_id, sender_identity_id,
             message, notification_type, status, sent_at, error_message, created_at) VALUES
             (1, 1, 1, 1, 1, 'VAT is due.', 'EMAIL', 'SENT', {sent}, NULL, {sent}),
             (2, 1, 1, 2, 1, 'VAT is due.', 'EMAIL', 'FAILED', NULL, 'SMTP 550 mailbox unavailable', {sent}),
             (3, 1, 2, 2, 2, 'Please call.', 'SMS', 'PENDING', NULL, NULL, {sent}),
             (4, 1, 3, 1, 1, 'Done already.', 'EMAIL', 'CANCELLED', NULL, NULL, {sent}),
             (5, 3, 7, 6, 1, 'x', 'EMAIL', 'SENT', {sent}, NULL, {sent}),
             (6, 1, 1, 5, 1, 'VAT is due.', 'EMAIL', 'SENT', {sent}, NULL, {sent}),
             (7, 1, 1, 1, 1, 'VAT is due.', 'EMAIL', 'SENT', {sent}, NULL, {sent})"
        ),
    ]
}

async fn write_original(db: &DatabaseConnection, mysql: bool, now: DateTime<Utc>) {
    for statement in schema(mysql).into_iter().chain(rows(now)) {
        db.execute_unprepared(&statement)
            .await
            .unwrap_or_else(|error| panic!("{error}: {statement}"));
    }
}

/// Writes an original database on SQLite at `dir/app.db`.
async fn write_original_sqlite(dir: &tempfile::TempDir, now: DateTime<Utc>) -> std::path::PathBuf {
    let path = dir.path().join("app.db");
    let db = sea_orm::Database::connect(format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    write_original(&db, false, now).await;
    db.close().await.unwrap();
    path
}

/// An original database on SQLite, opened as the import opens it.
async fn original_on_sqlite(dir: &tempfile::TempDir, now: DateTime<Utc>) -> DatabaseConnection {
    let path = write_original_sqlite(dir, now).await;
    let url = original::source_url(&format!("sqlite:///{}", path.display())).unwrap();
    reminder_backend::db::connect_existing(&url).await.unwrap()
}

/// An original database on SQLite holding `rows` (the original's tables, otherwise empty),
/// opened as the import opens it.
async fn original_sqlite_with(dir: &tempfile::TempDir, rows: &[String]) -> DatabaseConnection {
    let path = dir.path().join("app.db");
    let writer = sea_orm::Database::connect(format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    for statement in schema(false).iter().chain(rows) {
        writer
            .execute_unprepared(statement)
            .await
            .unwrap_or_else(|error| panic!("{error}: {statement}"));
    }
    writer.close().await.unwrap();
    let url = original::source_url(&format!("sqlite:///{}", path.display())).unwrap();
    reminder_backend::db::connect_existing(&url).await.unwrap()
}

/// The import's options for `app`: SMTP passwords are sealed again under its key.
fn options(app: &TestApp, dry_run: bool) -> Options {
    Options {
        timezone: chrono_tz::Europe::Rome,
        country: reminder_backend::domain::CountryCode::parse("IT").ok(),
        opener: Opener::new(Some(&SecretString::from(ORIGINAL_SECRET)), None).unwrap(),
        secrets: app.state.secrets.clone(),
        misfire_grace: Duration::hours(1),
        dry_run,
        skip_sealed: false,
    }
}

/// The report this fixture must give on a first import.
fn expected_report(dry_run: bool) -> Value {
    json!({
        "dry_run": dry_run,
        "sealed_values": "opened",
        "businesses_created": 2,
        "smtp_accounts_created": 0,
        "disabled_accounts": {},
        "users": {"read": 3, "imported": 2, "skipped": {"no_valid_email": 1},
                  "changed": {"disabled_in_the_original": 1}},
        "clients": {"read": 7, "imported": 5, "skipped": {"owner_not_imported": 2},
                    "changed": {"invalid_email_dropped": 1, "invalid_phone_dropped": 1,
                                "secondary_phone_not_kept": 1, "shared_email_dropped": 1}},
        "sender_identities": {"read": 4, "imported": 2,
                              "skipped": {"duplicate": 1, "invalid_address": 1},
                              "changed": {"to_verify": 2}},
        "email_configurations": {"read": 0, "imported": 0, "skipped": {}, "changed": {}},
        "reminders": {"read": 8, "imported": 7, "skipped": {"owner_not_imported": 1},
                      "changed": {"recurrence_not_understood_sent_once": 1,
                                  "text_kept_literally": 1}},
        "reminder_recipients": {"read": 11, "imported": 8,
                                "skipped": {"client_not_imported": 1,
                                            "client_of_another_user": 1,
                                            "reminder_not_imported": 1}, "changed": {}},
        "notifications": {"read": 7, "imported": 4,
                          "skipped": {"client_of_another_user": 1, "duplicate": 1,
                                      "reminder_not_imported": 1},
                          "changed": {"pending_not_resent": 1}},
    })
}

fn as_json(report: &Report) -> Value {
    serde_json::to_value(report).unwrap()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.login(email, password).await
}

fn by_title<'a>(items: &'a [Value], title: &str) -> &'a Value {
    items
        .iter()
        .find(|item| item["title"] == title)
        .unwrap_or_else(|| panic!("no reminder {title}"))
}

async fn import_from_sqlite_into(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let now = app.clock.now();
    let dir = tempfile::tempdir().unwrap();
    let source = original_on_sqlite(&dir, now).await;

    // A dry run reports the same and leaves nothing behind.
    let dry = original::import(&source, &app.state.db, &options(&app, true), now)
        .await
        .unwrap();
    assert_eq!(as_json(&dry), expected_report(true));
    assert_eq!(
        sign_in(&app, "alice@rossi.test", OLD_PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );

    let report = original::import(&source, &app.state.db, &options(&app, false), now)
        .await
        .unwrap();
    assert!(report.balanced());
    assert_eq!(as_json(&report), expected_report(false));
    if backend == Backend::Postgres {
        // The planner knows the imported rows at once (see db::analyze).
        let analysed = app
            .state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT last_analyze IS NOT NULL AS analysed FROM pg_stat_user_tables \
                 WHERE relname = 'notifications'",
            ))
            .await
            .unwrap()
            .unwrap();
        assert!(analysed.try_get::<bool>("", "analysed").unwrap());
    }

    // The old password signs in, and is re-hashed with argon2id on the way.
    let response = sign_in(&app, "alice@rossi.test", OLD_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let token = response.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored = app
        .state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT password_hash FROM users WHERE email = 'alice@rossi.test'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "password_hash")
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert_eq!(
        sign_in(&app, "alice@rossi.test", OLD_PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        sign_in(&app, "alice@rossi.test", "wrong-password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // Disabled in the original, disabled here.
    assert_eq!(
        sign_in(&app, "bob@solo.test", OLD_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The original's username signs in through its path.
    let by_username = app
        .request(reqwest::Method::POST, "/auth/login")
        .form(&[("username", "alice"), ("password", OLD_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(by_username.status(), StatusCode::OK);

    let business = app.get_json("/business", &token).await;
    assert_eq!(business["name"], "Rossi & Partners");
    assert_eq!(business["timezone"], "Europe/Rome");

    // Clients: sealed numbers opened, national ones read in Italy, bad addresses dropped.
    let clients = app.get_json("/clients?limit=50", &token).await;
    let clients = clients["items"].as_array().unwrap();
    assert_eq!(clients.len(), 4);
    let client = |name: &str| clients.iter().find(|c| c["name"] == name).unwrap().clone();
    assert_eq!(client("Ann")["phone"], "+393331234567");
    assert_eq!(client("Ann")["external_ref"], "original-client-1");
    assert_eq!(client("Ben")["phone"], "+393337654321");
    assert_eq!(client("Ben")["whatsapp_opt_in"], true);
    assert_eq!(client("Cat")["email"], Value::Null);
    assert_eq!(client("Cat")["phone"], Value::Null);
    assert_eq!(client("Dan")["email"], Value::Null);
    // A second number is kept when there is no first; the preferred method becomes the
    // preferred channel.
    assert_eq!(client("Dan")["phone"], "+393331112222");
    assert_eq!(client("Dan")["preferred_channels"], json!([]));
    assert_eq!(client("Ann")["preferred_channels"], json!(["email"]));
    assert_eq!(client("Ben")["preferred_channels"], json!(["whatsapp"]));
    assert_eq!(client("Cat")["preferred_channels"], json!(["sms"]));

    // Sender identities wait for their codes.
    let identities = app.get_json("/sender-identities", &token).await;
    let identities = identities["items"].as_array().unwrap();
    assert_eq!(identities.len(), 2);
    assert!(identities.iter().all(|i| i["verified"] == false));
    let billing = identities.iter().find(|i| i["channel"] == "email").unwrap();
    assert_eq!(billing["address"], "billing@rossi.test");
    assert_eq!(billing["display_name"], "Rossi Billing");
    assert_eq!(billing["is_default"], true);

    // Reminders: words became RRULEs in Rome time, states carried over, clients assigned.
    let listed = app.get_json("/reminders?limit=50", &token).await;
    let reminders = listed["items"].as_array().unwrap();
    assert_eq!(reminders.len(), 6);
    let vat = by_title(reminders, "VAT return");
    assert_eq!(vat["kind"], "payment");
    assert_eq!(vat["channels"], json!(["email"]));
    assert_eq!(vat["status"], "active");
    assert_eq!(vat["schedule"]["rrule"], "FREQ=MONTHLY");
    assert_eq!(vat["schedule"]["timezone"], "Europe/Rome");
    assert_eq!(
        vat["body"],
        "{% raw %}VAT is due on the 15th. Pay {{ amount }} now.{% endraw %}"
    );
    assert_eq!(vat["sender_identity_ids"], json!([billing["id"]]));
    let mut assigned: Vec<i64> = vat["client_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_i64().unwrap())
        .collect();
    assigned.sort_unstable();
    let mut expected: Vec<i64> = ["Ann", "Ben", "Cat"]
        .iter()
        .map(|name| client(name)["id"].as_i64().unwrap())
        .collect();
    expected.sort_unstable();
    assert_eq!(assigned, expected);
    // 09:00 UTC in the original is 10:00 or 11:00 in Rome, kept as that instant.
    let first = vat["next_run_at"].as_str().unwrap();
    assert!(first.ends_with("09:00:00Z"), "{first}");
    assert_eq!(
        by_title(reminders, "Call us")["schedule"]["rrule"],
        "FREQ=WEEKLY;INTERVAL=2"
    );
    assert_eq!(by_title(reminders, "Old one-off")["status"], "completed");
    assert_eq!(by_title(reminders, "Paused weekly")["status"], "paused");
    assert_eq!(by_title(reminders, "Odd rule")["schedule"]["type"], "once");

    // The history: sent and failed kept, pending not sent again.
    let history = app.get_json("/notifications?limit=50", &token).await;
    let mut statuses: Vec<(String, String)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["status"].as_str().unwrap().to_owned(),
                n["error_code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [
            ("cancelled".to_owned(), String::new()),
            ("cancelled".to_owned(), "not_sent_before_import".to_owned()),
            ("failed".to_owned(), "failed_in_the_original".to_owned()),
            ("sent".to_owned(), String::new()),
        ]
    );

    // The one due ten minutes before the switch-over still goes out, once.
    app.dispatch_until_idle().await;
    let sent: Vec<_> = app
        .transport
        .sent()
        .into_iter()
        .filter(|m| m.recipient == "ann@client.test")
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body, "Due now.");

    // Run again: everyone is already here, nothing is imported twice.
    let again = original::import(&source, &app.state.db, &options(&app, false), now)
        .await
        .unwrap();
    assert!(again.balanced());
    assert_eq!(again.businesses_created, 0);
    assert_eq!(
        as_json(&again)["users"]["skipped"],
        json!({"already_present": 2, "no_valid_email": 1})
    );
    assert_eq!(as_json(&again)["clients"]["imported"], 0);
    let clients = app.get_json("/clients?limit=50", &token).await;
    assert_eq!(clients["total"], 4);
}
per_backend!(import_from_sqlite_into, import_from_sqlite_into);

/// The same rows in MySQL, the original's production database, give the same report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_from_the_originals_mysql() {
    let server = crate::support::server_url(Backend::MySql);
    let app = TestApp::spawn(Backend::Sqlite).await;
    let now = app.clock.now();
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let url = create_database(&server, &name).await;
    let writer = sea_orm::Database::connect(&url).await.unwrap();
    write_original(&writer, true, now).await;
    let pymysql = url.replacen("mysql://", "mysql+pymysql://", 1);
    let source = reminder_backend::db::connect_existing(&original::source_url(&pymysql).unwrap())
        .await
        .unwrap();
    let report = original::import(&source, &app.state.db, &options(&app, false), now)
        .await
        .unwrap();
    assert_eq!(as_json(&report), expected_report(false));
    let token = app.sign_in("alice@rossi.test", OLD_PASSWORD).await.token;
    let clients = app.get_json("/clients?limit=50", &token).await;
    let ann = clients["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Ann")
        .unwrap()
        .clone();
    assert_eq!(ann["phone"], "+393331234567");
}

/// The command itself, as an operator runs it next to the original's `app.db`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_command_prints_a_balanced_report() {
    let dir = tempfile::tempdir().unwrap();
    write_original_sqlite(&dir, Utc::now()).await;
    let run = |source: &str| {
        crate::cli::binary()
            .current_dir(dir.path())
            .env("DATABASE_URL", "sqlite://./ours.db")
            .env("SECRET_KEY", crate::support::TEST_SECRET_KEY)
            .env("ORIGINAL_SECRET_KEY", ORIGINAL_SECRET)
            .args([
                "import-original",
                "--source",
                source,
                "--timezone",
                "Europe/Rome",
                "--country",
                "IT",
            ])
            .output()
            .unwrap()
    };
    let output = run("sqlite:///./app.db");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report, expected_report(false));

    let missing = run("sqlite:///./nowhere.db");
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no SQLite database at ./nowhere.db")
    );
    assert!(!dir.path().join("nowhere.db").exists());
}
