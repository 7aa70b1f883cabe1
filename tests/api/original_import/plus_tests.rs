//! A database exactly as the original's `plus_tests` branch made it: its tables as SQLAlchemy
//! 2.0.22's `create_all` writes its models on MySQL and on SQLite (column names, types, null
//! rules, enums, keys and indexes; the original created its tables so, not by migration), with
//! sealed values as its encryption service wrote them (`v1:` + Fernet under the key it derived
//! from `SECRET_KEY` by PBKDF2), and rows as SQLAlchemy stores them. The SMTP password arrives,
//! sealed again under our key.
//!
//! Its phone columns are `VARCHAR(100)`, and a `v1:` token of a phone number is 103 characters.
//! SQLite keeps it whole, and every number arrives. MySQL in strict mode (the default) refuses
//! it, so the original could store no sealed number there; a server not in strict mode cut it to
//! 100 characters, which no key opens, the original's included: such numbers are counted
//! unreadable, and do not pass for a wrong key. A bare token (100 characters) fits and arrives.

use reminder_backend::clock::Clock;
use reminder_backend::domain::BusinessId;
use reminder_backend::original;
use reminder_backend::repositories::provider_credentials;
use reminder_backend::services::accounts::open_secrets;
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};

use super::{BCRYPT, OLD_PASSWORD, at};
use crate::support::{Backend, TestApp, create_database, server_url};

// Sealed once by Python's `cryptography` Fernet under the key `plus_tests` derives from
// `ORIGINAL_SECRET` (its salt: the first 16 bytes of SHA-256 of `"{SECRET_KEY}_salt_value"`), as
// its `encrypt_string` wrote them; each constant's comment gives the plain value.

/// +393331112201
const MAIN_PHONE: &str = "v1:gAAAAABrDTM4IAGJIh2-Jt9GWvB6akACBNArmsi7r7GlAw7HUlcQgd4_srKzg4AoX-Ff6oogfRpjSGHSaoY4DEO5kHCmD5EtuQ==";
/// 3331112202
const SECONDARY_PHONE: &str = "v1:gAAAAABrDTM4SDTRk_mM9EI2-IhjIFrE6p934OlrA4sE94epdxMAFyHee5dYX-Lk3uB0U3C7VNgbvJl5L5wgBH6vTebP8XQwCA==";
/// +393331112203
const WHATSAPP_PHONE: &str = "v1:gAAAAABrDTM4Zonwbw5vamxpgACvoc2vFJoIuRYqLsQkk2AElhCuL996RXIWD78UOQDnPklJGQan3HWbrsLRTIjNGyJnrmR1jg==";
/// +393331112204
const ALL_THREE_MAIN: &str = "v1:gAAAAABrDTM4tike9UAR2Or3Pt1hKLYmWzCB8VRRnPIcuBNIC3sCyy8gu_LZpqF3_yDwxDhTkC3suVv7nKhs28DIQXD-4oYtlg==";
/// +393331112204
const ALL_THREE_WHATSAPP: &str = "v1:gAAAAABrDTM4B2DXcwz6iMu6P9EQ9h5K7FaK2riujITXXiX5jWzNhA_8uDFDW2N_ZizCNh-4tbU3xmLtqtblQqMi_dsZpLUzBw==";
/// +393331112205
const ALL_THREE_SECONDARY: &str = "v1:gAAAAABrDTM4GHyBWmMjZs2epdSBsxlO3y_7xtKEhvH-zi7PHUm3UU__oK4ykgmoJIrfRTzW6a_1pQBqFRh6iyn4qsnz7SWomw==";
/// An older row's bare token (before the `v1:` prefix): +393331112207.
const OLDER_ROW_PHONE: &str = "gAAAAABrDTM4zxdIaI9u4nuA2sD-Qe2j4UCCuWJ3FWVPT1csOwHgVRcqzaUZfkz0KPlrbsgCIvzH0vv0_MDtZhBriVlVjIjYZA==";
/// smtp-app-password-2025
const SMTP_PASSWORD: &str = "v1:gAAAAABrDTM4Wtu-JbRMsIrb1lu22ySHVpYsr4Bwr1a9daoz3GkBWX0CuKN2yUrkqYxoB84FwX6FPmGU1HdIFn9xizjejydKair3KSaGQuFlKUR-6WVNCTI=";

