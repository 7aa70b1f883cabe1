//! The original's e-mail configurations: each user's SMTP server becomes the business's SMTP
//! account, its password opened with the original's key and sealed again under ours (never
//! shown); every configuration's `email_from` becomes an unverified e-mail sender identity. A
//! user with several keeps as account the active one most reminders name, the newest on a tie.

use reminder_backend::clock::Clock;
use reminder_backend::domain::BusinessId;
use reminder_backend::original::{self, KeyError};
use reminder_backend::repositories::provider_credentials;
use reminder_backend::services::accounts::open_secrets;
use serde_json::{Value, json};

use super::{BCRYPT, OLD_PASSWORD, at};
use crate::support::{Backend, TestApp};

/// Sealed by Python's `cryptography` Fernet under the key the original derives from
/// `ORIGINAL_SECRET`, with its `v1:` prefix; the plain passwords are in the names.
const ROSSI_PASS_01: &str = "v1:gAAAAABrDTPZjMUTtCbCmKId_gvVtIj6z40X_oQYgRPe_HJRnQJ-l8LiO09VpkXVp-h_Xd8zWZk9iezjQ7ZdHyD7s4Lmtc5aDRUZpWK6H8dyhfuKf398ag0=";
const BIANCHI_NEWS_PASS_02: &str = "v1:gAAAAABrDTPZAhTisscUqPce3vMql1APBTkhN4l4SRnVjUWyuSCRSsDvWR0P6GQ1Bp2S6n6TvWvwlNZgbPAlPpqlvNGIu-Ar8Nr6puNRMG0KZ1y3BhQrO2w=";
const BIANCHI_SUPPORT_PASS_03: &str = "v1:gAAAAABrDTPZMuc4Rm1yCoTCNMhoPqy07_YzOt706ZIlJtxicldQypKmopTfZt28W9vJ6eN8WIwOeC2Q2KXMoH9XS5CqkewvmXVhQL4VfAJL-bMikYRMZ-c=";
const BIANCHI_OLD_PASS_04: &str = "v1:gAAAAABrDTPZ7_aL-sC_Y9NHnHSaPW99SKTzdtAPZEIoiqR8P2d1yUtsGVIHm3yhoQcKIRhkcYelWf-OtaTdtGcwrTPh8LWR6dkG8IQnoGqxeXZGfdeYE3E=";
const EVE_OLDER_PASS_05: &str = "v1:gAAAAABrDTPZHzeQN8S5yYiqnDOeNXvE042TS61tsjgp5Ai9rLraUP4S5A764N-Pekpq-9s_p3abz_N9zFtMYgRRJs5eXH_4MZVwAHV5vZkUp0Idh8BJWSc=";
const EVE_NEWER_PASS_06: &str = "v1:gAAAAABrDTPZ_UUawrvEH9qoURQCyhz2T6DkSgArE9stXfr9eJBreJIIXAy7DiNQ3L7rhLgBD98KzT6e_dcz1DwToYA0GqrDHEbQOxEBoeutydxzADY1coI=";
/// `+393331112299`, sealed the same way.
const SEALED_PHONE: &str = "v1:gAAAAABrDTPZdl57Dl9eICM1NrDl6LnwR-RydedDKYC7ncGhOMCOkl2HnOENHCF6wugsanv2HHtX5qNMKbwAwqIZcd4Oy7GA6g==";

/// Users `alice`, `bob`, `dave` and `eve` (all with `OLD_PASSWORD`), then `rows`.
fn with_users(now: &str, rows: &[String]) -> Vec<String> {
    let mut all = vec![format!(
        "INSERT INTO users (id, username, email, hashed_password, is_active, created_at) VALUES
         (1, 'alice', 'alice@rossi.test', '{BCRYPT}', 1, {now}),
         (2, 'bob', 'bob@bianchi.test', '{BCRYPT}', 1, {now}),
         (3, 'dave', 'dave@verdi.test', '{BCRYPT}', 1, {now}),
         (4, 'eve', 'eve@neri.test', '{BCRYPT}', 1, {now})"
    )];
    all.extend_from_slice(rows);
    all
}

/// The business of `email`, with the stored SMTP password opened under the app's key.
async fn smtp_of(app: &TestApp, email: &str) -> (Value, Option<Value>) {
    let token = app.sign_in(email, OLD_PASSWORD).await.token;
    let business = app.get_json("/business", &token).await;
    let id = BusinessId(business["id"].as_i64().unwrap());
    let rows = provider_credentials::list(&app.state.db, id).await.unwrap();
    let password = rows.first().map(|row| {
        assert_eq!(row.key_id, app.state.secrets.current_key_id());
        assert!(!row.secret.contains("pass-0"), "sealed, not stored plain");
        open_secrets(row, &app.state.secrets).unwrap()["password"].clone()
    });
    (business["providers"]["smtp"].clone(), password)
}

