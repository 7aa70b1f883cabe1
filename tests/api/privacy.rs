//! A client's data: the export holds everything stored about them; erasure leaves no personal
//! data in any table (the SQLite database file is read to check) while the counts remain. A
//! message being sent when its client is erased stays cancelled.

use reminder_backend::clock::Clock;
use reminder_backend::domain::NotificationStatus;
use reminder_backend::entities::notification;
use reminder_backend::repositories::notifications::{self as queue, Accepted};
use reminder_backend::scheduler::plan_due;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::json;

use crate::support::{TestApp, db_test, problem};

const NAME: &str = "Zebedee Quuxley";
const EMAIL: &str = "zebedee.quuxley@private.test";
const PHONE: &str = "+447911123457";
const REF: &str = "ZQ-REF-93817";

async fn export_holds_everything_and_erasure_leaves_no_personal_data(app: TestApp) {
    let owner = app.owner("Private Ltd").await;
    let client = app
        .client(
            &owner,
            json!({"name": NAME, "email": EMAIL, "phone": PHONE, "external_ref": REF}),
        )
        .await;
    let created = app
        .reminder(
            &owner,
            json!({
                "title": "Fees",
                "channels": ["email", "sms"],
                "subject": "For {{ client.name }}",
                "body": "Dear {{ client.name }} ({{ client.email }}), pay {{ amount }}",
                "schedule": {
                    "type": "recurring",
                    "rrule": "FREQ=DAILY",
                    "start": app.local_in(1, "09:00:00"),
                    "timezone": "UTC",
                },
                "payment": {"amount": 5000, "currency": "gbp"},
                "client_ids": [client["id"]],
            }),
        )
        .await;
    app.arrive(1);
    app.dispatch_until_idle().await;

    let path = format!("/clients/{}/export", client["id"]);
    let export = app.get_json(&path, &owner.token).await;
    assert_eq!(export["client"]["name"], NAME);
    assert_eq!(export["client"]["email"], EMAIL);
    assert_eq!(export["reminders"][0]["id"], created["id"]);
    let sent = export["notifications"].as_array().unwrap();
    assert_eq!(sent.len(), 2);
    assert!(
        sent.iter()
            .all(|n| n["body"].as_str().unwrap().contains(NAME))
    );
    assert_eq!(sent[0]["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(export["payments"][0]["amount"], 5000);
    // Another business cannot export it.
    let other = app.owner("Other Ltd").await;
    problem(app.get(&path, &other.token).await, StatusCode::NOT_FOUND).await;
    // A member may neither export nor erase.
    let member = app.staff(&owner, "member@private.test", "member").await;
    problem(app.get(&path, &member.token).await, StatusCode::FORBIDDEN).await;
    let erase = format!("/clients/{}?erase=true", client["id"]);
    problem(
        app.delete(&erase, &member.token).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    assert_eq!(
        app.delete(&erase, &owner.token).await.status(),
        StatusCode::NO_CONTENT
    );
    let after = app.get_json(&path, &owner.token).await;
    let text = after.to_string();
    for personal in [NAME, EMAIL, PHONE, "447911123457", REF] {
        assert!(!text.contains(personal), "{personal} is still held");
    }
    assert_eq!(after["client"]["name"], "Erased client");
    // The counts remain: the notifications are still there, anonymous.
    let rows = app
        .notifications(&owner, &format!("reminder_id={}", created["id"]))
        .await;
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|n| n["body"] == "[erased]" && n["subject"].is_null())
    );
    // The next occurrence no longer includes the client.
    app.clock.advance(chrono::Duration::days(1));
    app.dispatch_until_idle().await;
    assert_eq!(app.notifications(&owner, "").await.len(), 2);

    if let Some(file) = app.database_url.strip_prefix("sqlite://") {
        let dir = std::path::Path::new(file).parent().unwrap();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            for personal in [NAME, EMAIL, PHONE, REF] {
                let found = bytes
                    .windows(personal.len())
                    .any(|w| w == personal.as_bytes());
                assert!(!found, "{personal} is in {}", path.display());
            }
        }
    }
}
/// The erasure takes the message out of its claim: the provider's acceptance, recorded after,
/// changes nothing (the dispatcher records a claim's outcomes by the claim's token alone).
async fn a_message_being_sent_when_its_client_is_erased_stays_cancelled(app: TestApp) {
    let owner = app.owner("Private Ltd").await;
    let client = app
        .client(&owner, json!({"name": NAME, "email": EMAIL}))
        .await;
    app.reminder(
        &owner,
        json!({
            "title": "Fees",
            "channels": ["email"],
            "body": "Dear {{ client.name }}",
            "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")},
            "client_ids": [client["id"]],
        }),
    )
    .await;
    app.arrive(1);
    let now = app.clock.now();
    plan_due(&app.state, now).await.unwrap();
    let token = uuid::Uuid::new_v4().to_string();
    let claimed = queue::claim_due(
        &app.state.db,
        now,
        10,
        &token,
        now + chrono::Duration::minutes(5),
    )
    .await
    .unwrap();
    assert_eq!(claimed.len(), 1);

    let erase = format!("/clients/{}?erase=true", client["id"]);
    assert_eq!(
        app.delete(&erase, &owner.token).await.status(),
        StatusCode::NO_CONTENT
    );
    let accepted = Accepted {
        id: claimed[0].id,
        provider: "smtp",
        provider_message_id: "accepted-after-erasure",
    };
    let recorded = queue::mark_sent(&app.state.db, &token, &[accepted], now)
        .await
        .unwrap();
    assert_eq!(recorded, 0);
    let stored = notification::Entity::find_by_id(claimed[0].id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, NotificationStatus::Cancelled);
    assert_eq!(stored.provider_message_id, None);
    assert_eq!(stored.claim_token, None);
}

db_test!(export_holds_everything_and_erasure_leaves_no_personal_data);
db_test!(a_message_being_sent_when_its_client_is_erased_stays_cancelled);
