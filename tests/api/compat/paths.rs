//! Paths of the original service that answer as ours do (lists it did not have, the CSV
//! import, `resend` to a token of ours), and its recurrence words in our schedules.

use chrono::Duration;
use reminder_backend::channels::ChannelError;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, db_test};

async fn our_lists_and_csv_answer_under_the_original_paths(app: TestApp) {
    let owner = app.owner("Legacy Ltd").await;
    // The CSV import under the original's name answers our report.
    let report: Value = app
        .request(reqwest::Method::POST, "/clients/bulk-import")
        .bearer_auth(&owner.token)
        .header("content-type", "text/csv")
        .body("name,email\nBob,bob@legacy.test\n")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["created"], 1);
    // The original had no such lists: ours answer under FastAPI's slash.
    for path in ["/users", "/payments"] {
        let canonical = app.get_json(path, &owner.token).await;
        let slashed = app.get_json(&format!("{path}/"), &owner.token).await;
        assert_eq!(slashed, canonical, "{path}/");
    }
    // A token of ours gets our answers on the paths both APIs share.
    let bob = &app.get_json("/clients", &owner.token).await["items"][0];
    let client = app
        .get_json(&format!("/clients/{}", bob["id"]), &owner.token)
        .await;
    assert_eq!(client, *bob);

    // Resend a failed notification.
    let created_reminder = app.once_for(&owner, bob, "email", 1).await;
    app.transport.fail_next([ChannelError::Permanent {
        code: "550".into(),
        message: "mailbox unavailable".into(),
    }]);
    let sent = app
        .post(
            &format!("/reminders/{}/send", created_reminder["id"]),
            &owner.token,
            json!({}),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    app.dispatch_until_idle().await;
    let notification: Value = sent.json().await.unwrap();
    let id = notification["notifications"][0]["id"].clone();
    let resent = app
        .request(
            reqwest::Method::POST,
            &format!("/notifications/{id}/resend"),
        )
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resent.status(), StatusCode::OK);
    app.dispatch_until_idle().await;
    let after = app
        .get_json(&format!("/notifications/{id}"), &owner.token)
        .await;
    assert_eq!(after["status"], "sent");
    assert_eq!(after["attempts"].as_array().unwrap().len(), 2);
}
db_test!(our_lists_and_csv_answer_under_the_original_paths);

async fn the_original_recurrence_words_are_rrules(app: TestApp) {
    let owner = app.owner("Words Ltd").await;
    let created = app
        .reminder(
            &owner,
            json!({
                "title": "Fortnightly",
                "channels": ["email"],
                "body": "x",
                "schedule": {
                    "type": "recurring",
                    "rrule": "every 2 weeks",
                    "start": app.local_in(1, "09:00:00"),
                    "timezone": "UTC",
                },
            }),
        )
        .await;
    assert_eq!(created["schedule"]["rrule"], "FREQ=WEEKLY;INTERVAL=2");
    let occurrences = app
        .get_json(
            &format!("/reminders/{}/occurrences?limit=2", created["id"]),
            &owner.token,
        )
        .await;
    let items: Vec<chrono::DateTime<chrono::FixedOffset>> = occurrences["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| chrono::DateTime::parse_from_rfc3339(i.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(items[1] - items[0], Duration::days(14));
    let monthly = app
        .reminder(
            &owner,
            json!({
                "title": "Monthly",
                "channels": ["email"],
                "body": "x",
                "schedule": {
                    "type": "recurring",
                    "rrule": "monthly",
                    "start": app.local_in(1, "09:00:00"),
                    "timezone": "UTC",
                },
            }),
        )
        .await;
    assert_eq!(monthly["schedule"]["rrule"], "FREQ=MONTHLY");
}
db_test!(the_original_recurrence_words_are_rrules);