/// `plus_tests`' tables as SQLAlchemy 2.0.22 creates them on MySQL (`mysql`) or SQLite.
fn schema(mysql: bool) -> Vec<String> {
    let (pk, boolean, now) = if mysql {
        ("id INTEGER NOT NULL AUTO_INCREMENT", "BOOL", "now()")
    } else {
        ("id INTEGER NOT NULL", "BOOLEAN", "(CURRENT_TIMESTAMP)")
    };
    // SQLAlchemy's `Enum`: native on MySQL, as long as the longest name on SQLite.
    let enumeration = |values: &[&str]| {
        if mysql {
            let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
            format!("ENUM({})", quoted.join(","))
        } else {
            format!("VARCHAR({})", values.iter().map(|v| v.len()).max().unwrap())
        }
    };
    let channel = enumeration(&["EMAIL", "SMS", "WHATSAPP"]);
    let stamps = format!("created_at DATETIME DEFAULT {now}, updated_at DATETIME");
    let index = |table: &str| format!("CREATE INDEX ix_{table}_id ON {table} (id)");
    vec![
        format!(
            "CREATE TABLE users ({pk}, username VARCHAR(255) NOT NULL,
             email VARCHAR(255) NOT NULL, hashed_password VARCHAR(255) NOT NULL,
             first_name VARCHAR(255), last_name VARCHAR(255), business_name VARCHAR(255),
             phone_number VARCHAR(20), is_active {boolean}, is_superuser {boolean}, {stamps},
             sms_count INTEGER, whatsapp_count INTEGER, last_billing_date DATETIME,
             PRIMARY KEY (id), UNIQUE (username))"
        ),
        index("users"),
        "CREATE UNIQUE INDEX ix_users_email ON users (email)".to_owned(),
        format!(
            "CREATE TABLE clients ({pk}, user_id INTEGER NOT NULL, name VARCHAR(255) NOT NULL,
             email VARCHAR(255), phone_number VARCHAR(100), address VARCHAR(500), notes TEXT,
             is_active {boolean}, {stamps}, secondary_phone_number VARCHAR(100),
             whatsapp_phone_number VARCHAR(100), preferred_contact_method {channel},
             PRIMARY KEY (id), FOREIGN KEY(user_id) REFERENCES users (id))"
        ),
        index("clients"),
        format!(
            "CREATE TABLE email_configurations ({pk}, user_id INTEGER NOT NULL,
             configuration_name VARCHAR(255) NOT NULL, smtp_host VARCHAR(255) NOT NULL,
             smtp_port INTEGER NOT NULL, smtp_user VARCHAR(255) NOT NULL,
             smtp_password VARCHAR(500) NOT NULL, email_from VARCHAR(255) NOT NULL,
             is_active {boolean}, {stamps},
             PRIMARY KEY (id), FOREIGN KEY(user_id) REFERENCES users (id))"
        ),
        index("email_configurations"),
        format!(
            "CREATE TABLE sender_identities ({pk}, user_id INTEGER NOT NULL,
             identity_type {} NOT NULL, value VARCHAR(255) NOT NULL,
             display_name VARCHAR(255) NOT NULL, is_verified {boolean}, is_default {boolean},
             {stamps}, PRIMARY KEY (id), FOREIGN KEY(user_id) REFERENCES users (id))",
            enumeration(&["PHONE", "EMAIL"])
        ),
        index("sender_identities"),
        format!(
            "CREATE TABLE reminders ({pk}, user_id INTEGER NOT NULL, title VARCHAR(255) NOT NULL,
             description TEXT, reminder_type {} NOT NULL, notification_type {channel} NOT NULL,
             email_configuration_id INTEGER, sender_identity_id INTEGER,
             is_recurring {boolean}, recurrence_pattern VARCHAR(255),
             reminder_date DATETIME NOT NULL, is_active {boolean}, {stamps},
             PRIMARY KEY (id), FOREIGN KEY(user_id) REFERENCES users (id),
             FOREIGN KEY(email_configuration_id) REFERENCES email_configurations (id),
             FOREIGN KEY(sender_identity_id) REFERENCES sender_identities (id))",
            enumeration(&["PAYMENT", "DEADLINE", "NOTIFICATION"])
        ),
        index("reminders"),
        format!(
            "CREATE TABLE notifications ({pk}, user_id INTEGER NOT NULL,
             reminder_id INTEGER NOT NULL, client_id INTEGER NOT NULL, message TEXT,
             notification_type {channel} NOT NULL, status {}, sent_at DATETIME,
             error_message TEXT, {stamps}, PRIMARY KEY (id),
             FOREIGN KEY(user_id) REFERENCES users (id),
             FOREIGN KEY(reminder_id) REFERENCES reminders (id),
             FOREIGN KEY(client_id) REFERENCES clients (id))",
            enumeration(&["PENDING", "SENT", "FAILED", "CANCELLED"])
        ),
        index("notifications"),
        format!(
            "CREATE TABLE reminder_recipients ({pk}, reminder_id INTEGER NOT NULL,
             client_id INTEGER NOT NULL, PRIMARY KEY (id),
             CONSTRAINT unique_reminder_client UNIQUE (reminder_id, client_id),
             FOREIGN KEY(reminder_id) REFERENCES reminders (id),
             FOREIGN KEY(client_id) REFERENCES clients (id))"
        ),
        index("reminder_recipients"),
    ]
}

