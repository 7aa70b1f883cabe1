//! The audit log: each sensitive action recorded with who and what, readable by owners and
//! admins of that business only, and free of secrets.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, db_test, problem};

async fn sensitive_actions_are_audited_per_business(app: TestApp) {
    let owner = app.owner("Audited Ltd").await;
    let staff: Value = app
        .post(
            "/users",
            &owner.token,
            json!({
                "email": "clerk@audited.test",
                "password": PASSWORD,
                "full_name": "Clerk",
                "role": "member",
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    let staff_path = format!("/users/{}", staff["id"]);
    app.patch(&staff_path, &owner.token, json!({"role": "admin"}))
        .await;
    app.patch(&staff_path, &owner.token, json!({"is_active": false}))
        .await;
    assert_eq!(
        app.delete(&staff_path, &owner.token).await.status(),
        StatusCode::NO_CONTENT
    );
    let token = "audit-twilio-token-0123456789abcdef";
    app.patch(
        "/business",
        &owner.token,
        json!({
            "providers": {
                "twilio": {
                    "account_sid": "AC0123456789abcdef0123456789abcdef",
                    "from_number": "+14155552671",
                    "auth_token": token,
                },
            },
        }),
    )
    .await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "email": "ann@client.test"}))
        .await;
    let gone = app
        .client(&owner, json!({"name": "Gone", "email": "gone@client.test"}))
        .await;
    app.get(&format!("/clients/{}/export", ann["id"]), &owner.token)
        .await;
    app.delete(&format!("/clients/{}", gone["id"]), &owner.token)
        .await;
    let reminder = app.once_for(&owner, &ann, "email", 1).await;
    app.post(
        &format!("/reminders/{}/send", reminder["id"]),
        &owner.token,
        json!({}),
    )
    .await;
    app.delete(&format!("/reminders/{}", reminder["id"]), &owner.token)
        .await;

    let log = app.get_json("/audit-log?limit=50", &owner.token).await;
    let text = log.to_string();
    assert!(!text.contains(token), "no secret in the audit log");
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "user.added",
            "user.role_changed",
            "user.disabled",
            "user.removed",
            "providers.changed",
            "client.exported",
            "client.deleted",
            "reminder.sent_manually",
            "reminder.cancelled",
        ]
    );
    let items = log["items"].as_array().unwrap();
    let role_change = items
        .iter()
        .find(|e| e["action"] == "user.role_changed")
        .unwrap();
    assert_eq!(
        role_change["details"],
        json!({"from": "member", "to": "admin"})
    );
    assert_eq!(role_change["target_id"], staff["id"]);
    assert_eq!(role_change["actor_user_id"], owner.user_id);
    let providers = items
        .iter()
        .find(|e| e["action"] == "providers.changed")
        .unwrap();
    assert_eq!(
        providers["details"],
        json!({"set": ["twilio"], "removed": []})
    );

    // Another business sees none of it; a member may not read it.
    let other = app.owner("Other Ltd").await;
    let theirs = app.get_json("/audit-log", &other.token).await;
    assert_eq!(theirs["total"], 0);
    let member = app.staff(&owner, "member@audited.test", "member").await;
    problem(
        app.get("/audit-log", &member.token).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}
db_test!(sensitive_actions_are_audited_per_business);
