//! What an attacker tries in an afternoon, each refused: guessing passwords in a burst,
//! changing a password with a stolen token, taking over an account by its reset link, reaching
//! internal services through a tenant's SMTP host, schedules that fire every second, inputs that
//! overflow, a webhook event id posted first under another account, a resend to a client who
//! opted out.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::fakes::TwilioFake;
use crate::support::{
    Backend, PASSWORD, TestApp, db_test, error_fields, per_backend, problem, settings,
};

/// Sends `attempts` sign-ins at once; the statuses in the order given.
async fn burst(app: &TestApp, email: &str, passwords: &[&str]) -> Vec<StatusCode> {
    join_all(
        passwords
            .iter()
            .map(|password| async move { app.login(email, password).await.status() }),
    )
    .await
}

async fn guesses_in_a_burst(backend: Backend) {
    // The per-minute limiter is set out of the way: every 429 here is the lockout's.
    let overrides = settings(&[("RATE_LIMIT_AUTH_PER_MINUTE", "100000")]);
    let app = TestApp::spawn_with(backend, overrides).await;
    app.register("Burst", "b@burst.example.com").await;
    let statuses = burst(&app, "b@burst.example.com", &["Wrong-Password-1"; 30]).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, refused), (5, 25), "{statuses:?}");

    // A burst of 99 wrong guesses and the right password last: the right one is not checked
    // either, and the refusal says how long to wait.
    app.register("Burst Two", "b2@burst.example.com").await;
    let mut passwords = vec!["Wrong-Password-1"; 99];
    passwords.push(PASSWORD);
    let statuses = burst(&app, "b2@burst.example.com", &passwords).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(checked <= 5, "{checked} guesses were checked");
    assert!(!statuses.contains(&StatusCode::OK), "{statuses:?}");
    let locked = app.login("b2@burst.example.com", PASSWORD).await;
    let wait: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 900, "{wait}");
    problem(locked, StatusCode::TOO_MANY_REQUESTS).await;
}
per_backend!(
    a_burst_of_guesses_checks_at_most_the_limit,
    guesses_in_a_burst
);