/// One firm's rows as `plus_tests` wrote them, in the order its foreign keys allow: users,
/// e-mail configurations, clients, sender identities, reminders, recipients, notifications.
fn rows(now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
    let created = at(now - chrono::Duration::days(30));
    let due = at(now + chrono::Duration::days(5));
    vec![
        format!(
            "INSERT INTO users (id, username, email, hashed_password, first_name, last_name,
             business_name, phone_number, is_active, is_superuser, created_at, sms_count,
             whatsapp_count) VALUES
             (1, 'alice', 'alice@rossi.test', '{BCRYPT}', 'Alice', 'Rossi', 'Studio Rossi',
              NULL, 1, 0, {created}, 0, 0)"
        ),
        format!(
            "INSERT INTO email_configurations (id, user_id, configuration_name, smtp_host,
             smtp_port, smtp_user, smtp_password, email_from, is_active, created_at) VALUES
             (1, 1, 'Studio', 'smtp.rossi.test', 465, 'studio@rossi.test', '{SMTP_PASSWORD}',
              'studio@rossi.test', 1, {created})"
        ),
        format!(
            "INSERT INTO clients (id, user_id, name, email, phone_number, secondary_phone_number,
             whatsapp_phone_number, preferred_contact_method, is_active, created_at) VALUES
             (1, 1, 'Main only', 'main@client.test', '{MAIN_PHONE}', NULL, NULL, 'SMS', 1,
              {created}),
             (2, 1, 'Secondary only', NULL, NULL, '{SECONDARY_PHONE}', NULL, 'EMAIL', 1,
              {created}),
             (3, 1, 'WhatsApp only', NULL, NULL, NULL, '{WHATSAPP_PHONE}', 'WHATSAPP', 1,
              {created}),
             (4, 1, 'All three', NULL, '{ALL_THREE_MAIN}', '{ALL_THREE_SECONDARY}',
              '{ALL_THREE_WHATSAPP}', 'SMS', 1, {created}),
             (5, 1, 'Older row', NULL, '{OLDER_ROW_PHONE}', NULL, NULL, NULL, 1, {created})"
        ),
        format!(
            "INSERT INTO sender_identities (id, user_id, identity_type, value, display_name,
             is_verified, is_default, created_at) VALUES
             (1, 1, 'EMAIL', 'studio@rossi.test', 'Studio Rossi', 1, 1, {created}),
             (2, 1, 'PHONE', '+393330000001', 'Rossi SMS', 1, 0, {created})"
        ),
        format!(
            "INSERT INTO reminders (id, user_id, title, description, reminder_type,
             notification_type, email_configuration_id, sender_identity_id, is_recurring,
             recurrence_pattern, reminder_date, is_active, created_at) VALUES
             (1, 1, 'VAT', 'VAT is due.', 'PAYMENT', 'EMAIL', 1, NULL, 1, 'MONTHLY_15', {due},
              1, {created}),
             (2, 1, 'Call', 'Please call.', 'NOTIFICATION', 'SMS', NULL, 2, 1, 'WEEKLY_MON',
              {due}, 1, {created})"
        ),
        "INSERT INTO reminder_recipients (id, reminder_id, client_id) VALUES
         (1, 1, 1), (2, 2, 1), (3, 2, 2), (4, 2, 4)"
            .to_owned(),
        format!(
            "INSERT INTO notifications (id, user_id, reminder_id, client_id, message,
             notification_type, status, sent_at, error_message, created_at) VALUES
             (1, 1, 1, 1, 'VAT is due.', 'EMAIL', 'SENT', {created}, NULL, {created})"
        ),
    ]
}

