//! Payments end to end against the Stripe fake: a link per client and message, one Checkout
//! Session per payment (reused, idempotent on retry), signed events good, forged, stale and
//! replayed, paid, expired, failed and refunded, paid clients skipped, and the dashboard.

use std::collections::HashMap;

use chrono::Duration;
use reminder_backend::clock::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::fakes::ScriptedFailure;
use crate::support::stripe::{StripeFake, event, post_event, session_object};
use crate::support::{Backend, Session, TestApp, per_backend};

const PLATFORM_KEY: &str = "sk_test_platform_51Hx";
const PLATFORM_SECRET: &str = "whsec_platform_5a1b2c3d";
const FIRM_KEY: &str = "sk_test_firm_77Qa";
const FIRM_SECRET: &str = "whsec_firm_0011aabb";

async fn app_with_stripe(backend: Backend, stripe: &StripeFake) -> TestApp {
    let overrides: HashMap<String, String> = [
        ("STRIPE_SECRET_KEY", PLATFORM_KEY.to_owned()),
        ("STRIPE_WEBHOOK_SECRET", PLATFORM_SECRET.to_owned()),
        ("STRIPE_API_BASE", stripe.base_url.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    TestApp::spawn_with(backend, overrides).await
}

/// A payment reminder of £125 by e-mail for these clients, sent at the next 09:00.
async fn fee_reminder(app: &TestApp, owner: &Session, clients: &[&Value]) -> Value {
    let ids: Vec<Value> = clients.iter().map(|c| c["id"].clone()).collect();
    let created = app
        .reminder(
            owner,
            json!({
                "title": "Annual fee",
                "kind": "payment",
                "channels": ["email"],
                "body": "Please pay {{ amount }}: {{ payment_link }}",
                "schedule": {
                    "type": "recurring",
                    "rrule": "FREQ=DAILY",
                    "start": app.local_in(1, "09:00:00"),
                    "timezone": "UTC",
                },
                "payment": {"amount": 12500, "currency": "gbp", "description": "Annual fee 2027"},
                "client_ids": ids,
            }),
        )
        .await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    created
}

async fn payments(app: &TestApp, owner: &Session, query: &str) -> Vec<Value> {
    let list = app
        .get_json(&format!("/payments?{query}"), &owner.token)
        .await;
    list["items"].as_array().unwrap().clone()
}

async fn payment_of(app: &TestApp, owner: &Session, client: &Value) -> Value {
    payments(app, owner, &format!("client_id={}", client["id"])).await[0].clone()
}

/// The path of the `/pay/` link in the text sent to a client.
fn pay_path(app: &TestApp, client: &Value) -> String {
    let email = client["email"].as_str().unwrap();
    let sent = app.transport.sent();
    let message = sent
        .iter()
        .rev()
        .find(|m| m.recipient == email)
        .expect("a message");
    let start = message.body.find("/pay/").expect("a payment link");
    let end = message.body[start..]
        .find(char::is_whitespace)
        .map_or(message.body.len(), |i| start + i);
    message.body[start..end].to_owned()
}

/// Opens a payment link, as the client's browser would (redirects not followed); Stripe's time
/// follows the app's test clock.
async fn open(app: &TestApp, stripe: &StripeFake, path: &str) -> reqwest::Response {
    stripe.set_time(app.clock.now());
    app.request(reqwest::Method::GET, path)
        .send()
        .await
        .unwrap()
}

async fn links_and_sessions(backend: Backend) {
    let stripe = StripeFake::start(&[PLATFORM_KEY]).await;
    let app = app_with_stripe(backend, &stripe).await;
    let owner = app.owner("Fees Ltd").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "email": "ann@client.test"}))
        .await;
    let bob = app
        .client(&owner, json!({"name": "Bob", "email": "bob@client.test"}))
        .await;
    let created = fee_reminder(&app, &owner, &[&ann, &bob]).await;

    // Each client's message carries its own link and the amount.
    let sent = app.transport.sent();
    assert_eq!(sent.len(), 2);
    assert!(
        sent[0]
            .body
            .starts_with("Please pay £125.00: http://reminders.test/pay/")
    );
    let (ann_link, bob_link) = (pay_path(&app, &ann), pay_path(&app, &bob));
    assert_ne!(ann_link, bob_link);
    let listed = payments(&app, &owner, &format!("reminder_id={}", created["id"])).await;
    assert_eq!(listed.len(), 2);
    for payment in &listed {
        assert_eq!(
            (
                payment["amount"].as_i64(),
                payment["currency"].as_str(),
                payment["status"].as_str()
            ),
            (Some(12500), Some("gbp"), Some("open"))
        );
    }

    // Opening the link makes one Checkout Session and goes there; opening it again reuses it.
    let first = open(&app, &stripe, &ann_link).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("https://checkout.stripe.test/c/pay/cs_test_"));
    let again = open(&app, &stripe, &ann_link).await;
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);
    let sessions = stripe.sessions();
    assert_eq!(sessions.len(), 1);
    assert!(stripe.violations().is_empty(), "{:?}", stripe.violations());
    let params = &sessions[0].params;
    assert_eq!(params["mode"], "payment");
    assert_eq!(params["line_items"][0]["price_data"]["unit_amount"], 12500);
    assert_eq!(params["line_items"][0]["price_data"]["currency"], "gbp");
    assert_eq!(
        params["line_items"][0]["price_data"]["product_data"]["name"],
        "Annual fee 2027"
    );
    assert_eq!(params["line_items"][0]["quantity"], 1);
    assert_eq!(params["customer_email"], "ann@client.test");
    let ann_payment = payment_of(&app, &owner, &ann).await;
    let ann_notification = app
        .notifications(&owner, &format!("client_id={}", ann["id"]))
        .await[0]
        .clone();
    assert_eq!(
        params["metadata"]["payment_id"],
        ann_payment["id"].to_string()
    );
    assert_eq!(
        params["metadata"]["notification_id"],
        ann_notification["id"].to_string()
    );
    assert_eq!(
        params["payment_intent_data"]["metadata"]["payment_id"],
        ann_payment["id"].to_string()
    );
    assert_eq!(
        params["client_reference_id"],
        format!("payment_{}", ann_payment["id"])
    );
    assert!(
        params["success_url"]
            .as_str()
            .unwrap()
            .ends_with("?result=success")
    );
    let requests = stripe.requests();
    assert!(
        requests[0]
            .idempotency_key
            .as_deref()
            .unwrap()
            .starts_with("payment-")
    );

    // Each click is recorded with the notification that carried the link.
    let detail = app
        .get_json(&format!("/payments/{}", ann_payment["id"]), &owner.token)
        .await;
    let clicks = detail["clicks"].as_array().unwrap();
    assert_eq!(clicks.len(), 2);
    assert_eq!(clicks[0]["notification_id"], ann_notification["id"]);
    assert_eq!(clicks[0]["channel"], "email");

    // A forged link is not found; another business cannot see the payment.
    let forged = ann_link.replace(
        &format!("/pay/{}.", ann_payment["id"]),
        &format!("/pay/{}.", ann_payment["id"].as_i64().unwrap() + 1),
    );
    assert_eq!(
        open(&app, &stripe, &forged).await.status(),
        StatusCode::NOT_FOUND
    );
    let other = app.owner("Other Ltd").await;
    assert_eq!(
        app.get(&format!("/payments/{}", ann_payment["id"]), &other.token)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert!(payments(&app, &other, "").await.is_empty());
}
per_backend!(
    each_client_gets_a_link_and_one_reused_checkout_session,
    links_and_sessions
);

