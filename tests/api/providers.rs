//! A business's own provider accounts: settings shown, secrets write-only and sealed at rest.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::support::{TestApp, db_test, error_fields, problem};

const TOKEN: &str = "twilio-auth-token-0123456789abcdef";

async fn provider_secrets_are_write_only_and_sealed_at_rest(app: TestApp) {
    let owner = app.owner("Providers").await;
    let response = app
        .patch(
            "/business",
            &owner.token,
            json!({
                "providers": {
                    "twilio": {
                        "account_sid": "AC0123456789abcdef0123456789abcdef",
                        "from_number": "+14155552671",
                        "auth_token": TOKEN,
                    },
                    "stripe": {"secret_key": "sk_test_123", "webhook_secret": "whsec_abc"},
                },
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(
        !text.contains(TOKEN) && !text.contains("sk_test_123") && !text.contains("whsec_abc"),
        "{text}"
    );
    let business: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        business["providers"]["twilio"],
        json!({
            "configured": true,
            "account_sid": "AC0123456789abcdef0123456789abcdef",
            "from_number": "+14155552671",
        })
    );
    assert_eq!(business["providers"]["stripe"], json!({"configured": true}));
    assert_eq!(business["providers"]["smtp"], json!({"configured": false}));
    let fetched = app
        .get("/business", &owner.token)
        .await
        .text()
        .await
        .unwrap();
    assert!(!fetched.contains(TOKEN));

    // In the database the secret is sealed.
    let rows = app
        .state
        .db
        .query_all_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT settings, secret, key_id FROM provider_credentials",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let secret: String = row.try_get("", "secret").unwrap();
        assert!(
            secret.starts_with("v1:") && !secret.contains(TOKEN) && !secret.contains("sk_test")
        );
    }
    if let Some(path) = app.database_url.strip_prefix("sqlite://") {
        let bytes = std::fs::read(path).unwrap();
        let file = String::from_utf8_lossy(&bytes);
        assert!(!file.contains(TOKEN), "the token is in the database file");
    }

    // A change of settings keeps the stored secret; null removes the provider.
    let changed: Value = app
        .patch(
            "/business",
            &owner.token,
            json!({"providers": {"twilio": {"from_number": "+1 415 555 2672"}, "stripe": null}}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        changed["providers"]["twilio"]["from_number"],
        "+1 415 555 2672"
    );
    assert_eq!(changed["providers"]["stripe"], json!({"configured": false}));
}
db_test!(provider_secrets_are_write_only_and_sealed_at_rest);

async fn invalid_provider_settings_are_refused_and_change_nothing(app: TestApp) {
    let owner = app.owner("Bad Providers").await;
    let response = app
        .patch(
            "/business",
            &owner.token,
            json!({
                "name": "Renamed",
                "providers": {
                    "twilio": {"account_sid": "XX1", "from_number": "12"},
                    "smtp": {"tls": "ssl3"},
                    "stripe": {"secret_key": "pk_live_1"},
                },
            }),
        )
        .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut fields = error_fields(&body);
    fields.sort();
    assert_eq!(
        fields,
        [
            "providers.smtp.host",
            "providers.smtp.tls",
            "providers.stripe.secret_key",
            "providers.twilio.account_sid",
            "providers.twilio.auth_token",
            "providers.twilio.from_number",
        ]
    );
    let unknown = app
        .patch(
            "/business",
            &owner.token,
            json!({"providers": {"sendgrid": {"api_key": "x"}}}),
        )
        .await;
    problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await;
    let business = app.get_json("/business", &owner.token).await;
    assert_eq!(business["name"], "Bad Providers");
    assert_eq!(business["providers"]["twilio"]["configured"], false);
}
db_test!(invalid_provider_settings_are_refused_and_change_nothing);

async fn members_cannot_set_provider_accounts(app: TestApp) {
    let owner = app.owner("Member Providers").await;
    let member = app
        .staff(&owner, "m@memberproviders.example.com", "member")
        .await;
    let response = app
        .patch(
            "/business",
            &member.token,
            json!({"providers": {"stripe": {"secret_key": "sk_test_1"}}}),
        )
        .await;
    problem(response, StatusCode::FORBIDDEN).await;
    let business = app.get_json("/business", &owner.token).await;
    assert_eq!(business["providers"]["stripe"]["configured"], false);
}
db_test!(members_cannot_set_provider_accounts);

async fn production_refuses_unconfigured_channels(backend: crate::support::Backend) {
    let overrides = [
        ("ENV", "production"),
        ("PUBLIC_BASE_URL", "https://reminders.test"),
        (
            "SECRET_KEY",
            "production-secret-key-0123456789-abcdefghijkl",
        ),
        (
            "ENCRYPTION_KEY",
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let app = crate::support::TestApp::spawn_with(backend, overrides).await;
    let owner = app.owner("Live Ltd").await;
    let body = json!({"title": "t", "channels": ["sms"], "body": "x",
                      "schedule": {"type": "once", "at": "2099-01-01T09:00:00"}});
    let refused = problem(
        app.post("/reminders", &owner.token, body.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), ["channels"]);
    assert!(refused.to_string().contains("sms is not configured"));
    // Read in the console too: it names where to act, not an HTTP method.
    assert!(
        refused.to_string().contains("provider settings"),
        "{refused}"
    );
    assert!(!refused.to_string().contains("PATCH"), "{refused}");
    let listed = app.get_json("/reminders", &owner.token).await;
    assert_eq!(listed["total"], 0);
    app.patch(
        "/business",
        &owner.token,
        json!({"providers": {"twilio": {"account_sid": "AC0123456789abcdef0123456789abcdef",
                "from_number": "+14155552671", "auth_token": TOKEN}}}),
    )
    .await;
    assert_eq!(
        app.post("/reminders", &owner.token, body.clone())
            .await
            .status(),
        StatusCode::CREATED
    );
    // A payment needs Stripe too.
    let mut with_payment = body;
    with_payment["payment"] = json!({"amount": 12500, "currency": "gbp"});
    let refused = problem(
        app.post("/reminders", &owner.token, with_payment).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), ["payment"]);
}
crate::support::per_backend!(
    in_production_a_channel_without_an_account_is_refused_at_creation,
    production_refuses_unconfigured_channels
);

const OLD_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const NEW_KEY: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

async fn key_rotation(backend: crate::support::Backend) {
    let overrides = [("ENCRYPTION_KEY", OLD_KEY)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut app = crate::support::TestApp::spawn_with(backend, overrides).await;
    let owner = app.owner("Rotating Ltd").await;
    app.patch(
        "/business",
        &owner.token,
        json!({
            "providers": {
                "twilio": {
                    "account_sid": "AC0123456789abcdef0123456789abcdef",
                    "from_number": "+14155552671",
                    "auth_token": TOKEN,
                },
                "stripe": {"secret_key": "sk_test_123", "webhook_secret": "whsec_abc"},
            },
        }),
    )
    .await;
    let rotate = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_reminder-backend"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("ENV", "testing")
            .env("SECRET_KEY", crate::support::TEST_SECRET_KEY)
            .env("DATABASE_URL", &app.database_url)
            .env("ENCRYPTION_KEY", NEW_KEY)
            .env("ENCRYPTION_KEY_PREVIOUS", OLD_KEY)
            .arg("rotate-keys")
            .output()
            .unwrap()
    };
    let first = rotate();
    let stdout = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(first.status.success(), "{stdout}");
    assert!(stdout.contains("2 re-sealed, 0 already"), "{stdout}");
    let again = rotate();
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 re-sealed, 2 already"));

    // With only the new key every secret still opens: a change that merges over the stored
    // secrets succeeds, and the token still never shows.
    app.overrides
        .insert("ENCRYPTION_KEY".into(), NEW_KEY.into());
    let app = app.restart().await;
    let owner = app.sign_in(&owner.email, crate::support::PASSWORD).await;
    let response = app
        .patch(
            "/business",
            &owner.token,
            json!({"providers": {"twilio": {"from_number": "+14155552672"}}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.text().await.unwrap().contains(TOKEN));
}
crate::support::per_backend!(rotated_keys_keep_every_secret_readable, key_rotation);