async fn write_sqlite(db: &DatabaseConnection, now: chrono::DateTime<chrono::Utc>) {
    for statement in schema(false).into_iter().chain(rows(now)) {
        db.execute_unprepared(&statement)
            .await
            .unwrap_or_else(|error| panic!("{error}: {statement}"));
    }
}

/// Each client's number, WhatsApp opt-in and preferred channels, by name.
type Reached = (String, Value, Value, Value);

fn client(name: &str, phone: Option<&str>, whatsapp: bool, preferred: Value) -> Reached {
    (name.to_owned(), json!(phone), json!(whatsapp), preferred)
}

/// What arrives from SQLite: every number, whole.
fn from_sqlite() -> (Value, Vec<Reached>) {
    (
        json!({"secondary_phone_not_kept": 1}),
        vec![
            client("All three", Some("+393331112204"), true, json!(["sms"])),
            client("Main only", Some("+393331112201"), false, json!(["sms"])),
            client("Older row", Some("+393331112207"), false, json!([])),
            client(
                "Secondary only",
                Some("+393331112202"),
                false,
                json!(["email"]),
            ),
            client(
                "WhatsApp only",
                Some("+393331112203"),
                true,
                json!(["whatsapp"]),
            ),
        ],
    )
}

/// What arrives from MySQL not in strict mode: the `v1:` tokens were cut to 100 characters
/// (six of them), the bare one fits.
fn from_mysql() -> (Value, Vec<Reached>) {
    (
        json!({"sealed_phone_unreadable": 6}),
        vec![
            client("All three", None, false, json!(["sms"])),
            client("Main only", None, false, json!(["sms"])),
            client("Older row", Some("+393331112207"), false, json!([])),
            client("Secondary only", None, false, json!(["email"])),
            client("WhatsApp only", None, false, json!(["whatsapp"])),
        ],
    )
}

