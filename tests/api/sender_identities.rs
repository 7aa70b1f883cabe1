//! Sender identities: a code sent to the address or number (through the real SMTP server and the
//! Twilio fake), good and bad codes, expiry and exhaustion, defaults, reminders naming one, and
//! the messages going out as the verified identity.

use std::collections::HashMap;

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::fakes::{TwilioFake, WhatsappFake};
use crate::support::smtp::{SmtpServer, header};
use crate::support::{Backend, Session, TestApp, error_fields, per_backend, problem};

const PLATFORM_FROM_NUMBER: &str = "+15005550006";

/// The platform's SMTP server and Twilio account, and `extra` settings.
async fn app_with_providers(
    backend: Backend,
    smtp: &SmtpServer,
    twilio: &TwilioFake,
    extra: &[(&str, String)],
) -> TestApp {
    let overrides: HashMap<String, String> = [
        ("SMTP_HOST", "127.0.0.1".to_owned()),
        ("SMTP_PORT", smtp.port.to_string()),
        ("SMTP_TLS", "none".to_owned()),
        ("EMAIL_FROM", "reminders@platform.test".to_owned()),
        ("TWILIO_ACCOUNT_SID", twilio.account_sid.clone()),
        ("TWILIO_AUTH_TOKEN", twilio.auth_token.clone()),
        ("TWILIO_FROM_NUMBER", PLATFORM_FROM_NUMBER.to_owned()),
        ("TWILIO_API_BASE", twilio.base_url.clone()),
        ("TWILIO_RATE_PER_SECOND", "50".to_owned()),
    ]
    .into_iter()
    .chain(extra.iter().cloned())
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    TestApp::spawn_with_providers(backend, overrides).await
}

/// The six-digit code at the start of a verification message.
fn code_in(text: &str) -> String {
    let code: String = text.chars().take_while(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6, "no code at the start of {text:?}");
    code
}

