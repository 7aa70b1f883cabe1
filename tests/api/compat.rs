//! The original service's paths answer like ours, and its recurrence words are understood.

use chrono::Duration;
use reminder_backend::channels::ChannelError;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, db_test};

async fn the_original_paths_answer_like_ours(app: TestApp) {
    // Sign-up and sign-in.
    let registered = app
        .request(reqwest::Method::POST, "/users/register")
        .json(&json!({
            "business_name": "Legacy Ltd",
            "email": "old@legacy.test",
            "password": PASSWORD,
            "full_name": "Old",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    let login: Value = app
        .request(reqwest::Method::POST, "/auth/login")
        .form(&[("username", "old@legacy.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(login["token_type"], "bearer");
    let token = login["access_token"].as_str().unwrap();
    let me = app.get_json("/users/me", token).await;
    let alias = app.get_json("/auth/me", token).await;
    assert_eq!(alias, me);

    // Lists with the trailing slash, creation through it, CSV import under its old name.
    let owner = app.sign_in("old@legacy.test", PASSWORD).await;
    let created = app
        .request(reqwest::Method::POST, "/clients/")
        .bearer_auth(&owner.token)
        .json(&json!({"name": "Ann", "email": "ann@legacy.test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
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
    for path in [
        "/clients",
        "/reminders",
        "/notifications",
        "/users",
        "/payments",
        "/sender-identities",
    ] {
        let canonical = app.get_json(path, &owner.token).await;
        let slashed = app.get_json(&format!("{path}/"), &owner.token).await;
        assert_eq!(slashed, canonical, "{path}/");
    }

    // Send now, and resend a failed notification.
    let ann: Value = created.json().await.unwrap();
    let created_reminder = app.once_for(&owner, &ann, "email", 1).await;
    app.transport.fail_next([ChannelError::Permanent {
        code: "550".into(),
        message: "mailbox unavailable".into(),
    }]);
    let sent = app
        .request(
            reqwest::Method::POST,
            &format!("/reminders/{}/send-now", created_reminder["id"]),
        )
        .bearer_auth(&owner.token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    app.dispatch_until_idle().await;
    let notification: Value = sent.json().await.unwrap();
    let id = notification["notifications"][0]["id"].clone();
    let failed = app
        .get_json(&format!("/notifications/{id}"), &owner.token)
        .await;
    assert_eq!(failed["status"], "failed");
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
db_test!(the_original_paths_answer_like_ours);

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