async fn retries_are_idempotent(backend: Backend) {
    let stripe = StripeFake::start(&[PLATFORM_KEY]).await;
    let app = app_with_stripe(backend, &stripe).await;
    let owner = app.owner("Retry Ltd").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "email": "ann@client.test"}))
        .await;
    let bob = app
        .client(&owner, json!({"name": "Bob", "email": "bob@client.test"}))
        .await;
    fee_reminder(&app, &owner, &[&ann, &bob]).await;

    // The answer is lost: the retry carries the same key and gets the same session.
    stripe.drop_next_response();
    let response = open(&app, &stripe, &pay_path(&app, &ann)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let requests = stripe.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].idempotency_key, requests[1].idempotency_key);
    assert_eq!(requests[0].params, requests[1].params);
    assert_eq!(requests[0].secret_key, PLATFORM_KEY);
    assert_eq!(stripe.sessions().len(), 1);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with(&stripe.sessions()[0].id)
    );

    // A 500 is saved by Stripe under its key, so the retry uses the next key.
    stripe.fail_next(ScriptedFailure {
        status: 500,
        code: 0,
        message: "Something went wrong on Stripe's end.".into(),
        retry_after: None,
    });
    let response = open(&app, &stripe, &pay_path(&app, &bob)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let requests = stripe.requests();
    assert_eq!(requests.len(), 4);
    assert_ne!(requests[2].idempotency_key, requests[3].idempotency_key);
    assert_eq!(stripe.sessions().len(), 2);

    // An invalid request is permanent: a clear page, no retry loop.
    stripe.fail_next(ScriptedFailure {
        status: 400,
        code: 0,
        message: "Invalid currency".into(),
        retry_after: None,
    });
    let carl = app
        .client(&owner, json!({"name": "Carl", "email": "carl@client.test"}))
        .await;
    fee_reminder(&app, &owner, &[&carl]).await;
    let refused = open(&app, &stripe, &pay_path(&app, &carl)).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    let text = refused.text().await.unwrap();
    assert!(text.contains("cannot be opened"), "{text}");
    assert_eq!(stripe.requests().len(), 5);
    assert!(stripe.violations().is_empty(), "{:?}", stripe.violations());
}
per_backend!(
    stripe_requests_are_retried_without_creating_twice,
    retries_are_idempotent
);