/// Each identity of the business of `email` as (address, verified).
async fn identities_of(app: &TestApp, email: &str) -> Vec<(String, bool)> {
    let token = app.sign_in(email, OLD_PASSWORD).await.token;
    let listed = app.get_json("/sender-identities", &token).await;
    let mut identities: Vec<(String, bool)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["address"].as_str().unwrap().to_owned(),
                i["verified"].as_bool().unwrap(),
            )
        })
        .collect();
    identities.sort();
    identities
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_users_configuration_becomes_its_smtp_account_and_an_unverified_sender() {
    // Arrange: Alice has one configuration, whose address she also has as a sender identity.
    // Bob's reminders name an identity the original no longer has (99) and a configuration.
    // He has three configurations: the older one most of his reminders name, a newer one, an
    // inactive one.
    // Eve has two no reminder names: the newer one wins. Dave's port cannot be a port.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let now = app.clock.now();
    let (created, older, newer) = (
        at(now),
        at(now - chrono::Duration::days(300)),
        at(now - chrono::Duration::days(3)),
    );
    let rows = with_users(
        &created,
        &[
            "INSERT INTO sender_identities (id, user_id, identity_type, email, display_name,
             is_default) VALUES (1, 1, 'EMAIL', 'billing@rossi.test', 'Rossi Billing', 1)"
                .to_owned(),
            format!(
                "INSERT INTO email_configurations (id, user_id, configuration_name, smtp_host,
                 smtp_port, smtp_user, smtp_password, email_from, is_active, created_at,
                 updated_at) VALUES
                 (1, 1, 'Billing', 'smtp.rossi.test', 465, 'billing@rossi.test',
                  '{ROSSI_PASS_01}', 'Billing@Rossi.test', 1, {older}, NULL),
                 (2, 2, 'Newsletter', 'smtp.old.test', 465, 'news', '{BIANCHI_NEWS_PASS_02}',
                  'news@bianchi.test', 1, {older}, {older}),
                 (3, 2, 'Support', 'smtp.new.test', 587, 'support', '{BIANCHI_SUPPORT_PASS_03}',
                  'support@bianchi.test', 1, {older}, {newer}),
                 (4, 2, 'Old', 'smtp.gone.test', 25, 'old', '{BIANCHI_OLD_PASS_04}',
                  'old@bianchi.test', 0, {older}, {newer}),
                 (5, 3, 'Broken', 'smtp.verdi.test', 70000, 'dave', '{ROSSI_PASS_01}',
                  'not an address', 1, {older}, NULL),
                 (6, 4, 'Older', 'smtp.older.test', 465, 'eve', '{EVE_OLDER_PASS_05}',
                  'eve@neri.test', 1, {older}, NULL),
                 (7, 4, 'Newer', 'smtp.newer.test', 465, 'eve', '{EVE_NEWER_PASS_06}',
                  'eve@neri.test', 1, {newer}, NULL),
                 (8, 99, 'Orphan', 'smtp.orphan.test', 465, 'x', '{ROSSI_PASS_01}',
                  'x@orphan.test', 1, {older}, NULL)"
            ),
            format!(
                "INSERT INTO reminders (id, user_id, title, reminder_type, notification_type,
                 email_configuration_id, sender_identity_id, is_recurring, reminder_date,
                 is_active) VALUES
                 (1, 2, 'News 1', 'NOTIFICATION', 'EMAIL', 2, 99, 0, {newer}, 0),
                 (2, 2, 'News 2', 'NOTIFICATION', 'EMAIL', 2, 99, 0, {newer}, 0),
                 (3, 2, 'Help', 'NOTIFICATION', 'EMAIL', 3, 99, 0, {newer}, 0)"
            ),
        ],
    );
    let source = super::original_sqlite_with(&dir, &rows).await;

    // Act
    let report = original::import(&source, &app.state.db, &super::options(&app, false), now)
        .await
        .unwrap();

    // Assert
    assert!(report.balanced());
    let report = serde_json::to_value(&report).unwrap();
    assert_eq!(report["smtp_accounts_created"], 3);
    assert_eq!(
        report["email_configurations"],
        json!({"read": 8, "imported": 6,
               "skipped": {"owner_not_imported": 1, "smtp_settings_invalid": 1},
               "changed": {"another_configuration_chosen": 2, "inactive_in_the_original": 1,
                           "sender_identity_already_present": 2, "to_verify": 4}})
    );
    assert!(!report.to_string().contains("pass-0"));

    // Alice's server, sealed under our key; her address stays the one identity.
    let (smtp, password) = smtp_of(&app, "alice@rossi.test").await;
    assert_eq!(
        smtp,
        json!({"configured": true, "host": "smtp.rossi.test", "port": 465,
               "username": "billing@rossi.test", "tls": "tls",
               "from_email": "billing@rossi.test"})
    );
    assert_eq!(password, Some(json!("rossi-smtp-pass-01")));
    assert_eq!(
        identities_of(&app, "alice@rossi.test").await,
        [("billing@rossi.test".to_owned(), false)]
    );

    // Bob's is the one most reminders name; each address waits for its code, and the reminder
    // naming the other configuration sends from its address.
    let (smtp, password) = smtp_of(&app, "bob@bianchi.test").await;
    assert_eq!(smtp["host"], "smtp.old.test");
    assert_eq!(password, Some(json!("bianchi-news-pass-02")));
    let identities = identities_of(&app, "bob@bianchi.test").await;
    assert_eq!(
        identities,
        [
            ("news@bianchi.test".to_owned(), false),
            ("old@bianchi.test".to_owned(), false),
            ("support@bianchi.test".to_owned(), false),
        ]
    );
    let token = app.sign_in("bob@bianchi.test", OLD_PASSWORD).await.token;
    let listed = app.get_json("/sender-identities", &token).await;
    let support = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["address"] == "support@bianchi.test")
        .unwrap()["id"]
        .clone();
    let reminders = app.get_json("/reminders?limit=50", &token).await;
    let help = super::by_title(reminders["items"].as_array().unwrap(), "Help");
    assert_eq!(help["sender_identity_ids"], json!([support]));

    // Eve's newer one; Dave keeps the platform's server.
    let (smtp, password) = smtp_of(&app, "eve@neri.test").await;
    assert_eq!(smtp["host"], "smtp.newer.test");
    assert_eq!(password, Some(json!("eve-newer-pass-06")));
    let (smtp, password) = smtp_of(&app, "dave@verdi.test").await;
    assert_eq!(smtp, json!({"configured": false}));
    assert_eq!(password, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_that_does_not_open_leaves_the_platforms_server_in_place() {
    // Arrange: the key opens the phone number, so it is the right one; Alice's password is
    // damaged, Bob's was sealed under another key.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let now = app.clock.now();
    let created = at(now);
    let damaged = ROSSI_PASS_01.replace("jMUT", "jMUX");
    let rows = with_users(
        &created,
        &[
            format!(
                "INSERT INTO clients (id, user_id, name, phone_number, created_at)
                 VALUES (1, 1, 'Ann', '{SEALED_PHONE}', {created})"
            ),
            format!(
                "INSERT INTO email_configurations (id, user_id, configuration_name, smtp_host,
                 smtp_port, smtp_user, smtp_password, email_from, is_active) VALUES
                 (1, 1, 'Billing', 'smtp.rossi.test', 465, 'billing', '{damaged}',
                  'billing@rossi.test', 1)"
            ),
        ],
    );
    let source = super::original_sqlite_with(&dir, &rows).await;

    // Act
    let report = original::import(&source, &app.state.db, &super::options(&app, false), now)
        .await
        .unwrap();

    // Assert
    let report = serde_json::to_value(&report).unwrap();
    assert_eq!(report["sealed_values"], "opened");
    assert_eq!(report["smtp_accounts_created"], 0);
    assert_eq!(
        report["email_configurations"],
        json!({"read": 1, "imported": 1, "skipped": {},
               "changed": {"sealed_password_unreadable": 1, "to_verify": 1}})
    );
    let (smtp, _) = smtp_of(&app, "alice@rossi.test").await;
    assert_eq!(smtp, json!({"configured": false}));
    assert_eq!(
        identities_of(&app, "alice@rossi.test").await,
        [("billing@rossi.test".to_owned(), false)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_passwords_are_checked_with_the_key_and_skipped_on_request() {
    // Arrange: the only sealed value is a password.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let now = app.clock.now();
    let rows = with_users(
        &at(now),
        &[format!(
            "INSERT INTO email_configurations (id, user_id, configuration_name, smtp_host,
             smtp_port, smtp_user, smtp_password, email_from, is_active) VALUES
             (1, 1, 'Billing', 'smtp.rossi.test', 465, 'billing', '{ROSSI_PASS_01}',
              'billing@rossi.test', 1)"
        )],
    );
    let source = super::original_sqlite_with(&dir, &rows).await;
    let mut wrong_key = super::options(&app, false);
    wrong_key.opener = original::Opener::new(
        Some(&secrecy::SecretString::from("not-the-originals-key")),
        None,
    )
    .unwrap();

    // Act: refused with the wrong key
    let refused = original::import(&source, &app.state.db, &wrong_key, now)
        .await
        .unwrap_err();

    // Assert
    assert!(
        matches!(
            refused.downcast_ref::<KeyError>(),
            Some(KeyError::Wrong { .. })
        ),
        "{refused:#}"
    );
    assert!(
        refused.to_string().starts_with(
            "the original's SECRET_KEY given is wrong: e-mail configuration 1's smtp_password"
        ),
        "{refused}"
    );

    // Act: imported without it on request
    wrong_key.skip_sealed = true;
    let report = original::import(&source, &app.state.db, &wrong_key, now)
        .await
        .unwrap();

    // Assert
    let report = serde_json::to_value(&report).unwrap();
    assert_eq!(report["sealed_values"], "skipped");
    assert_eq!(
        report["email_configurations"]["changed"],
        json!({"sealed_password_skipped": 1, "to_verify": 1})
    );
    let (smtp, _) = smtp_of(&app, "alice@rossi.test").await;
    assert_eq!(smtp, json!({"configured": false}));
}
