//! Usage per channel (SMS parts as Twilio reports them) and monthly caps that hold sends until
//! the next month.

use std::collections::HashMap;

use chrono::{Datelike, TimeZone, Utc};
use reminder_backend::clock::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::fakes::TwilioFake;
use crate::support::{Backend, TestApp, error_fields, per_backend, problem};

async fn capped(backend: Backend) {
    let twilio = TwilioFake::start().await;
    let overrides: HashMap<String, String> = [
        ("TWILIO_ACCOUNT_SID", twilio.account_sid.clone()),
        ("TWILIO_AUTH_TOKEN", twilio.auth_token.clone()),
        ("TWILIO_FROM_NUMBER", "+15005550006".to_owned()),
        ("TWILIO_API_BASE", twilio.base_url.clone()),
        ("TWILIO_RATE_PER_SECOND", "100".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let app = TestApp::spawn_with_providers(backend, overrides).await;
    let owner = app.owner("Capped Ltd").await;
    let refused = problem(
        app.patch(
            "/business",
            &owner.token,
            json!({"usage_caps": {"sms": -1}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), ["usage_caps.sms"]);
    let business: Value = app
        .patch("/business", &owner.token, json!({"usage_caps": {"sms": 2}}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(business["usage_caps"]["sms"], 2);
    let mut ids = Vec::new();
    for n in 0..3 {
        let client = app
            .client(
                &owner,
                json!({"name": format!("C{n}"), "phone": format!("+44791112345{n}")}),
            )
            .await;
        ids.push(client["id"].clone());
    }
    // 200 characters: two SMS parts each.
    let body = "x".repeat(200);
    app.reminder(
        &owner,
        json!({"title": "t", "channels": ["sms"], "body": body,
               "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")}, "client_ids": ids}),
    )
    .await;
    app.arrive(1);
    app.dispatch_until_idle().await;

    assert_eq!(twilio.messages().len(), 2);
    let held = app.notifications(&owner, "status=pending").await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["error_code"], "quota_exceeded");
    assert_eq!(held[0]["attempt_count"], 0);
    let now = app.clock.now();
    let (year, month) = if now.month() == 12 {
        (now.year() + 1, 1)
    } else {
        (now.year(), now.month() + 1)
    };
    let next_month = Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(held[0]["next_attempt_at"].as_str().unwrap()).unwrap(),
        next_month
    );
    let usage = app.get_json("/business/usage", &owner.token).await;
    assert_eq!(
        usage["channels"]["sms"],
        json!({"messages": 2, "segments": 4, "cap": 2})
    );
    assert_eq!(usage["channels"]["email"]["messages"], 0);

    // A new month: the held one goes.
    app.clock.set(next_month + chrono::Duration::seconds(1));
    app.dispatch_until_idle().await;
    assert_eq!(twilio.messages().len(), 3);
    let usage = app.get_json("/business/usage", &owner.token).await;
    assert_eq!(usage["channels"]["sms"]["messages"], 1);
    // An explicit period covers both months.
    let from = (next_month - chrono::Duration::days(40))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to =
        (next_month + chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let both = app
        .get_json(
            &format!("/business/usage?from={from}&to={to}"),
            &owner.token,
        )
        .await;
    assert_eq!(both["channels"]["sms"]["messages"], 3);
    assert_eq!(both["channels"]["sms"]["segments"], 6);

    // A resend is another message billed: the first send stays counted.
    let sent = app.notifications(&owner, "status=sent").await;
    let resent = app
        .post(
            &format!("/notifications/{}/resend", sent[0]["id"]),
            &owner.token,
            json!({}),
        )
        .await;
    assert_eq!(resent.status(), reqwest::StatusCode::OK);
    app.dispatch_until_idle().await;
    assert_eq!(twilio.messages().len(), 4);
    let both = app
        .get_json(
            &format!("/business/usage?from={from}&to={to}"),
            &owner.token,
        )
        .await;
    assert_eq!(both["channels"]["sms"]["messages"], 4);
    assert_eq!(both["channels"]["sms"]["segments"], 8);
}
per_backend!(usage_is_counted_and_monthly_caps_hold_sends, capped);
