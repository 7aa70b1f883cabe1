//! The firm's view of its notifications: send one again (history kept), mark read, counts.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, db_test, problem};

async fn notifications_are_resent_marked_read_and_counted(app: TestApp) {
    let owner = app.owner("Inbox Ltd").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "email": "ann@client.test"}))
        .await;
    let bob = app
        .client(&owner, json!({"name": "Bob", "email": "bob@client.test"}))
        .await;
    app.once_for(&owner, &ann, "email", 1).await;
    app.once_for(&owner, &bob, "email", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    let rows = app.notifications(&owner, "").await;
    let first = rows[0]["id"].clone();

    // Counts.
    let counts = app.get_json("/notifications/counts", &owner.token).await;
    assert_eq!(
        counts,
        json!({"total": 2, "by_status": {"sent": 2}, "by_channel": {"email": 2}})
    );

    // A sent one goes again; its history keeps both sends.
    let resent = app
        .post(
            &format!("/notifications/{first}/resend"),
            &owner.token,
            json!({}),
        )
        .await;
    assert_eq!(resent.status(), StatusCode::OK);
    let resent: Value = resent.json().await.unwrap();
    assert_eq!(resent["status"], "pending");
    app.dispatch_until_idle().await;
    let detail = app
        .get_json(&format!("/notifications/{first}"), &owner.token)
        .await;
    assert_eq!(detail["status"], "sent");
    assert_eq!(detail["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(app.transport.sent().len(), 3);
    // Inbox: unread until marked.
    assert_eq!(app.notifications(&owner, "unread=true").await.len(), 2);
    let marked: Value = app
        .post(
            &format!("/notifications/{first}/mark-read"),
            &owner.token,
            json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(marked["inbox_read_at"].is_string());
    let unread = app.notifications(&owner, "unread=true").await;
    assert_eq!(unread.len(), 1);
    assert_ne!(unread[0]["id"], first);
    assert_eq!(app.notifications(&owner, "unread=false").await.len(), 1);

    // Another business can do none of it.
    let other = app.owner("Other Ltd").await;
    problem(
        app.post(
            &format!("/notifications/{first}/resend"),
            &other.token,
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.post(
            &format!("/notifications/{first}/mark-read"),
            &other.token,
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let theirs = app.get_json("/notifications/counts", &other.token).await;
    assert_eq!(theirs["total"], 0);
}
db_test!(notifications_are_resent_marked_read_and_counted);
