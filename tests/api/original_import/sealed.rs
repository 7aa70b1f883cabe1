//! Sealed values as the original wrote them: `v1:` followed by a Fernet token under the key it
//! derived from its `SECRET_KEY` (PBKDF2-HMAC-SHA256, 100,000 rounds, salt the first 16 bytes of
//! SHA-256(`"{SECRET_KEY}_salt_value"`)), and the bare token of older rows. Every phone number
//! must arrive; a missing or wrong key must stop the import before it writes anything, unless
//! the operator asks to go on without the sealed values.

use std::sync::OnceLock;

use base64::Engine;
use reminder_backend::clock::Clock;
use reminder_backend::original::{self, KeyError, Opener, Options};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{BCRYPT, OLD_PASSWORD, ORIGINAL_SECRET, at};
use crate::support::{Backend, TestApp};

/// Seals `plain` as the original did under `ORIGINAL_SECRET`, written out from its scheme.
fn seal_as_the_original(plain: &str) -> String {
    static KEY: OnceLock<String> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        let salt = &Sha256::digest(format!("{ORIGINAL_SECRET}_salt_value").as_bytes())[..16];
        let mut key = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(ORIGINAL_SECRET.as_bytes(), salt, 100_000, &mut key);
        base64::engine::general_purpose::URL_SAFE.encode(key)
    });
    let token = fernet::Fernet::new(key).unwrap().encrypt(plain.as_bytes());
    format!("v1:{token}")
}

/// An original database on SQLite whose phone numbers are sealed in every form it wrote.
async fn original_with_sealed_phones(dir: &tempfile::TempDir) -> DatabaseConnection {
    let now = at(chrono::Utc::now());
    let v1 = seal_as_the_original;
    let bare = |plain: &str| v1(plain).trim_start_matches("v1:").to_owned();
    let rows = [
        format!(
            "INSERT INTO users (id, username, email, hashed_password, first_name, is_active,
             created_at) VALUES (1, 'alice', 'alice@rossi.test', '{BCRYPT}', 'Alice', 1, {now})"
        ),
        format!(
            "INSERT INTO clients (id, user_id, name, phone_number, whatsapp_phone_number,
             created_at) VALUES
             (1, 1, 'International', '{}', NULL, {now}),
             (2, 1, 'National', '{}', NULL, {now}),
             (3, 1, 'Abroad', '{}', NULL, {now}),
             (4, 1, 'Older row', '{}', NULL, {now}),
             (5, 1, 'WhatsApp only', NULL, '{}', {now}),
             (6, 1, 'Never sealed', '333 111 2227', NULL, {now})",
            v1("+39 333 111 2222"),
            v1("333 111 2223"),
            v1("+44 20 7946 0958"),
            bare("+39 333 111 2225"),
            v1("+39 333 111 2226"),
        ),
        format!(
            "INSERT INTO sender_identities (id, user_id, identity_type, phone_number,
             display_name, is_default) VALUES (1, 1, 'PHONE', '{}', 'Rossi SMS', 1)",
            v1("+39 333 000 0001")
        ),
    ];
    super::original_sqlite_with(dir, &rows).await
}

fn options(app: &TestApp, secret: Option<&str>, skip_sealed: bool) -> Options {
    Options {
        timezone: chrono_tz::Europe::Rome,
        country: reminder_backend::domain::CountryCode::parse("IT").ok(),
        opener: Opener::new(secret.map(SecretString::from).as_ref(), None).unwrap(),
        secrets: app.state.secrets.clone(),
        misfire_grace: chrono::Duration::hours(1),
        dry_run: false,
        skip_sealed,
    }
}

async fn token(app: &TestApp) -> String {
    let response = app.login("alice@rossi.test", OLD_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Each client's phone (and WhatsApp opt-in) by name.
async fn phones(app: &TestApp, token: &str) -> Vec<(String, Value, Value)> {
    let clients = app.get_json("/clients?limit=50", token).await;
    let mut phones: Vec<_> = clients["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["phone"].clone(),
                c["whatsapp_opt_in"].clone(),
            )
        })
        .collect();
    phones.sort_by(|a, b| a.0.cmp(&b.0));
    phones
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_phone_the_original_sealed_arrives_normalised() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let source = original_with_sealed_phones(&dir).await;

    // Act
    let report = original::import(
        &source,
        &app.state.db,
        &options(&app, Some(ORIGINAL_SECRET), false),
        app.clock.now(),
    )
    .await
    .unwrap();

    // Assert
    let report = serde_json::to_value(&report).unwrap();
    assert_eq!(report["sealed_values"], "opened");
    assert_eq!(
        report["clients"],
        json!({"read": 6, "imported": 6, "skipped": {}, "changed": {}})
    );
    let token = token(&app).await;
    assert_eq!(
        phones(&app, &token).await,
        [
            ("Abroad".to_owned(), json!("+442079460958"), json!(false)),
            (
                "International".to_owned(),
                json!("+393331112222"),
                json!(false)
            ),
            ("National".to_owned(), json!("+393331112223"), json!(false)),
            (
                "Never sealed".to_owned(),
                json!("+393331112227"),
                json!(false)
            ),
            ("Older row".to_owned(), json!("+393331112225"), json!(false)),
            (
                "WhatsApp only".to_owned(),
                json!("+393331112226"),
                json!(true)
            ),
        ]
    );
    let identities = app.get_json("/sender-identities", &token).await;
    assert_eq!(identities["items"][0]["address"], "+393330000001");
}

