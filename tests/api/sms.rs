//! SMS end to end through the Twilio fake: the exact request, signed status callbacks (forged
//! ones change nothing), STOP and START replies, error codes classified, pacing per sender.

use std::collections::HashMap;

use chrono::Duration;
use reminder_backend::clock::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::fakes::{ScriptedFailure, TwilioFake};
use crate::support::{Backend, Session, TestApp, per_backend};

const FROM: &str = "+15005550006";
const PUBLIC: &str = "http://reminders.test";

async fn app_with_twilio(backend: Backend, twilio: &TwilioFake, rate: &str) -> TestApp {
    let overrides: HashMap<String, String> = [
        ("TWILIO_ACCOUNT_SID", twilio.account_sid.clone()),
        ("TWILIO_AUTH_TOKEN", twilio.auth_token.clone()),
        ("TWILIO_FROM_NUMBER", FROM.to_owned()),
        ("TWILIO_API_BASE", twilio.base_url.clone()),
        ("TWILIO_RATE_PER_SECOND", rate.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    TestApp::spawn_with_providers(backend, overrides).await
}

async fn client_view(app: &TestApp, owner: &Session, client: &Value) -> Value {
    app.get_json(&format!("/clients/{}", client["id"]), &owner.token)
        .await
}

async fn one(app: &TestApp, owner: &Session, reminder: &Value) -> Value {
    app.notifications(owner, &format!("reminder_id={}", reminder["id"]))
        .await[0]
        .clone()
}

async fn sms_and_status_callbacks(backend: Backend) {
    let twilio = TwilioFake::start().await;
    let app = app_with_twilio(backend, &twilio, "10").await;
    let owner = app.owner("Texts Ltd").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "phone": "+44 7911 123456"}))
        .await;
    let created = app
        .reminder(
            &owner,
            json!({
                "title": "t",
                "channels": ["sms"],
                "body": "Hi {{ client.name }}, from {{ business.name }}",
                "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")},
                "client_ids": [ann["id"]],
            }),
        )
        .await;
    app.arrive(1);
    app.dispatch_until_idle().await;

    assert!(twilio.violations().is_empty(), "{:?}", twilio.violations());
    let sent = twilio.messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].param("To"), Some("+447911123456"));
    assert_eq!(sent[0].param("From"), Some(FROM));
    assert_eq!(sent[0].param("Body"), Some("Hi Ann, from Texts Ltd"));
    assert_eq!(
        sent[0].param("StatusCallback"),
        Some(format!("{PUBLIC}/api/v1/webhooks/twilio/status").as_str())
    );
    let row = one(&app, &owner, &created).await;
    assert_eq!(row["status"], "sent");
    assert_eq!(row["provider"], "twilio");
    assert_eq!(row["provider_message_id"], sent[0].sid.as_str());

    // A forged callback (wrong token) is refused and changes nothing.
    let forged = twilio
        .status_callback(
            &app.address,
            &sent[0],
            "failed",
            Some("30003"),
            "not-the-token",
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(one(&app, &owner, &created).await["status"], "sent");
    // Unsigned: refused too.
    let unsigned = app
        .request(reqwest::Method::POST, "/webhooks/twilio/status")
        .form(&[
            ("MessageSid", sent[0].sid.as_str()),
            ("MessageStatus", "failed"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::FORBIDDEN);

    // The real one moves it to delivered; repeats and late earlier states change nothing.
    for status in ["delivered", "delivered", "sent"] {
        let response = twilio
            .status_callback(&app.address, &sent[0], status, None, &twilio.auth_token)
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    let row = one(&app, &owner, &created).await;
    assert_eq!(row["status"], "delivered");
    assert!(row["delivered_at"].is_string());
    // A late failure after delivery does not move it back.
    twilio
        .status_callback(
            &app.address,
            &sent[0],
            "undelivered",
            Some("30003"),
            &twilio.auth_token,
        )
        .await;
    assert_eq!(one(&app, &owner, &created).await["status"], "delivered");

    // Undelivered with a carrier code is recorded with it.
    let other = app.once_for(&owner, &ann, "sms", 2).await;
    app.arrive(2);
    app.dispatch_until_idle().await;
    let second = twilio.messages()[1].clone();
    twilio
        .status_callback(
            &app.address,
            &second,
            "undelivered",
            Some("30003"),
            &twilio.auth_token,
        )
        .await;
    let row = one(&app, &owner, &other).await;
    assert_eq!(row["status"], "failed");
    assert_eq!(row["error_code"], "30003");
    assert!(
        row["error_message"]
            .as_str()
            .unwrap()
            .contains("unreachable")
    );

    // The dashboard's rate is over what SMS reported: one delivered, one not.
    let summary = app.get_json("/dashboard/summary", &owner.token).await;
    assert_eq!(summary["notifications"]["sent"], 1);
    assert_eq!(summary["notifications"]["delivered"], 1);
    assert_eq!(summary["notifications"]["failed"], 1);
    assert_eq!(summary["delivery_rate"], 0.5);
    // An e-mail sent counts as sent, and leaves the rate alone: its delivery is unknown.
    let mail = app
        .client(&owner, json!({"name": "Bea", "email": "bea@example.com"}))
        .await;
    app.once_for(&owner, &mail, "email", 3).await;
    app.arrive(3);
    app.dispatch_until_idle().await;
    let summary = app.get_json("/dashboard/summary", &owner.token).await;
    assert_eq!(summary["notifications"]["sent"], 2);
    assert_eq!(summary["notifications"]["delivered"], 1);
    assert_eq!(summary["delivery_rate"], 0.5);
}
per_backend!(
    sms_goes_through_twilio_and_signed_callbacks_update_it,
    sms_and_status_callbacks
);

async fn twilio_errors(backend: Backend) {
    let twilio = TwilioFake::start().await;
    let app = app_with_twilio(backend, &twilio, "10").await;
    let owner = app.owner("Errors Ltd").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "phone": "+447911123456"}))
        .await;

    // 429 with Retry-After: retried no sooner than asked, then sent.
    twilio.fail_next(ScriptedFailure {
        status: 429,
        code: 20429,
        message: "Too Many Requests".into(),
        retry_after: Some(600),
    });
    let limited = app.once_for(&owner, &ann, "sms", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    let row = one(&app, &owner, &limited).await;
    assert_eq!(row["status"], "pending");
    assert_eq!(row["error_code"], "20429");
    app.clock.advance(Duration::seconds(590));
    app.dispatch_until_idle().await;
    assert_eq!(one(&app, &owner, &limited).await["status"], "pending");
    app.clock.advance(Duration::minutes(30));
    app.dispatch_until_idle().await;
    let row = one(&app, &owner, &limited).await;
    assert_eq!(row["status"], "sent");
    assert_eq!(row["attempt_count"], 2);

    // 21211: permanent at once, with Twilio's code.
    twilio.fail_next(ScriptedFailure {
        status: 400,
        code: 21211,
        message: "The 'To' number is not a valid phone number.".into(),
        retry_after: None,
    });
    let invalid = app.once_for(&owner, &ann, "sms", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    let row = one(&app, &owner, &invalid).await;
    assert_eq!(row["status"], "failed");
    assert_eq!(row["error_code"], "21211");
    assert_eq!(row["attempt_count"], 1);

    // 21610 (the number replied STOP to Twilio): failed, and the opt-out recorded.
    twilio.block("+447911123456");
    let blocked = app.once_for(&owner, &ann, "sms", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    let row = one(&app, &owner, &blocked).await;
    assert_eq!(row["status"], "failed");
    assert_eq!(row["error_code"], "21610");
    assert_eq!(
        client_view(&app, &owner, &ann).await["opted_out"]["sms"],
        true
    );
    let after = app.once_for(&owner, &ann, "sms", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    assert_eq!(one(&app, &owner, &after).await["error_code"], "opted_out");
    assert_eq!(twilio.messages().len(), 1);
    assert!(twilio.violations().is_empty());
}
per_backend!(
    twilio_errors_are_transient_or_permanent_by_code,
    twilio_errors
);

async fn stop_and_start(backend: Backend) {
    let twilio = TwilioFake::start().await;
    let own_account = twilio.another_account();
    let app = app_with_twilio(backend, &twilio, "10").await;
    let owner = app.owner("Stops Ltd").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "phone": "+447911123456"}))
        .await;
    // Another business with its own Twilio account has a client with the same number.
    let other = app.owner("Own Number Ltd").await;
    let response = app
        .patch(
            "/business",
            &other.token,
            json!({"providers": {"twilio": {"account_sid": own_account.account_sid,
                    "auth_token": own_account.auth_token, "from_number": "+15005550007"}}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let namesake = app
        .client(
            &other,
            json!({"name": "Ann elsewhere", "phone": "+447911123456"}),
        )
        .await;

    // Forged STOP: refused, nothing recorded.
    let forged = twilio
        .post_signed(
            &app.address,
            &format!("{PUBLIC}/api/v1/webhooks/twilio/inbound"),
            &[
                ("MessageSid", "SM1"),
                ("AccountSid", twilio.account_sid.as_str()),
                ("From", "+447911123456"),
                ("Body", "STOP"),
            ],
            "forger",
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        client_view(&app, &owner, &ann).await["opted_out"]["sms"],
        false
    );

    // STOP to the platform's number opts out the platform businesses' client only.
    let response = twilio
        .inbound(&app.address, PUBLIC, "+447911123456", FROM, " Stop ")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml")
    );
    assert!(response.text().await.unwrap().contains("<Response/>"));
    assert_eq!(
        client_view(&app, &owner, &ann).await["opted_out"]["sms"],
        true
    );
    assert_eq!(
        client_view(&app, &other, &namesake).await["opted_out"]["sms"],
        false
    );
    let skipped = app.once_for(&owner, &ann, "sms", 1).await;
    let theirs = app.once_for(&other, &namesake, "sms", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    assert_eq!(one(&app, &owner, &skipped).await["error_code"], "opted_out");
    assert_eq!(twilio.messages().len(), 0);
    // The other business's message went through its own account.
    let row = one(&app, &other, &theirs).await;
    assert_eq!(row["status"], "sent", "{row}");
    let theirs_sent = own_account.messages();
    assert_eq!(theirs_sent.len(), 1);
    assert_eq!(theirs_sent[0].param("From"), Some("+15005550007"));

    // That business's account cannot touch the platform business's notifications, nor the
    // other way round: a callback signed by one account for the other's message is ignored.
    twilio
        .status_callback(
            &app.address,
            &theirs_sent[0],
            "failed",
            Some("30007"),
            &twilio.auth_token,
        )
        .await;
    assert_eq!(one(&app, &other, &theirs).await["status"], "sent");

    // START opts back in.
    twilio
        .inbound(&app.address, PUBLIC, "+447911123456", FROM, "START")
        .await;
    assert_eq!(
        client_view(&app, &owner, &ann).await["opted_out"]["sms"],
        false
    );
    let back = app.once_for(&owner, &ann, "sms", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    assert_eq!(one(&app, &owner, &back).await["status"], "sent");
    assert!(twilio.violations().is_empty() && own_account.violations().is_empty());
}
per_backend!(
    stop_and_start_replies_are_honoured_per_account,
    stop_and_start
);

async fn paced(backend: Backend) {
    let twilio = TwilioFake::start().await;
    // One message every 10 s: beyond the first, a batch goes back to the queue, staggered.
    let app = app_with_twilio(backend, &twilio, "0.1").await;
    let owner = app.owner("Busy Ltd").await;
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
    app.reminder(
        &owner,
        json!({"title": "t", "channels": ["sms"], "body": "x",
               "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")},
               "client_ids": ids}),
    )
    .await;
    app.arrive(1);
    let now = app.clock.now();
    app.dispatch_until_idle().await;
    assert_eq!(twilio.messages().len(), 1);
    let list = app.notifications(&owner, "status=pending").await;
    assert_eq!(list.len(), 2);
    for row in &list {
        assert_eq!(row["attempt_count"], 0, "pacing is not an attempt");
    }
    // They come back one slot apart, and then go.
    app.clock.set(now + Duration::seconds(10));
    app.dispatch_until_idle().await;
    assert_eq!(twilio.messages().len(), 2);
    app.clock.set(now + Duration::seconds(20));
    app.dispatch_until_idle().await;
    assert_eq!(twilio.messages().len(), 3);
}
per_backend!(a_batch_is_paced_to_the_senders_rate_not_refused, paced);
