//! `POST /business/providers/{provider}/test` against each provider's fake (and a real SMTP
//! server): what the provider said comes back, good and bad.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::fakes::{TwilioFake, WhatsappFake};
use crate::support::smtp::SmtpServer;
use crate::support::stripe::StripeFake;
use crate::support::{Backend, TestApp, per_backend, problem};

async fn run(backend: Backend) {
    let smtp = SmtpServer::start(Some(("firm", "right-password")));
    let twilio = TwilioFake::start().await;
    let whatsapp = WhatsappFake::start().await;
    let stripe = StripeFake::start(&["sk_test_firm_key"]).await;
    let overrides: HashMap<String, String> = [
        ("TWILIO_API_BASE", twilio.base_url.clone()),
        ("WHATSAPP_API_BASE", whatsapp.base_url.clone()),
        ("STRIPE_API_BASE", stripe.base_url.clone()),
        // The firm's SMTP server is on this machine, which only an operator's setting allows.
        ("ALLOW_PRIVATE_PROVIDER_HOSTS", "true".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let app = TestApp::spawn_with_providers(backend, overrides).await;
    let owner = app.owner("Testing Ltd").await;
    let test = |provider: &str, body: Value| {
        let path = format!("/business/providers/{provider}/test");
        let token = owner.token.clone();
        let app = &app;
        async move { app.post(&path, &token, body).await }
    };
    // Nothing set yet: refused with the reason.
    problem(
        test("twilio", json!({"to": "+447911123456"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(test("fax", json!({})).await, StatusCode::NOT_FOUND).await;

    let set = |providers: Value| {
        let token = owner.token.clone();
        let app = &app;
        async move {
            let response = app
                .patch("/business", &token, json!({"providers": providers}))
                .await;
            assert_eq!(response.status(), StatusCode::OK);
        }
    };
    set(json!({
        "smtp": {
            "host": "127.0.0.1",
            "port": smtp.port,
            "tls": "none",
            "username": "firm",
            "password": "right-password",
            "from_email": "desk@testing.test",
        },
        "twilio": {
            "account_sid": twilio.account_sid,
            "auth_token": twilio.auth_token,
            "from_number": "+15005550006",
        },
        "whatsapp": {
            "phone_number_id": whatsapp.phone_number_id,
            "access_token": whatsapp.access_token,
        },
        "stripe": {"secret_key": "sk_test_firm_key"},
    }))
    .await;

    let result: Value = test("smtp", json!({"to": "me@testing.test"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(smtp.messages().len(), 1);
    assert!(
        smtp.messages()[0]["text"]
            .as_str()
            .unwrap()
            .contains("test message")
    );
    let result: Value = test("twilio", json!({"to": "+447911123456"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(
        result["provider_message_id"],
        twilio.messages()[0].sid.as_str()
    );
    let result: Value = test("whatsapp", json!({"to": "+447911123456"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(whatsapp.messages().len(), 1);
    let result: Value = test("stripe", json!({})).await.json().await.unwrap();
    assert_eq!(result["ok"], true, "{result}");
    assert!(twilio.violations().is_empty() && whatsapp.violations().is_empty());

    // A wrong password and a wrong key: the provider's refusal comes back.
    set(json!({
        "smtp": {"password": "wrong-password"},
        "stripe": {"secret_key": "sk_test_revoked"},
    }))
    .await;
    let result: Value = test("smtp", json!({"to": "me@testing.test"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (result["ok"].as_bool(), result["error_code"].as_str()),
        (Some(false), Some("535")),
        "{result}"
    );
    let result: Value = test("stripe", json!({})).await.json().await.unwrap();
    assert_eq!(
        (result["ok"].as_bool(), result["error_code"].as_str()),
        (Some(false), Some("api_key_invalid"))
    );
    // A bad address is the caller's mistake, not the provider's.
    problem(
        test("twilio", json!({"to": "not a number"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    // Members may not.
    let member = app.staff(&owner, "member@testing.test", "member").await;
    problem(
        app.post("/business/providers/stripe/test", &member.token, json!({}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let log = app
        .get_json("/audit-log?action=providers.tested", &owner.token)
        .await;
    assert_eq!(log["total"], 6);
}
per_backend!(each_provider_account_can_be_tested, run);
