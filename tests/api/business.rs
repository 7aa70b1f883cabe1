//! `GET/PATCH /business`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, db_test, error_fields, problem};

async fn owners_change_business_settings(app: TestApp) {
    let owner = app.owner("Settings Co").await;
    let response = app
        .patch(
            "/business",
            &owner.token,
            json!({
                "name": "Settings & Co",
                "timezone": "Europe/London",
                "default_channels": ["email", "sms"],
                "email_from": "Billing@Settings.example.com",
                "default_country": "gb",
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let business = app.get_json("/business", &owner.token).await;
    assert_eq!(business["name"], "Settings & Co");
    assert_eq!(business["timezone"], "Europe/London");
    assert_eq!(business["default_channels"], json!(["email", "sms"]));
    assert_eq!(business["email_from"], "billing@settings.example.com");
    assert_eq!(business["default_country"], "GB");

    let cleared: Value = app
        .patch("/business", &owner.token, json!({"email_from": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["email_from"], Value::Null);
    assert_eq!(cleared["timezone"], "Europe/London");
}
db_test!(owners_change_business_settings);

async fn invalid_settings_are_refused_and_change_nothing(app: TestApp) {
    let owner = app.owner("Strict Co").await;
    let response = app
        .patch(
            "/business",
            &owner.token,
            json!({
                "name": "Renamed",
                "timezone": "BST",
                "default_channels": ["email", "fax"],
                "email_from": "nope",
                "default_country": "XX",
            }),
        )
        .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut fields = error_fields(&body);
    fields.sort();
    assert_eq!(
        fields,
        [
            "default_channels",
            "default_country",
            "email_from",
            "timezone"
        ]
    );
    let empty = app
        .patch("/business", &owner.token, json!({"default_channels": []}))
        .await;
    problem(empty, StatusCode::UNPROCESSABLE_ENTITY).await;

    let business = app.get_json("/business", &owner.token).await;
    assert_eq!(business["name"], "Strict Co");
    assert_eq!(business["timezone"], "UTC");
}
db_test!(invalid_settings_are_refused_and_change_nothing);

async fn members_cannot_change_settings(app: TestApp) {
    let owner = app.owner("Members Co").await;
    let member = app.staff(&owner, "m@members.example.com", "member").await;
    problem(
        app.patch("/business", &member.token, json!({"name": "Mine"}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let business = app.get_json("/business", &member.token).await;
    assert_eq!(business["name"], "Members Co");
    assert_eq!(business["id"], owner.business_id);
}
db_test!(members_cannot_change_settings);