async fn changing_a_password_proves_the_old_one_and_ends_the_other_sessions(app: TestApp) {
    let owner = app.owner("Change Ltd").await;
    let elsewhere = app.sign_in(&owner.email, PASSWORD).await;
    let path = format!("/users/{}", owner.user_id);
    let refused = problem(
        app.patch(
            &path,
            &owner.token,
            json!({"password": "Brand-New-Lamp-77"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), ["current_password"]);
    let wrong = problem(
        app.patch(
            &path,
            &owner.token,
            json!({"password": "Brand-New-Lamp-77", "current_password": "Not-It-123"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&wrong), ["current_password"]);
    // Nothing changed yet: the other session still works.
    assert_eq!(
        app.get("/users/me", &elsewhere.token).await.status(),
        StatusCode::OK
    );

    let changed = app
        .patch(
            &path,
            &owner.token,
            json!({"password": "Brand-New-Lamp-77", "current_password": PASSWORD}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    // This session goes on; the other one's access and refresh tokens are refused, here
    // and on another node.
    let second = app.another_node().await;
    assert_eq!(
        second.get("/users/me", &owner.token).await.status(),
        StatusCode::OK
    );
    for node in [&app, &second] {
        problem(
            node.get("/users/me", &elsewhere.token).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let refresh = app
        .send(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": elsewhere.refresh_token})),
        )
        .await;
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);
    app.sign_in(&owner.email, "Brand-New-Lamp-77").await;

    // An owner setting a member's password needs no current one; it is audited and ends
    // every session of the member.
    let member = app.staff(&owner, "m@change.example.com", "member").await;
    let set = app
        .patch(
            &format!("/users/{}", member.user_id),
            &owner.token,
            json!({"password": "Set-By-Owner-55"}),
        )
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    problem(
        app.get("/users/me", &member.token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let audit = app.get_json("/audit-log?limit=50", &owner.token).await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["action"] == "user.password_set"),
        "{audit}"
    );
    // A member cannot set another's password.
    let member = app.sign_in("m@change.example.com", "Set-By-Owner-55").await;
    problem(
        app.patch(&path, &member.token, json!({"password": "Member-Tries-99"}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}
db_test!(changing_a_password_proves_the_old_one_and_ends_the_other_sessions);

/// The reset token e-mailed to `address`, waiting (bounded) for the background send.
async fn reset_token(app: &TestApp, address: &str, nth: usize) -> String {
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let mails: Vec<String> = app
                .transport
                .sent()
                .into_iter()
                .filter(|m| m.recipient == address && m.body.contains("reset token"))
                .map(|m| m.body)
                .collect();
            if mails.len() >= nth {
                return mails[nth - 1].clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the reset e-mail is sent");
    found
        .lines()
        .find_map(|line| line.strip_prefix("Your reset token: "))
        .expect("token in the e-mail")
        .trim()
        .to_owned()
}

async fn a_forgotten_password_is_reset_once_by_e_mail(app: TestApp) {
    let owner = app.owner("Forgot Ltd").await;
    let ask = |email: &str| {
        let app = &app;
        let body = json!({"email": email});
        async move {
            app.send(Method::POST, "/auth/password-reset", None, Some(body))
                .await
        }
    };
    // The same answer whether or not the address has an account.
    let unknown = ask("nobody@forgot.example.com").await;
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    let unknown: Value = unknown.json().await.unwrap();
    let known = ask(&owner.email).await;
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    let known: Value = known.json().await.unwrap();
    assert_eq!(unknown, known);
    let token = reset_token(&app, &owner.email, 1).await;
    assert!(
        app.transport
            .sent()
            .iter()
            .all(|m| m.recipient != "nobody@forgot.example.com")
    );

    let confirm = |token: &str, password: &str| {
        let app = &app;
        let body = json!({"token": token, "password": password});
        async move {
            app.send(
                Method::POST,
                "/auth/password-reset/confirm",
                None,
                Some(body),
            )
            .await
        }
    };
    let weak = problem(
        confirm(&token, "short").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&weak), ["password"]);
    assert_eq!(
        confirm(&token, "Reset-Lamp-2027").await.status(),
        StatusCode::NO_CONTENT
    );
    // Single use; the old session is over; the new password signs in.
    let reused = problem(
        confirm(&token, "Again-Lamp-2028").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&reused), ["token"]);
    problem(
        app.get("/users/me", &owner.token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    app.sign_in(&owner.email, "Reset-Lamp-2027").await;

    // A token works for 30 minutes only.
    assert_eq!(ask(&owner.email).await.status(), StatusCode::ACCEPTED);
    let late = reset_token(&app, &owner.email, 2).await;
    app.clock
        .set(reminder_backend::clock::Clock::now(&*app.clock) + chrono::Duration::minutes(31));
    let expired = problem(
        confirm(&late, "Late-Lamp-2029").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&expired), ["token"]);
    problem(
        confirm("made-up-token", "Late-Lamp-2029").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}
db_test!(a_forgotten_password_is_reset_once_by_e_mail);

/// A TCP server that answers like a database, not SMTP, with a marker in its greeting.
async fn database_lookalike() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            use tokio::io::AsyncWriteExt;
            let _ = socket
                .write_all(b"J\x00\x00\x0a5.5.5-10.11-MariaDB-greeting-marker\x00\r\n")
                .await;
            let _ = socket.shutdown().await;
        }
    });
    port
}

async fn internal_hosts(backend: Backend) {
    let app = TestApp::spawn_with_providers(backend, HashMap::new()).await;
    let owner = app.owner("Probe Ltd").await;
    for host in [
        "127.0.0.1",
        "localhost",
        "169.254.169.254",
        "10.0.0.5",
        "[::1]",
        "0.0.0.0",
    ] {
        let refused = problem(
            app.patch(
                "/business",
                &owner.token,
                json!({"providers": {"smtp": {"host": host, "port": 3306, "tls": "none",
                        "from_email": "desk@probe.test"}}}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&refused), ["providers.smtp.host"], "{host}");
    }

    // Allowed by the operator (self-hosting), a server that is not SMTP is described, never
    // echoed.
    let overrides = settings(&[("ALLOW_PRIVATE_PROVIDER_HOSTS", "true")]);
    let app = TestApp::spawn_with_providers(backend, overrides).await;
    let owner = app.owner("Self Hosted Ltd").await;
    let port = database_lookalike().await;
    let saved = app
        .patch(
            "/business",
            &owner.token,
            json!({"providers": {"smtp": {"host": "127.0.0.1", "port": port, "tls": "none",
                    "from_email": "desk@selfhosted.test"}}}),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let result = app
        .post(
            "/business/providers/smtp/test",
            &owner.token,
            json!({"to": "me@selfhosted.test"}),
        )
        .await
        .text()
        .await
        .unwrap();
    let result: Value = serde_json::from_str(&result).unwrap();
    assert_eq!(result["ok"], false, "{result}");
    assert!(
        !result.to_string().contains("greeting-marker") && !result.to_string().contains("MariaDB"),
        "{result}"
    );
}
per_backend!(
    tenant_smtp_hosts_cannot_reach_internal_addresses,
    internal_hosts
);

async fn schedules_cannot_fire_more_often_than_the_minimum_interval(app: TestApp) {
    let owner = app.owner("Often Ltd").await;
    let client = app
        .client(&owner, json!({"name": "C", "email": "c@often.test"}))
        .await;
    let hours: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    let minutes: Vec<String> = (0..60).map(|m| m.to_string()).collect();
    let every_second = format!(
        "FREQ=DAILY;BYHOUR={};BYMINUTE={};BYSECOND={}",
        hours.join(","),
        minutes.join(","),
        minutes.join(",")
    );
    for rule in [every_second.as_str(), "FREQ=DAILY;BYHOUR=9;BYMINUTE=0,30"] {
        let refused = problem(
            app.post(
                "/reminders",
                &owner.token,
                json!({
                    "title": "t",
                    "channels": ["email"],
                    "body": "x",
                    "client_ids": [client["id"]],
                    "schedule": {
                        "type": "recurring",
                        "rrule": rule,
                        "start": "2030-01-01T00:00:00",
                    },
                }),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&refused), ["schedule"], "{rule}");
    }
    let offsets = problem(
        app.post(
            "/reminders",
            &owner.token,
            json!({
                "title": "t",
                "channels": ["email"],
                "body": "x",
                "schedule": {
                    "type": "before_due",
                    "due": "2030-01-01T09:00:00",
                    "offsets": ["PT0S", "PT10M"],
                },
            }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&offsets), ["schedule"]);
    // Hourly is the shortest allowed.
    let hourly = app
        .post(
            "/reminders",
            &owner.token,
            json!({
                "title": "t",
                "channels": ["email"],
                "body": "x",
                "schedule": {
                    "type": "recurring",
                    "rrule": "FREQ=DAILY;BYHOUR=9,10",
                    "start": "2030-01-01T09:00:00",
                },
            }),
        )
        .await;
    assert_eq!(hourly.status(), StatusCode::CREATED);
}
db_test!(schedules_cannot_fire_more_often_than_the_minimum_interval);

async fn inputs_that_overflow_are_refused_and_write_nothing(app: TestApp) {
    let owner = app.owner("Overflow Ltd").await;
    let schedules = [
        json!({
            "type": "before_due",
            "due": "2030-01-01T09:00:00",
            "offsets": ["PT9223372036854775807H"],
        }),
        json!({
            "type": "before_due",
            "due": "2030-01-01T09:00:00",
            "offsets": ["P1317624576693539402W"],
        }),
        json!({
            "type": "before_due",
            "due": "2030-01-01T09:00:00",
            "offsets": ["P1D9223372036854775807D"],
        }),
        json!({"type": "once", "at": "+262142-12-31T23:59:59"}),
        json!({"type": "once", "at": "10000-01-01T00:00:00"}),
        json!({"type": "before_due", "due": "-262143-01-01T00:00:00", "offsets": ["P1D"]}),
    ];
    for schedule in schedules {
        let refused = problem(
            app.post(
                "/reminders",
                &owner.token,
                json!({"title": "t", "channels": ["email"], "body": "x", "schedule": schedule}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(
            error_fields(&refused)
                .iter()
                .all(|field| field.starts_with("schedule")),
            "{refused}"
        );
    }
    // NUL in any string, at any depth.
    let nul = problem(
        app.post("/clients", &owner.token, json!({"name": "A\u{0}B"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&nul), ["name"]);
    let nested = problem(
        app.post(
            "/reminders",
            &owner.token,
            json!({
                "title": "t",
                "channels": ["email"],
                "body": "x",
                "schedule": {
                    "type": "once",
                    "at": "2030-01-01T09:00:00",
                    "timezone": "Europe/\u{0}London",
                },
            }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&nested), ["schedule.timezone"]);
    problem(
        app.get("/clients?q=%00", &owner.token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    // Dates past the range in every date filter.
    for path in [
        "/dashboard/summary?from=%2B262143-01-01T00:00:00Z",
        "/business/usage?to=9999-12-31T23:59:60Z",
        "/business/usage?from=10000-01-01T00:00:00Z",
        "/notifications?from=-262143-01-01T00:00:00Z",
        "/notifications?to=%2B262142-12-31T23:59:59Z",
        "/notifications/counts?to=10000-01-01T00:00:00Z",
    ] {
        let status = app.get(path, &owner.token).await.status();
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{path}: {status}"
        );
    }
    // Currencies are ISO 4217 codes.
    let currency = problem(
        app.post(
            "/reminders",
            &owner.token,
            json!({"title": "t", "channels": ["email"], "body": "x",
                   "schedule": {"type": "once", "at": "2030-01-01T09:00:00"},
                   "payment": {"amount": 100, "currency": "zzz"}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&currency), ["payment.currency"]);
    // Nothing was written.
    let reminders = app.get_json("/reminders", &owner.token).await;
    assert_eq!(reminders["total"], 0);
    let clients = app.get_json("/clients", &owner.token).await;
    assert_eq!(clients["total"], 0);
}
db_test!(inputs_that_overflow_are_refused_and_write_nothing);

async fn forged_first(backend: Backend) {
    let twilio = TwilioFake::start().await;
    let overrides = settings(&[
        ("TWILIO_ACCOUNT_SID", twilio.account_sid.as_str()),
        ("TWILIO_AUTH_TOKEN", twilio.auth_token.as_str()),
        ("TWILIO_FROM_NUMBER", "+15005550006"),
        ("TWILIO_API_BASE", twilio.base_url.as_str()),
    ]);
    let app = TestApp::spawn_with_providers(backend, overrides).await;
    let victim = app.owner("Platform Customer Ltd").await;
    let ann = app
        .client(&victim, json!({"name": "Ann", "phone": "+447911123456"}))
        .await;
    // The attacker names the platform's account SID with an auth token of its own.
    let attacker = app.owner("Attacker Ltd").await;
    let own_token = "attacker-chosen-auth-token-0001";
    let saved = app
        .patch(
            "/business",
            &attacker.token,
            json!({"providers": {"twilio": {"account_sid": twilio.account_sid,
                    "auth_token": own_token, "from_number": "+15005550009"}}}),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let url = "http://reminders.test/api/v1/webhooks/twilio/inbound";
    let params = |body: &'static str| {
        vec![
            ("MessageSid", "SMsame0000000000000000000000000001"),
            ("AccountSid", twilio.account_sid.as_str()),
            ("From", "+447911123456"),
            ("To", "+15005550006"),
            ("Body", body),
        ]
    };
    // First the attacker's own signed event with the id the genuine one will carry...
    let forged = twilio
        .post_signed(&app.address, url, &params("hello"), own_token)
        .await;
    assert_eq!(forged.status(), StatusCode::OK);
    // ...then the genuine STOP, signed by the platform's token, is still honoured.
    let genuine = twilio
        .post_signed(&app.address, url, &params("STOP"), &twilio.auth_token)
        .await;
    assert_eq!(genuine.status(), StatusCode::OK);
    let view = app
        .get_json(&format!("/clients/{}", ann["id"]), &victim.token)
        .await;
    assert_eq!(view["opted_out"]["sms"], true, "{view}");
    // A redelivery of the genuine event is still recognised as one.
    let again = twilio
        .post_signed(&app.address, url, &params("STOP"), &twilio.auth_token)
        .await;
    assert_eq!(again.status(), StatusCode::OK);
}
per_backend!(
    a_webhook_id_posted_first_under_another_account_hides_nothing,
    forged_first
);

async fn resending_to_a_client_who_opted_out_is_refused(app: TestApp) {
    let owner = app.owner("Resend Ltd").await;
    let client = app
        .client(&owner, json!({"name": "Opt", "email": "opt@resend.test"}))
        .await;
    let reminder = app.once_for(&owner, &client, "email", 1).await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    let sent = app
        .notifications(&owner, &format!("reminder_id={}", reminder["id"]))
        .await;
    assert_eq!(sent[0]["status"], "sent");
    let patched = app
        .patch(
            &format!("/clients/{}", client["id"]),
            &owner.token,
            json!({"opted_out": {"email": true}}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let refused = problem(
        app.post(
            &format!("/notifications/{}/resend", sent[0]["id"]),
            &owner.token,
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(refused["detail"].as_str().unwrap().contains("opted_out"));
    app.dispatch_until_idle().await;
    let after = app
        .notifications(&owner, &format!("reminder_id={}", reminder["id"]))
        .await;
    assert_eq!(after[0]["status"], "sent");
    assert_eq!(after[0]["sent_at"], sent[0]["sent_at"]);
}
db_test!(resending_to_a_client_who_opted_out_is_refused);