/// A code other than `code`.
fn wrong(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

async fn create(app: &TestApp, owner: &Session, body: Value) -> Value {
    let response = app.post("/sender-identities", &owner.token, body).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn verify(app: &TestApp, owner: &Session, identity: &Value, code: &str) -> reqwest::Response {
    app.post(
        &format!("/sender-identities/{}/verify", identity["id"]),
        &owner.token,
        json!({"code": code}),
    )
    .await
}

/// The last SMS the Twilio fake took for `to`.
fn last_sms_to(twilio: &TwilioFake, to: &str) -> String {
    twilio
        .messages()
        .iter()
        .rev()
        .find(|m| m.param("To") == Some(to))
        .and_then(|m| m.param("Body").map(str::to_owned))
        .unwrap_or_else(|| panic!("no SMS to {to}"))
}

async fn email_identity_is_verified_then_sends_as_the_default(backend: Backend) {
    let smtp = SmtpServer::start(None);
    let twilio = TwilioFake::start().await;
    let app = app_with_providers(backend, &smtp, &twilio, &[]).await;
    let owner = app.owner("Books & Co").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "email": "ann@client.test"}))
        .await;

    // Members may not add one; bad input changes nothing.
    let member = app.staff(&owner, "member@books.test", "member").await;
    problem(
        app.post(
            "/sender-identities",
            &member.token,
            json!({"channel": "email", "address": "billing@books.test"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let refused = problem(
        app.post(
            "/sender-identities",
            &owner.token,
            json!({
                "channel": "email",
                "address": "not an address",
                "display_name": "A\r\nBcc: x@y.test",
                "phone_number_id": "123",
            }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&refused),
        ["address", "display_name", "phone_number_id"]
    );
    assert!(smtp.messages().is_empty());

    let identity = create(
        &app,
        &owner,
        json!({
            "channel": "email",
            "address": "Billing@Books.test",
            "display_name": "Books Billing",
        }),
    )
    .await;
    assert_eq!(identity["address"], "billing@books.test");
    assert_eq!(identity["verified"], false);
    assert_eq!(identity["code_delivery"]["sent"], true, "{identity}");
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["rcpt_tos"], json!(["billing@books.test"]));
    // The code goes out from the platform's sender: the identity is not proved yet.
    assert_eq!(mails[0]["mail_from"], "reminders@platform.test");
    let code = code_in(mails[0]["text"].as_str().unwrap());
    problem(
        app.post(
            "/sender-identities",
            &owner.token,
            json!({"channel": "email", "address": "billing@books.test"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;

    // Unverified: neither a default nor named by a reminder.
    let path = format!("/sender-identities/{}", identity["id"]);
    let refused = problem(
        app.patch(&path, &owner.token, json!({"is_default": true}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not verified")
    );
    let reminder_body = json!({"title": "VAT", "channels": ["email"], "body": "VAT is due.",
        "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")},
        "client_ids": [ann["id"]], "sender_identity_ids": [identity["id"]]});
    let refused = problem(
        app.post("/reminders", &owner.token, reminder_body.clone())
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), ["sender_identity_ids"]);
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("is not verified")
    );

    // A wrong code is refused and counted; the right one verifies.
    let refused = problem(
        verify(&app, &owner, &identity, &wrong(&code)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("4 tries left")
    );
    let shown = app.get_json(&path, &owner.token).await;
    assert_eq!(shown["verified"], false);
    let verified: Value = verify(&app, &owner, &identity, &format!(" {code} "))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verified["verified"], true, "{verified}");
    problem(
        app.post(&format!("{path}/code"), &owner.token, json!({}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    let made_default: Value = app
        .patch(&path, &owner.token, json!({"is_default": true}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(made_default["is_default"], true);

    // A reminder naming no identity sends as the default: From is the identity and its name.
    app.reminder(
        &owner,
        json!({"title": "VAT", "channels": ["email"], "body": "VAT is due.",
               "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")},
               "client_ids": [ann["id"]]}),
    )
    .await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    let mails = smtp.messages();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1]["rcpt_tos"], json!(["ann@client.test"]));
    assert_eq!(mails[1]["mail_from"], "billing@books.test");
    assert_eq!(
        header(&mails[1], "From").unwrap(),
        "Books Billing <billing@books.test>"
    );

    // A second verified identity made default takes over from the first.
    let second = create(
        &app,
        &owner,
        json!({"channel": "email", "address": "desk@books.test"}),
    )
    .await;
    let code = code_in(smtp.messages()[2]["text"].as_str().unwrap());
    assert_eq!(
        verify(&app, &owner, &second, &code).await.status(),
        StatusCode::OK
    );
    app.patch(
        &format!("/sender-identities/{}", second["id"]),
        &owner.token,
        json!({"is_default": true}),
    )
    .await;
    let list = app.get_json("/sender-identities", &owner.token).await;
    let defaults: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["is_default"] == true)
        .map(|i| &i["address"])
        .collect();
    assert_eq!(defaults, [&json!("desk@books.test")]);

    // Another business sees none of it.
    let other = app.owner("Other Ltd").await;
    problem(app.get(&path, &other.token).await, StatusCode::NOT_FOUND).await;
    let listed = app.get_json("/sender-identities", &other.token).await;
    assert_eq!(listed["items"], json!([]));
    assert_eq!(listed["total"], 0);
    let log = app
        .get_json("/audit-log?action=sender_identities.verified", &owner.token)
        .await;
    assert_eq!(log["total"], 2);
}
per_backend!(
    email_identity_is_verified_then_sends_as_the_default,
    email_identity_is_verified_then_sends_as_the_default
);

async fn phone_identity_codes_expire_run_out_and_name_the_sms_sender(backend: Backend) {
    let smtp = SmtpServer::start(None);
    let twilio = TwilioFake::start().await;
    let app = app_with_providers(backend, &smtp, &twilio, &[]).await;
    let owner = app.owner("Texts Ltd").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "phone": "+44 7911 123456"}))
        .await;
    let number = "+447911123457";
    let identity = create(
        &app,
        &owner,
        json!({"channel": "sms", "address": "+44 7911 123457"}),
    )
    .await;
    assert_eq!(identity["address"], number);
    let first = code_in(&last_sms_to(&twilio, number));
    let sent = twilio.messages();
    assert_eq!(sent[0].param("From"), Some(PLATFORM_FROM_NUMBER));

    // One code a minute.
    let path = format!("/sender-identities/{}", identity["id"]);
    let response = app
        .post(&format!("{path}/code"), &owner.token, json!({}))
        .await;
    assert!(response.headers().contains_key("retry-after"));
    problem(response, StatusCode::TOO_MANY_REQUESTS).await;

    // Fifteen minutes on, the code has expired.
    app.clock.advance(Duration::minutes(16));
    let refused = problem(
        verify(&app, &owner, &identity, &first).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    // A new code replaces it: the old one no longer counts.
    let resent: Value = app
        .post(&format!("{path}/code"), &owner.token, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resent["code_delivery"]["sent"], true, "{resent}");
    let second = code_in(&last_sms_to(&twilio, number));
    if second != first {
        problem(
            verify(&app, &owner, &identity, &first).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    assert_eq!(
        verify(&app, &owner, &identity, &second).await.status(),
        StatusCode::OK
    );

    // Five wrong codes use a code up: the right one is then refused too.
    let guessed = create(
        &app,
        &owner,
        json!({"channel": "sms", "address": "+447911123458"}),
    )
    .await;
    let right = code_in(&last_sms_to(&twilio, "+447911123458"));
    for _ in 0..5 {
        problem(
            verify(&app, &owner, &guessed, &wrong(&right)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let refused = problem(
        verify(&app, &owner, &guessed, &right).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too many wrong codes")
    );

    // An identity on a channel the reminder does not use is refused.
    let email_only = json!({"title": "t", "channels": ["email"], "body": "x",
        "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")},
        "sender_identity_ids": [identity["id"]]});
    let refused = problem(
        app.post("/reminders", &owner.token, email_only).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), ["sender_identity_ids"]);

    // A reminder naming the verified number sends from it.
    let named = app
        .reminder(
            &owner,
            json!({"title": "t", "channels": ["sms"], "body": "Hi {{ client.name }}",
               "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")},
               "client_ids": [ann["id"]], "sender_identity_ids": [identity["id"]]}),
        )
        .await;
    assert_eq!(named["sender_identity_ids"], json!([identity["id"]]));
    app.arrive(1);
    app.dispatch_until_idle().await;
    let to_ann: Vec<_> = twilio
        .messages()
        .into_iter()
        .filter(|m| m.param("To") == Some("+447911123456"))
        .collect();
    assert_eq!(to_ann.len(), 1);
    assert_eq!(to_ann[0].param("From"), Some(number));
    assert_eq!(to_ann[0].param("Body"), Some("Hi Ann"));
    assert!(twilio.violations().is_empty(), "{:?}", twilio.violations());

    // Another business can neither see nor name it.
    let other = app.owner("Other Ltd").await;
    problem(app.get(&path, &other.token).await, StatusCode::NOT_FOUND).await;
    let refused = problem(
        app.post(
            "/reminders",
            &other.token,
            json!({"title": "t", "channels": ["sms"], "body": "x",
                   "schedule": {"type": "once", "at": app.local_in(2, "09:00:00")},
                   "sender_identity_ids": [identity["id"]]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no such sender identity")
    );

    // In use by a reminder that could still send: not deleted until it stops naming it.
    let pending = app
        .reminder(
            &owner,
            json!({"title": "t", "channels": ["sms"], "body": "x",
               "schedule": {"type": "once", "at": app.local_in(3, "09:00:00")},
               "sender_identity_ids": [identity["id"]]}),
        )
        .await;
    problem(app.delete(&path, &owner.token).await, StatusCode::CONFLICT).await;
    for id in [&named["id"], &pending["id"]] {
        let changed: Value = app
            .patch(
                &format!("/reminders/{id}"),
                &owner.token,
                json!({"sender_identity_ids": []}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(changed["sender_identity_ids"], json!([]), "{changed}");
    }
    assert_eq!(
        app.delete(&path, &owner.token).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(app.get(&path, &owner.token).await, StatusCode::NOT_FOUND).await;
}
per_backend!(
    phone_identity_codes_expire_run_out_and_name_the_sms_sender,
    phone_identity_codes_expire_run_out_and_name_the_sms_sender
);

async fn whatsapp_identity_sends_from_its_own_number(backend: Backend) {
    let smtp = SmtpServer::start(None);
    let twilio = TwilioFake::start().await;
    let whatsapp = WhatsappFake::start().await;
    let second_number = whatsapp.same_app_number();
    let extra = [("WHATSAPP_API_BASE", whatsapp.base_url.clone())];
    let app = app_with_providers(backend, &smtp, &twilio, &extra).await;
    let owner = app.owner("Chats Ltd").await;
    let ann = app
        .client(
            &owner,
            json!({"name": "Ann", "phone": "+447911123456", "whatsapp_opt_in": true}),
        )
        .await;
    let body = json!({"channel": "whatsapp", "address": "+447911123459",
                      "phone_number_id": second_number.phone_number_id});
    // The number belongs to an app: the business's own WhatsApp account must be set first.
    let refused = problem(
        app.post("/sender-identities", &owner.token, body.clone())
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), ["channel"]);
    let response = app
        .patch(
            "/business",
            &owner.token,
            json!({"providers": {"whatsapp": {"phone_number_id": whatsapp.phone_number_id,
                   "access_token": whatsapp.access_token, "app_secret": whatsapp.app_secret}}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let identity = create(&app, &owner, body).await;
    // Proved by SMS, which a WhatsApp Business number receives too.
    let code = code_in(&last_sms_to(&twilio, "+447911123459"));
    assert_eq!(
        verify(&app, &owner, &identity, &code).await.status(),
        StatusCode::OK
    );
    app.reminder(
        &owner,
        json!({"title": "t", "channels": ["whatsapp"], "body": "Hi {{ client.name }}",
               "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")},
               "client_ids": [ann["id"]], "sender_identity_ids": [identity["id"]]}),
    )
    .await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    assert!(whatsapp.messages().is_empty());
    let sent = second_number.messages();
    assert_eq!(sent.len(), 1, "{:?}", whatsapp.violations());
    assert_eq!(sent[0].1["to"], "447911123456");

    // Its status events, signed by the business's app, move the notification on.
    let delivered = second_number.status_event(&sent[0].0, "+447911123456", "delivered", None);
    let response = second_number
        .post_event(&app.address, &delivered, &whatsapp.app_secret)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let notes = app.notifications(&owner, "channel=whatsapp").await;
    assert_eq!(notes[0]["status"], "delivered", "{}", notes[0]);
}
per_backend!(
    whatsapp_identity_sends_from_its_own_number,
    whatsapp_identity_sends_from_its_own_number
);