async fn events(backend: Backend) {
    let stripe = StripeFake::start(&[PLATFORM_KEY]).await;
    let app = app_with_stripe(backend, &stripe).await;
    let owner = app.owner("Events Ltd").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "email": "ann@client.test"}))
        .await;
    let bob = app
        .client(&owner, json!({"name": "Bob", "email": "bob@client.test"}))
        .await;
    let created = fee_reminder(&app, &owner, &[&ann, &bob]).await;
    open(&app, &stripe, &pay_path(&app, &ann)).await;
    open(&app, &stripe, &pay_path(&app, &bob)).await;
    let sessions = stripe.sessions();
    let (ann_session, bob_session) = (&sessions[0], &sessions[1]);
    let status = |client: &Value| {
        let client = client.clone();
        let app = &app;
        let owner = &owner;
        async move {
            payment_of(app, owner, &client).await["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };

    // Completed but unpaid (a bank debit): still open.
    let pending = event(
        "checkout.session.completed",
        session_object(ann_session, "unpaid", None),
    );
    assert_eq!(
        post_event(
            &app.address,
            &pending,
            PLATFORM_SECRET,
            app.clock.now().timestamp()
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(status(&ann).await, "open");
    // Forged, stale and unsigned events are refused and change nothing.
    let paid = event(
        "checkout.session.async_payment_succeeded",
        session_object(ann_session, "paid", Some("pi_ann_1")),
    );
    assert_eq!(
        post_event(
            &app.address,
            &paid,
            "whsec_forger",
            app.clock.now().timestamp()
        )
        .await
        .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post_event(
            &app.address,
            &paid,
            PLATFORM_SECRET,
            app.clock.now().timestamp() - 301
        )
        .await
        .status(),
        StatusCode::BAD_REQUEST
    );
    let unsigned = app
        .request(reqwest::Method::POST, "/webhooks/stripe")
        .json(&paid)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::BAD_REQUEST);
    assert_eq!(status(&ann).await, "open");
    // The real one: paid.
    assert_eq!(
        post_event(
            &app.address,
            &paid,
            PLATFORM_SECRET,
            app.clock.now().timestamp()
        )
        .await
        .status(),
        StatusCode::OK
    );
    let ann_payment = payment_of(&app, &owner, &ann).await;
    assert_eq!(ann_payment["status"], "paid");
    assert_eq!(ann_payment["provider_ref"], "pi_ann_1");
    assert!(ann_payment["paid_at"].is_string());
    let thanks = open(&app, &stripe, &pay_path(&app, &ann)).await;
    assert_eq!(thanks.status(), StatusCode::OK);
    let thanks = thanks.text().await.unwrap();
    assert!(thanks.contains("Already paid"), "{thanks}");
    assert!(
        thanks.contains("href=\"/static/console.css\""),
        "in the console's look: {thanks}"
    );

    // The paid client hears no more: the next occurrence skips them with `paid`.
    app.clock.advance(Duration::days(1));
    app.dispatch_until_idle().await;
    let latest = |client: &Value| {
        let client = client.clone();
        let app = &app;
        let owner = &owner;
        async move {
            app.notifications(owner, &format!("client_id={}", client["id"]))
                .await[0]
                .clone()
        }
    };
    let skipped = latest(&ann).await;
    assert_eq!(
        (skipped["status"].as_str(), skipped["error_code"].as_str()),
        (Some("skipped"), Some("paid"))
    );
    assert_eq!(latest(&bob).await["status"], "sent");
    // A manual send skips them too.
    let manual: Value = app
        .post(
            &format!("/reminders/{}/send", created["id"]),
            &owner.token,
            json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = manual["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["client_id"] == ann["id"])
        .map(|n| n["error_code"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(codes, ["paid"]);

    // Replaying an event is acknowledged and does nothing; a full refund makes it due again.
    let refund = event(
        "charge.refunded",
        json!({
            "payment_intent": "pi_ann_1",
            "refunded": true,
            "amount_refunded": 12500,
            "metadata": {},
        }),
    );
    assert_eq!(
        post_event(
            &app.address,
            &refund,
            PLATFORM_SECRET,
            app.clock.now().timestamp()
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(status(&ann).await, "refunded");
    assert_eq!(
        post_event(
            &app.address,
            &paid,
            PLATFORM_SECRET,
            app.clock.now().timestamp()
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        status(&ann).await,
        "refunded",
        "a replayed event is not processed again"
    );
    app.clock.advance(Duration::days(1));
    app.dispatch_until_idle().await;
    assert_eq!(latest(&ann).await["status"], "sent");

    // Bob's session lapses: expired; his link then makes a new session.
    let expired = event(
        "checkout.session.expired",
        session_object(bob_session, "unpaid", None),
    );
    post_event(
        &app.address,
        &expired,
        PLATFORM_SECRET,
        app.clock.now().timestamp(),
    )
    .await;
    assert_eq!(status(&bob).await, "expired");
    let reopened = open(&app, &stripe, &pay_path(&app, &bob)).await;
    assert_eq!(reopened.status(), StatusCode::SEE_OTHER);
    assert_eq!(stripe.sessions().len(), 3);
    assert_eq!(status(&bob).await, "open");
    // A failed payment attempt: failed.
    let failed = event(
        "payment_intent.payment_failed",
        json!({
            "id": "pi_bob_1",
            "metadata": stripe.sessions()[2].params["payment_intent_data"]["metadata"],
        }),
    );
    post_event(
        &app.address,
        &failed,
        PLATFORM_SECRET,
        app.clock.now().timestamp(),
    )
    .await;
    assert_eq!(status(&bob).await, "failed");
    // Unknown types are acknowledged and ignored.
    let unknown = event("payment_intent.succeeded", json!({"metadata": {}}));
    assert_eq!(
        post_event(
            &app.address,
            &unknown,
            PLATFORM_SECRET,
            app.clock.now().timestamp()
        )
        .await
        .status(),
        StatusCode::OK
    );

    // The dashboard: Ann's £125 is owed again (refunded), Bob's failed one is owed.
    let summary = app.get_json("/dashboard/summary", &owner.token).await;
    assert_eq!(
        summary["payments"]["by_status"],
        json!({"failed": 1, "refunded": 1})
    );
    assert_eq!(summary["payments"]["paid"], json!({}));
    assert_eq!(summary["payments"]["outstanding"], json!({"gbp": 25000}));
    assert_eq!(summary["upcoming"][0]["reminder_id"], created["id"]);
    assert!(stripe.violations().is_empty(), "{:?}", stripe.violations());
}
per_backend!(
    signed_stripe_events_move_payments_and_paid_clients_are_skipped,
    events
);

async fn dashboard_and_own_account(backend: Backend) {
    let stripe = StripeFake::start(&[PLATFORM_KEY, FIRM_KEY]).await;
    let app = app_with_stripe(backend, &stripe).await;
    let owner = app.owner("Own Stripe Ltd").await;
    let response = app
        .patch(
            "/business",
            &owner.token,
            json!({
                "providers": {
                    "stripe": {"secret_key": FIRM_KEY, "webhook_secret": FIRM_SECRET},
                },
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let clients: Vec<Value> = {
        let mut all = Vec::new();
        for name in ["a", "b", "c"] {
            all.push(
                app.client(
                    &owner,
                    json!({"name": name, "email": format!("{name}@client.test")}),
                )
                .await,
            );
        }
        all
    };
    let refs: Vec<&Value> = clients.iter().collect();
    fee_reminder(&app, &owner, &refs).await;
    open(&app, &stripe, &pay_path(&app, &clients[0])).await;
    let session = stripe.sessions()[0].clone();
    // The business's own key made it.
    assert_eq!(session.secret_key, FIRM_KEY);
    let paid = event(
        "checkout.session.completed",
        session_object(&session, "paid", Some("pi_a")),
    );
    // The platform's secret does not speak for the business's own account.
    assert_eq!(
        post_event(
            &app.address,
            &paid,
            PLATFORM_SECRET,
            app.clock.now().timestamp()
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        payment_of(&app, &owner, &clients[0]).await["status"],
        "open"
    );
    assert_eq!(
        post_event(
            &app.address,
            &paid,
            FIRM_SECRET,
            app.clock.now().timestamp()
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        payment_of(&app, &owner, &clients[0]).await["status"],
        "paid"
    );

    // Three e-mails sent: SMTP never reports delivery, so the rate is unknown, not 0.
    let sent = app.notifications(&owner, "").await;
    assert_eq!(sent.len(), 3);
    let summary = app.get_json("/dashboard/summary", &owner.token).await;
    assert_eq!(summary["notifications"]["total"], 3);
    assert_eq!(summary["notifications"]["by_status"], json!({"sent": 3}));
    assert_eq!(summary["notifications"]["by_channel"], json!({"email": 3}));
    assert_eq!(summary["notifications"]["sent"], 3);
    assert_eq!(summary["notifications"]["delivered"], 0);
    assert_eq!(summary["notifications"]["failed"], 0);
    assert_eq!(summary["delivery_rate"], Value::Null);
    assert_eq!(
        summary["payments"]["by_status"],
        json!({"open": 2, "paid": 1})
    );
    assert_eq!(summary["payments"]["paid"], json!({"gbp": 12500}));
    assert_eq!(summary["payments"]["outstanding"], json!({"gbp": 25000}));
    // A window before anything happened is empty.
    let empty = app
        .get_json(
            "/dashboard/summary?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z",
            &owner.token,
        )
        .await;
    assert_eq!(empty["notifications"]["total"], 0);
    assert_eq!(empty["delivery_rate"], Value::Null);
    assert_eq!(empty["payments"]["outstanding"], json!({}));
}
per_backend!(
    a_business_stripe_account_and_the_dashboard_sums,
    dashboard_and_own_account
);