/// `sealed` with one character of its token changed: it no longer opens under any key.
fn damaged(sealed: &str) -> String {
    let mut chars: Vec<char> = sealed.chars().collect();
    chars[30] = if chars[30] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_first_value_is_counted_unreadable_not_taken_for_a_wrong_key() {
    // Arrange: the first sealed value is damaged, the next one opens.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let now = at(chrono::Utc::now());
    let rows = [
        format!(
            "INSERT INTO users (id, username, email, hashed_password, is_active, created_at)
             VALUES (1, 'alice', 'alice@rossi.test', '{BCRYPT}', 1, {now})"
        ),
        format!(
            "INSERT INTO clients (id, user_id, name, phone_number, created_at) VALUES
             (1, 1, 'Damaged', '{}', {now}),
             (2, 1, 'Fine', '{}', {now})",
            damaged(&seal_as_the_original("+39 333 111 2222")),
            seal_as_the_original("+39 333 111 2223"),
        ),
    ];
    let source = super::original_sqlite_with(&dir, &rows).await;

    // Act
    let report = original::import(
        &source,
        &app.state.db,
        &options(&app, Some(ORIGINAL_SECRET), false),
        app.clock.now(),
    )
    .await
    .unwrap();

    // Assert
    let report = serde_json::to_value(&report).unwrap();
    assert_eq!(report["sealed_values"], "opened");
    assert_eq!(
        report["clients"],
        json!({"read": 2, "imported": 2, "skipped": {},
               "changed": {"sealed_phone_unreadable": 1}})
    );
    let token = token(&app).await;
    assert_eq!(
        phones(&app, &token).await,
        [
            ("Damaged".to_owned(), Value::Null, json!(false)),
            ("Fine".to_owned(), json!("+393331112223"), json!(false)),
        ]
    );
}

/// Nothing of the original's arrived: no owner signs in, no client was written.
async fn assert_nothing_imported(app: &TestApp) {
    assert_eq!(
        app.login("alice@rossi.test", OLD_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let clients = app
        .state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM clients WHERE external_ref LIKE 'original-%'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(clients, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_key_stops_the_import_before_it_writes() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let source = original_with_sealed_phones(&dir).await;

    let wrong = original::import(
        &source,
        &app.state.db,
        &options(&app, Some("not-the-originals-key"), false),
        app.clock.now(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            wrong.downcast_ref::<KeyError>(),
            Some(KeyError::Wrong { .. })
        ),
        "{wrong:#}"
    );
    assert!(
        wrong
            .to_string()
            .starts_with("the original's SECRET_KEY given is wrong: client 1's phone_number"),
        "{wrong}"
    );
    assert_nothing_imported(&app).await;

    let missing = original::import(
        &source,
        &app.state.db,
        &options(&app, None, false),
        app.clock.now(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            missing.downcast_ref::<KeyError>(),
            Some(KeyError::Missing(_))
        ),
        "{missing:#}"
    );
    assert!(
        missing.to_string().contains("no key was given"),
        "{missing}"
    );
    assert_nothing_imported(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_sealed_imports_without_the_sealed_values_and_says_so() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let source = original_with_sealed_phones(&dir).await;

    let report = original::import(
        &source,
        &app.state.db,
        &options(&app, Some("not-the-originals-key"), true),
        app.clock.now(),
    )
    .await
    .unwrap();

    assert!(report.balanced());
    let report = serde_json::to_value(&report).unwrap();
    assert_eq!(report["sealed_values"], "skipped");
    assert_eq!(
        report["clients"],
        json!({"read": 6, "imported": 6, "skipped": {},
               "changed": {"sealed_phone_skipped": 5}})
    );
    assert_eq!(
        report["sender_identities"]["skipped"],
        json!({"sealed_phone_skipped": 1})
    );
    let token = token(&app).await;
    let phones = phones(&app, &token).await;
    let with_phone: Vec<_> = phones
        .iter()
        .filter(|(_, phone, _)| !phone.is_null())
        .collect();
    assert_eq!(
        with_phone,
        [&(
            "Never sealed".to_owned(),
            json!("+393331112227"),
            json!(false)
        )]
    );
}

/// The command refuses a wrong key with the reason and a failing exit, and goes on without the
/// sealed values when told to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_command_refuses_a_wrong_key_unless_told_to_skip_sealed_values() {
    let dir = tempfile::tempdir().unwrap();
    super::write_original_sqlite(&dir, chrono::Utc::now()).await;
    let run = |extra: &[&str]| {
        crate::cli::binary()
            .current_dir(dir.path())
            .env("DATABASE_URL", "sqlite://./ours.db")
            .env("SECRET_KEY", crate::support::TEST_SECRET_KEY)
            .env("ORIGINAL_SECRET_KEY", "not-the-originals-key")
            .args(["import-original", "--source", "sqlite:///./app.db"])
            .args(["--timezone", "Europe/Rome", "--country", "IT"])
            .args(extra)
            .output()
            .unwrap()
    };

    let refused = run(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("the original's SECRET_KEY given is wrong: client 1's phone_number"),
        "{stderr}"
    );
    assert!(stderr.contains("--skip-sealed"), "{stderr}");
    assert!(refused.stdout.is_empty());

    let skipped = run(&["--skip-sealed"]);
    assert!(
        skipped.status.success(),
        "{}",
        String::from_utf8_lossy(&skipped.stderr)
    );
    let report: Value = serde_json::from_slice(&skipped.stdout).unwrap();
    assert_eq!(report["sealed_values"], "skipped");
    assert_eq!(report["users"]["imported"], 2);
    assert_eq!(report["clients"]["changed"]["sealed_phone_skipped"], 2);
}
