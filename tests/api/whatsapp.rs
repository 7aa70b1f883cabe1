//! WhatsApp end to end through the Cloud API fake: approved templates with per-client
//! parameters, the verification handshake, signed status events (forged ones change nothing),
//! STOP replies, and Meta's error codes classified.

use std::collections::HashMap;

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::fakes::{ScriptedFailure, WhatsappFake};
use crate::support::{Backend, Session, TestApp, per_backend};

const VERIFY_TOKEN: &str = "verify-me-3f9a";

async fn app_with_whatsapp(backend: Backend, whatsapp: &WhatsappFake) -> TestApp {
    let overrides: HashMap<String, String> = [
        ("WHATSAPP_ACCESS_TOKEN", whatsapp.access_token.clone()),
        ("WHATSAPP_PHONE_NUMBER_ID", whatsapp.phone_number_id.clone()),
        ("WHATSAPP_APP_SECRET", whatsapp.app_secret.clone()),
        ("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN.to_owned()),
        ("WHATSAPP_API_BASE", whatsapp.base_url.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    TestApp::spawn_with_providers(backend, overrides).await
}

async fn one(app: &TestApp, owner: &Session, reminder: &Value) -> Value {
    app.notifications(owner, &format!("reminder_id={}", reminder["id"]))
        .await[0]
        .clone()
}

async fn templates_and_status_events(backend: Backend) {
    let whatsapp = WhatsappFake::start().await;
    let app = app_with_whatsapp(backend, &whatsapp).await;
    let owner = app.owner("Chats Ltd").await;
    // The business's default template serves reminders that name none.
    let response = app
        .patch(
            "/business",
            &owner.token,
            json!({"whatsapp_template": {"name": "payment_due", "language": "en_GB",
                    "parameters": ["{{ client.name }}", "{{ business.name }}"]}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let zoe = app
        .client(
            &owner,
            json!({"name": "Zoë", "phone": "+447911123456", "whatsapp_opt_in": true}),
        )
        .await;
    let created = app.once_for(&owner, &zoe, "whatsapp", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;

    assert!(
        whatsapp.violations().is_empty(),
        "{:?}",
        whatsapp.violations()
    );
    let sent = whatsapp.messages();
    assert_eq!(sent.len(), 1);
    let (wamid, body) = &sent[0];
    assert_eq!(body["to"], "447911123456");
    assert_eq!(body["type"], "template");
    assert_eq!(body["template"]["name"], "payment_due");
    assert_eq!(body["template"]["language"]["code"], "en_GB");
    assert_eq!(
        body["template"]["components"][0]["parameters"],
        json!([{"type": "text", "text": "Zoë"}, {"type": "text", "text": "Chats Ltd"}])
    );
    let row = one(&app, &owner, &created).await;
    assert_eq!(row["status"], "sent");
    assert_eq!(row["provider"], "whatsapp");
    assert_eq!(row["provider_message_id"], wamid.as_str());

    // Forged (wrong app secret): refused, nothing changes.
    let delivered = whatsapp.status_event(wamid, "+447911123456", "delivered", None);
    let forged = whatsapp
        .post_event(&app.address, &delivered, "not-the-secret")
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(one(&app, &owner, &created).await["status"], "sent");

    // delivered, then read; repeats and a late `delivered` do not move it back.
    for event in [&delivered, &delivered] {
        let response = whatsapp
            .post_event(&app.address, event, &whatsapp.app_secret)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(one(&app, &owner, &created).await["status"], "delivered");
    let read = whatsapp.status_event(wamid, "+447911123456", "read", None);
    whatsapp
        .post_event(&app.address, &read, &whatsapp.app_secret)
        .await;
    whatsapp
        .post_event(&app.address, &delivered, &whatsapp.app_secret)
        .await;
    let row = one(&app, &owner, &created).await;
    assert_eq!(row["status"], "read");
    assert!(row["delivered_at"].is_string());

    // A reminder's own text goes as text when no template exists at all; Meta's later 131047
    // is recorded as a permanent failure that says what to do.
    app.patch(
        "/business",
        &owner.token,
        json!({"whatsapp_template": null}),
    )
    .await;
    let text = app.once_for(&owner, &zoe, "whatsapp", 2).await;
    app.arrive(2);
    app.dispatch_until_idle().await;
    let (wamid, body) = whatsapp.messages()[1].clone();
    assert_eq!(body["type"], "text");
    assert_eq!(body["text"]["body"], "x");
    let failed = whatsapp.status_event(&wamid, "+447911123456", "failed", Some(131047));
    whatsapp
        .post_event(&app.address, &failed, &whatsapp.app_secret)
        .await;
    let row = one(&app, &owner, &text).await;
    assert_eq!(row["status"], "failed");
    assert_eq!(row["error_code"], "131047");
    assert!(
        row["error_message"]
            .as_str()
            .unwrap()
            .contains("whatsapp_template")
    );
}
per_backend!(
    whatsapp_sends_templates_and_signed_status_events_update_it,
    templates_and_status_events
);

async fn handshake_stop_and_errors(backend: Backend) {
    let whatsapp = WhatsappFake::start().await;
    let app = app_with_whatsapp(backend, &whatsapp).await;
    // Verification handshake.
    let good = app
        .request(
            reqwest::Method::GET,
            &format!("/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY_TOKEN}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), StatusCode::OK);
    assert_eq!(good.text().await.unwrap(), "1158201444");
    let bad = app
        .request(
            reqwest::Method::GET,
            "/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::FORBIDDEN);

    let owner = app.owner("Replies Ltd").await;
    let zoe = app
        .client(
            &owner,
            json!({"name": "Zoë", "phone": "+447911123456", "whatsapp_opt_in": true}),
        )
        .await;

    // Rate limit (130429): retried later, then sent. Undeliverable (131026): failed at once.
    whatsapp.fail_next(ScriptedFailure {
        status: 429,
        code: 130429,
        message: "Rate limit hit".into(),
        retry_after: None,
    });
    let limited = app.once_for(&owner, &zoe, "whatsapp", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    let row = one(&app, &owner, &limited).await;
    assert_eq!(
        (row["status"].as_str(), row["error_code"].as_str()),
        (Some("pending"), Some("130429"))
    );
    app.clock.advance(Duration::hours(1));
    app.dispatch_until_idle().await;
    assert_eq!(one(&app, &owner, &limited).await["status"], "sent");
    whatsapp.fail_next(ScriptedFailure {
        status: 400,
        code: 131026,
        message: "Message undeliverable".into(),
        retry_after: None,
    });
    let undeliverable = app.once_for(&owner, &zoe, "whatsapp", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    let row = one(&app, &owner, &undeliverable).await;
    assert_eq!(
        (row["status"].as_str(), row["error_code"].as_str()),
        (Some("failed"), Some("131026"))
    );
    assert_eq!(row["attempt_count"], 1);

    // STOP (forged first: refused), then real: opted out; the next one is skipped.
    let stop = whatsapp.text_event("+447911123456", "stop");
    assert_eq!(
        whatsapp
            .post_event(&app.address, &stop, "forged")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let client = app
        .get_json(&format!("/clients/{}", zoe["id"]), &owner.token)
        .await;
    assert_eq!(client["opted_out"]["whatsapp"], false);
    whatsapp
        .post_event(&app.address, &stop, &whatsapp.app_secret)
        .await;
    let client = app
        .get_json(&format!("/clients/{}", zoe["id"]), &owner.token)
        .await;
    assert_eq!(client["opted_out"]["whatsapp"], true);
    let after = app.once_for(&owner, &zoe, "whatsapp", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    assert_eq!(one(&app, &owner, &after).await["error_code"], "opted_out");
    assert_eq!(whatsapp.messages().len(), 1);
    assert!(
        whatsapp.violations().is_empty(),
        "{:?}",
        whatsapp.violations()
    );
}
per_backend!(
    whatsapp_handshake_stop_replies_and_error_codes,
    handshake_stop_and_errors
);

async fn business_number(backend: Backend) {
    let platform = WhatsappFake::start().await;
    let own = platform.another_number();
    let app = app_with_whatsapp(backend, &platform).await;
    let firm = app.owner("Own Number Ltd").await;
    let response = app
        .patch(
            "/business",
            &firm.token,
            json!({"providers": {"whatsapp": {"phone_number_id": own.phone_number_id,
                    "access_token": own.access_token, "app_secret": own.app_secret}}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let shown = response.text().await.unwrap();
    assert!(!shown.contains(&own.access_token) && !shown.contains(&own.app_secret));
    let other = app.owner("Platform Number Ltd").await;
    let mine = app
        .client(
            &firm,
            json!({"name": "A", "phone": "+447911123456", "whatsapp_opt_in": true}),
        )
        .await;
    let theirs = app
        .client(
            &other,
            json!({"name": "B", "phone": "+447911123456", "whatsapp_opt_in": true}),
        )
        .await;
    let mine_reminder = app.once_for(&firm, &mine, "whatsapp", 1).await;
    let their_reminder = app.once_for(&other, &theirs, "whatsapp", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    assert_eq!(own.messages().len(), 1);
    assert_eq!(platform.messages().len(), 1);
    assert!(own.violations().is_empty());

    // The platform app cannot report on the firm's message, nor the firm's app on the
    // platform's: events for numbers the signing app does not own change nothing.
    let (own_wamid, _) = own.messages()[0].clone();
    let (platform_wamid, _) = platform.messages()[0].clone();
    let spoof = own.status_event(&own_wamid, "+447911123456", "failed", Some(131026));
    platform
        .post_event(&app.address, &spoof, &platform.app_secret)
        .await;
    let cross = platform.status_event(&platform_wamid, "+447911123456", "failed", Some(131026));
    own.post_event(&app.address, &cross, &own.app_secret).await;
    assert_eq!(one(&app, &firm, &mine_reminder).await["status"], "sent");
    assert_eq!(one(&app, &other, &their_reminder).await["status"], "sent");

    // Signed by the right app, it applies; a STOP to the firm's number concerns its clients only.
    let delivered = own.status_event(&own_wamid, "+447911123456", "delivered", None);
    own.post_event(&app.address, &delivered, &own.app_secret)
        .await;
    assert_eq!(
        one(&app, &firm, &mine_reminder).await["status"],
        "delivered"
    );
    own.post_event(
        &app.address,
        &own.text_event("+447911123456", "STOP"),
        &own.app_secret,
    )
    .await;
    let view = |session: &Session, client: &Value| {
        let path = format!("/clients/{}", client["id"]);
        let token = session.token.clone();
        let app = &app;
        async move { app.get_json(&path, &token).await }
    };
    assert_eq!(view(&firm, &mine).await["opted_out"]["whatsapp"], true);
    assert_eq!(view(&other, &theirs).await["opted_out"]["whatsapp"], false);
}
per_backend!(
    a_business_whatsapp_number_is_used_and_isolated,
    business_number
);