/// Imports `source` into `app` and checks that everything of the firm arrived: the clients with
/// the report's `clients.changed` and the numbers given.
async fn assert_everything_arrives(
    app: &TestApp,
    source: &DatabaseConnection,
    (changed, reached): (Value, Vec<Reached>),
) {
    // Act
    let report = original::import(
        source,
        &app.state.db,
        &super::options(app, false),
        app.clock.now(),
    )
    .await
    .unwrap();

    // Assert
    assert!(report.balanced());
    let report = serde_json::to_value(&report).unwrap();
    assert_eq!(report["sealed_values"], "opened");
    assert_eq!(report["smtp_accounts_created"], 1);
    assert_eq!(
        report["clients"],
        json!({"read": 5, "imported": 5, "skipped": {}, "changed": changed})
    );
    assert_eq!(
        report["email_configurations"],
        json!({"read": 1, "imported": 1, "skipped": {},
               "changed": {"sender_identity_already_present": 1}})
    );
    for table in [
        "sender_identities",
        "reminders",
        "reminder_recipients",
        "notifications",
    ] {
        assert_eq!(report[table]["skipped"], json!({}), "{table}");
    }

    let token = app.sign_in("alice@rossi.test", OLD_PASSWORD).await.token;
    let clients = app.get_json("/clients?limit=50", &token).await;
    let mut phones: Vec<Reached> = clients["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["phone"].clone(),
                c["whatsapp_opt_in"].clone(),
                c["preferred_channels"].clone(),
            )
        })
        .collect();
    phones.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(phones, reached);

    let business = app.get_json("/business", &token).await;
    assert_eq!(business["name"], "Studio Rossi");
    assert_eq!(business["providers"]["smtp"]["host"], "smtp.rossi.test");
    let id = BusinessId(business["id"].as_i64().unwrap());
    let stored = provider_credentials::list(&app.state.db, id).await.unwrap();
    assert_eq!(
        open_secrets(&stored[0], &app.state.secrets).unwrap()["password"],
        "smtp-app-password-2025"
    );

    let identities = app.get_json("/sender-identities", &token).await;
    let mut addresses: Vec<&str> = identities["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["address"].as_str().unwrap())
        .collect();
    addresses.sort_unstable();
    assert_eq!(addresses, ["+393330000001", "studio@rossi.test"]);
    let studio = identities["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["address"] == "studio@rossi.test")
        .unwrap()["id"]
        .clone();
    let reminders = app.get_json("/reminders?limit=50", &token).await;
    let vat = super::by_title(reminders["items"].as_array().unwrap(), "VAT");
    assert_eq!(vat["schedule"]["rrule"], "FREQ=MONTHLY;BYMONTHDAY=15");
    // It named no sender identity, only its e-mail configuration: that one's address.
    assert_eq!(vat["sender_identity_ids"], json!([studio]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plus_tests_database_arrives_whole_from_sqlite() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let writer = sea_orm::Database::connect(format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    write_sqlite(&writer, app.clock.now()).await;
    writer.close().await.unwrap();
    let url = original::source_url(&format!("sqlite:///{}", path.display())).unwrap();
    let source = reminder_backend::db::connect_existing(&url).await.unwrap();

    assert_everything_arrives(&app, &source, from_sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plus_tests_database_arrives_as_it_was_stored_from_mysql() {
    // Arrange: MariaDB, as the original ran on it (`mysql+pymysql://`); strict mode refuses
    // the sealed numbers, so they are written as a server not in strict mode stored them.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let url = create_database(&server_url(Backend::MySql), &name).await;
    // One connection, for the session's sql_mode.
    let options = ConnectOptions::new(&url).max_connections(1).to_owned();
    let writer = sea_orm::Database::connect(options).await.unwrap();
    let run = |statement: String| {
        let writer = &writer;
        async move {
            writer
                .execute_unprepared(&statement)
                .await
                .unwrap_or_else(|error| panic!("{error}: {statement}"));
        }
    };
    run("SET SESSION sql_mode = 'STRICT_TRANS_TABLES'".to_owned()).await;
    for statement in schema(true) {
        run(statement).await;
    }
    let mut rows = rows(app.clock.now()).into_iter();
    run(rows.next().unwrap()).await;
    run(rows.next().unwrap()).await;
    let clients = rows.next().unwrap();
    assert!(writer.execute_unprepared(&clients).await.is_err());
    run("SET SESSION sql_mode = ''".to_owned()).await;
    run(clients).await;
    for statement in rows {
        run(statement).await;
    }
    let pymysql = url.replacen("mysql://", "mysql+pymysql://", 1);
    let source = reminder_backend::db::connect_existing(&original::source_url(&pymysql).unwrap())
        .await
        .unwrap();

    assert_everything_arrives(&app, &source, from_mysql()).await;
}
