//! Accounts anyone could sign in to: the original's built-in admin (`admin@example.com`, created
//! with the password `admin`) and users who kept a well-known password arrive disabled, each
//! named in the report; the others sign in with their old passwords.

use reminder_backend::clock::Clock;
use reminder_backend::original;
use reqwest::StatusCode;
use serde_json::json;

use super::{BCRYPT, OLD_PASSWORD, at};
use crate::support::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_admin_and_well_known_passwords_are_imported_disabled() {
    // Arrange: the built-in admin (its password since changed), a user still on `changeme`,
    // and one with a password of their own. Cost 4 keeps the hashes quick to check.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let admin_hash = bcrypt::hash("Admin-Changed-2025", 4).unwrap();
    let changeme = bcrypt::hash("changeme", 4).unwrap();
    let now = at(app.clock.now());
    let source = super::original_sqlite_with(
        &dir,
        &[format!(
            "INSERT INTO users (id, username, email, hashed_password, is_active, created_at)
             VALUES (1, 'admin', 'admin@example.com', '{admin_hash}', 1, {now}),
                    (2, 'carol', 'carol@firm.test', '{changeme}', 1, {now}),
                    (3, 'alice', 'alice@rossi.test', '{BCRYPT}', 1, {now})"
        )],
    )
    .await;

    // Act
    let report = original::import(
        &source,
        &app.state.db,
        &super::options(&app, false),
        app.clock.now(),
    )
    .await
    .unwrap();

    // Assert
    let report = serde_json::to_value(&report).unwrap();
    assert_eq!(
        report["users"],
        json!({"read": 3, "imported": 3, "skipped": {},
               "changed": {"default_admin_disabled": 1, "well_known_password_disabled": 1}})
    );
    assert_eq!(
        report["disabled_accounts"],
        json!({"admin@example.com": "default_admin_disabled",
               "carol@firm.test": "well_known_password_disabled"})
    );
    for (email, password) in [
        ("admin@example.com", "Admin-Changed-2025"),
        ("carol@firm.test", "changeme"),
    ] {
        assert_eq!(
            app.login(email, password).await.status(),
            StatusCode::UNAUTHORIZED,
            "{email}"
        );
    }
    app.sign_in("alice@rossi.test", OLD_PASSWORD).await;
}
