//! The original's history survives: each notification it sent or failed to send keeps the
//! attempt it made (its time, outcome and error), a resend here adds to that history, and the
//! original's own sends are not counted in this service's usage.

use chrono::{Duration, SubsecRound};
use reminder_backend::clock::Clock;
use reminder_backend::original;
use reqwest::StatusCode;
use serde_json::json;

use super::{OLD_PASSWORD, options, original_on_sqlite};
use crate::support::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_notification_keeps_its_attempt_through_a_resend() {
    // Arrange: the fixture's Ben, whose VAT e-mail failed in the original 20 days ago.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let now = app.clock.now();
    let dir = tempfile::tempdir().unwrap();
    let source = original_on_sqlite(&dir, now).await;
    original::import(&source, &app.state.db, &options(&app, false), now)
        .await
        .unwrap();
    let token = app.sign_in("alice@rossi.test", OLD_PASSWORD).await.token;
    let history = app.get_json("/notifications?limit=50", &token).await;
    let id_with = |status: &str| {
        history["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["status"] == status)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (failed, sent) = (id_with("failed"), id_with("sent"));
    // The fixture wrote the original's times to the microsecond, as SQLAlchemy does.
    let in_the_original = json!((now - Duration::days(20)).trunc_subsecs(6));
    let failed_attempt = json!({
        "at": in_the_original,
        "outcome": "permanent_error",
        "error_code": "failed_in_the_original",
        "error_message": "SMTP 550 mailbox unavailable",
        "provider_message_id": null,
    });
    let detail = app
        .get_json(&format!("/notifications/{failed}"), &token)
        .await;
    assert_eq!(detail["attempts"], json!([failed_attempt]));
    let detail = app
        .get_json(&format!("/notifications/{sent}"), &token)
        .await;
    assert_eq!(
        detail["attempts"],
        json!([{"at": in_the_original, "outcome": "sent", "error_code": null,
                "error_message": null, "provider_message_id": null}])
    );

    // Act: send the failed one again.
    let resent = app
        .post(
            &format!("/notifications/{failed}/resend"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(resent.status(), StatusCode::OK);
    app.dispatch_until_idle().await;

    // Assert: the original's attempt comes first, then this service's.
    let detail = app
        .get_json(&format!("/notifications/{failed}"), &token)
        .await;
    assert_eq!(detail["status"], "sent");
    let attempts = detail["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(attempts[0], failed_attempt);
    assert_eq!(attempts[1]["outcome"], "sent");
    assert_eq!(
        app.transport
            .sent()
            .iter()
            .filter(|m| m.recipient == "ben@client.test")
            .count(),
        1
    );

    // The original's sends are not this service's usage; the resend is.
    let usage = app
        .get_json(
            &format!(
                "/business/usage?from={}&to={}",
                (now - Duration::days(60)).format("%Y-%m-%dT%H:%M:%SZ"),
                (now + Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ"),
            ),
            &token,
        )
        .await;
    assert_eq!(usage["channels"]["email"]["messages"], 2, "{usage}");
}
