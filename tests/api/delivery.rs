//! The engine end to end: occurrences become notifications, are sent once, retried, failed,
//! skipped with a reason, paused, cancelled, sent on demand, and survive downtime.

use chrono::Duration;
use reminder_backend::channels::ChannelError;
use reminder_backend::clock::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, db_test, problem};

fn transient(code: &str) -> ChannelError {
    ChannelError::Transient {
        code: code.into(),
        message: "try later".into(),
        retry_after: None,
    }
}

async fn a_once_reminder_is_sent_at_its_time_then_completes(app: TestApp) {
    let owner = app.owner("Once Ltd").await;
    app.patch(
        "/business",
        &owner.token,
        json!({"timezone": "Europe/London"}),
    )
    .await;
    let ann = app
        .client(
            &owner,
            json!({"name": "Ann", "email": "ann@example.com", "timezone": "Asia/Tokyo"}),
        )
        .await;
    let at = app.local_in(1, "09:00:00");
    let created = app
        .reminder(
            &owner,
            json!({
                "title": "Docs",
                "channels": ["email"],
                "subject": "{{ business.name }}: {{ reminder.title }}",
                "body": "Hi {{ client.name }}, due {{ due_date_iso }}, pay {{ amount }}",
                "payment": {"amount": 12500, "currency": "gbp"},
                "schedule": {"type": "once", "at": at},
                "client_ids": [ann["id"]],
            }),
        )
        .await;

    app.dispatch_until_idle().await;
    assert!(app.transport.sent().is_empty(), "nothing before its time");

    app.clock
        .set(app.instant_in(1, "09:00:00", "Europe/London") + Duration::minutes(1));
    app.dispatch_until_idle().await;
    let sent = app.transport.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].recipient, "ann@example.com");
    assert_eq!(sent[0].subject.as_deref(), Some("Once Ltd: Docs"));
    assert!(sent[0].body.starts_with("Hi Ann, due "), "{}", sent[0].body);
    assert!(sent[0].body.ends_with("pay £125.00"));

    let rows = app.notifications(&owner, "").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "sent");
    assert_eq!(rows[0]["provider"], "test");
    let one = app
        .get_json(&format!("/notifications/{}", rows[0]["id"]), &owner.token)
        .await;
    assert_eq!(one["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(one["attempts"][0]["outcome"], "sent");
    let done = app
        .get_json(&format!("/reminders/{}", created["id"]), &owner.token)
        .await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["next_run_at"], Value::Null);

    app.clock.advance(Duration::days(30));
    app.dispatch_until_idle().await;
    assert_eq!(app.transport.sent().len(), 1, "sent exactly once");
}
db_test!(a_once_reminder_is_sent_at_its_time_then_completes);

async fn a_recurring_reminder_moves_on_and_completes_after_its_count(app: TestApp) {
    let owner = app.owner("Count Ltd").await;
    let ann = app
        .client(
            &owner,
            json!({"name": "Ann", "email": "ann@example.com", "phone": "+14155552671"}),
        )
        .await;
    let start = app.local_in(1, "09:00:00");
    let created = app
        .reminder(
            &owner,
            json!({
                "title": "Daily",
                "channels": ["email", "sms"],
                "body": "x",
                "schedule": {
                    "type": "recurring",
                    "rrule": "FREQ=DAILY;COUNT=2",
                    "start": start,
                    "timezone": "UTC",
                },
                "client_ids": [ann["id"]],
            }),
        )
        .await;
    let path = format!("/reminders/{}", created["id"]);
    app.clock
        .set(app.instant_in(1, "09:00:00", "UTC") + Duration::seconds(5));
    app.dispatch_until_idle().await;
    assert_eq!(app.transport.sent().len(), 2, "one per channel");
    let after_first = app.get_json(&path, &owner.token).await;
    assert_eq!(after_first["status"], "active");
    app.clock.advance(Duration::days(1));
    app.dispatch_until_idle().await;
    assert_eq!(app.transport.sent().len(), 4);
    let done = app.get_json(&path, &owner.token).await;
    assert_eq!(done["status"], "completed");
}
db_test!(a_recurring_reminder_moves_on_and_completes_after_its_count);

async fn clients_who_cannot_receive_are_skipped_with_a_reason(app: TestApp) {
    let owner = app.owner("Skips").await;
    let no_phone = app
        .client(
            &owner,
            json!({"name": "No phone", "email": "a@example.com"}),
        )
        .await;
    let stopped = app
        .client(
            &owner,
            json!({
                "name": "Stopped",
                "email": "b@example.com",
                "phone": "+14155552671",
                "opted_out": {"sms": true},
            }),
        )
        .await;
    let created = app
        .reminder(
            &owner,
            json!({
                "title": "t",
                "channels": ["sms", "whatsapp"],
                "body": "x",
                "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")},
                "client_ids": [no_phone["id"], stopped["id"]],
            }),
        )
        .await;
    let sent = app
        .post(
            &format!("/reminders/{}/send", created["id"]),
            &owner.token,
            json!({}),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    app.dispatch_until_idle().await;
    assert!(app.transport.sent().is_empty());
    let mut reasons: Vec<(String, String)> = app
        .notifications(&owner, "status=skipped")
        .await
        .iter()
        .map(|n| {
            (
                n["channel"].as_str().unwrap().to_owned(),
                n["error_code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            ("sms".to_owned(), "no_address".to_owned()),
            ("sms".to_owned(), "opted_out".to_owned()),
            ("whatsapp".to_owned(), "no_address".to_owned()),
            ("whatsapp".to_owned(), "no_whatsapp_opt_in".to_owned()),
        ]
    );
}
db_test!(clients_who_cannot_receive_are_skipped_with_a_reason);

async fn an_opt_out_after_planning_is_honoured_before_sending(app: TestApp) {
    let owner = app.owner("Late Stop").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "phone": "+14155552671"}))
        .await;
    let created = app.once_for(&owner, &ann, "sms", 1).await;
    app.post(
        &format!("/reminders/{}/send", created["id"]),
        &owner.token,
        json!({}),
    )
    .await;
    app.patch(
        &format!("/clients/{}", ann["id"]),
        &owner.token,
        json!({"opted_out": {"sms": true}}),
    )
    .await;
    app.dispatch_until_idle().await;
    assert!(app.transport.sent().is_empty());
    let rows = app.notifications(&owner, "").await;
    assert_eq!(
        (rows[0]["status"].as_str(), rows[0]["error_code"].as_str()),
        (Some("skipped"), Some("opted_out"))
    );
}
db_test!(an_opt_out_after_planning_is_honoured_before_sending);

async fn transient_failures_are_retried_with_backoff_then_sent(app: TestApp) {
    let owner = app.owner("Retry Ltd").await;
    let ann = app.email_client(&owner, "Ann").await;
    let created = app.once_for(&owner, &ann, "email", 1).await;
    app.transport.fail_next([transient("421")]);
    app.post(
        &format!("/reminders/{}/send", created["id"]),
        &owner.token,
        json!({}),
    )
    .await;
    app.dispatch_until_idle().await;
    let rows = app.notifications(&owner, "").await;
    assert_eq!(rows[0]["status"], "pending");
    assert_eq!(rows[0]["error_code"], "421");
    assert_eq!(rows[0]["attempt_count"], 1);
    let next =
        chrono::DateTime::parse_from_rfc3339(rows[0]["next_attempt_at"].as_str().unwrap()).unwrap();
    let wait = next.with_timezone(&chrono::Utc) - app.clock.now();
    // RETRY_BACKOFF_SECONDS=60 (set below); jitter keeps the first wait within 30–90 s.
    assert!(
        wait >= Duration::seconds(30) && wait <= Duration::seconds(90),
        "{wait}"
    );

    app.clock.advance(Duration::seconds(29));
    app.dispatch_until_idle().await;
    assert!(app.transport.sent().is_empty(), "not before the backoff");
    app.clock.advance(Duration::seconds(62));
    app.dispatch_until_idle().await;
    assert_eq!(app.transport.sent().len(), 1);
    let one = app
        .get_json(&format!("/notifications/{}", rows[0]["id"]), &owner.token)
        .await;
    assert_eq!(one["status"], "sent");
    let outcomes: Vec<&str> = one["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["transient_error", "sent"]);
}
db_test!(
    transient_failures_are_retried_with_backoff_then_sent,
    [("RETRY_BACKOFF_SECONDS", "60")]
);

async fn permanent_failures_fail_at_once_and_can_be_retried_by_hand(app: TestApp) {
    let owner = app.owner("Permanent").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "phone": "+14155552671"}))
        .await;
    let created = app.once_for(&owner, &ann, "sms", 1).await;
    app.transport.fail_next([ChannelError::Permanent {
        code: "21211".into(),
        message: "invalid 'To' number".into(),
    }]);
    app.post(
        &format!("/reminders/{}/send", created["id"]),
        &owner.token,
        json!({}),
    )
    .await;
    app.dispatch_until_idle().await;
    let rows = app.notifications(&owner, "status=failed").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["error_code"], "21211");
    assert_eq!(rows[0]["attempt_count"], 1);

    let retried = app
        .post(
            &format!("/notifications/{}/retry", rows[0]["id"]),
            &owner.token,
            json!({}),
        )
        .await;
    assert_eq!(retried.status(), StatusCode::OK);
    assert_eq!(retried.json::<Value>().await.unwrap()["status"], "pending");
    app.dispatch_until_idle().await;
    assert_eq!(app.transport.sent().len(), 1);
    problem(
        app.post(
            &format!("/notifications/{}/retry", rows[0]["id"]),
            &owner.token,
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
}
db_test!(permanent_failures_fail_at_once_and_can_be_retried_by_hand);

async fn a_notification_out_of_attempts_fails_with_its_last_code(app: TestApp) {
    let owner = app.owner("Attempts").await;
    let ann = app.email_client(&owner, "Ann").await;
    let created = app.once_for(&owner, &ann, "email", 1).await;
    // MAX_ATTEMPTS=3 (set below): three failures use them all.
    app.transport
        .fail_next([transient("timeout"), transient("timeout"), transient("451")]);
    app.post(
        &format!("/reminders/{}/send", created["id"]),
        &owner.token,
        json!({}),
    )
    .await;
    for _ in 0..3 {
        app.dispatch_until_idle().await;
        app.clock.advance(Duration::hours(1));
    }
    let rows = app.notifications(&owner, "").await;
    assert_eq!(rows[0]["status"], "failed");
    assert_eq!(rows[0]["error_code"], "451");
    assert_eq!(rows[0]["attempt_count"], 3);
    assert!(app.transport.sent().is_empty());
}
db_test!(
    a_notification_out_of_attempts_fails_with_its_last_code,
    [("MAX_ATTEMPTS", "3")]
);

async fn manual_sends_with_the_same_idempotency_key_send_once(app: TestApp) {
    let owner = app.owner("Manual").await;
    let ann = app.email_client(&owner, "Ann").await;
    let created = app.once_for(&owner, &ann, "email", 5).await;
    let path = format!("/reminders/{}/send", created["id"]);
    let send = |key: Option<&'static str>| {
        let mut request = app
            .request(reqwest::Method::POST, &path)
            .bearer_auth(&owner.token);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send()
    };
    let first = send(Some("k-1")).await.unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["notifications"].as_array().unwrap().len(), 1);
    app.dispatch_until_idle().await;
    let again: Value = send(Some("k-1")).await.unwrap().json().await.unwrap();
    assert_eq!(
        again["notifications"][0]["id"],
        first["notifications"][0]["id"]
    );
    assert_eq!(again["notifications"][0]["status"], "sent");
    app.dispatch_until_idle().await;
    assert_eq!(app.transport.sent().len(), 1);

    app.clock.advance(Duration::seconds(1));
    send(None).await.unwrap();
    app.clock.advance(Duration::seconds(1));
    send(None).await.unwrap();
    app.dispatch_until_idle().await;
    assert_eq!(
        app.transport.sent().len(),
        3,
        "without a key every call sends"
    );
}
db_test!(manual_sends_with_the_same_idempotency_key_send_once);

async fn paused_reminders_wait_and_resume_from_the_next_occurrence(app: TestApp) {
    let owner = app.owner("Pause").await;
    let ann = app.email_client(&owner, "Ann").await;
    let created = app.daily_for(&owner, &ann).await;
    let path = format!("/reminders/{}", created["id"]);
    let paused: Value = app
        .post(&format!("{path}/pause"), &owner.token, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paused["status"], "paused");
    app.clock.advance(Duration::days(3));
    app.dispatch_until_idle().await;
    assert!(app.transport.sent().is_empty());
    let resumed: Value = app
        .post(&format!("{path}/resume"), &owner.token, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resumed["status"], "active");
    let next =
        chrono::DateTime::parse_from_rfc3339(resumed["next_run_at"].as_str().unwrap()).unwrap();
    assert!(
        next > app.clock.now(),
        "occurrences passed while paused are not sent"
    );
    app.dispatch_until_idle().await;
    assert!(app.transport.sent().is_empty());
    app.clock
        .set(next.with_timezone(&chrono::Utc) + Duration::seconds(1));
    app.dispatch_until_idle().await;
    assert_eq!(app.transport.sent().len(), 1);
    // Resuming an active reminder changes nothing; a cancelled one cannot be resumed.
    assert_eq!(
        app.post(&format!("{path}/resume"), &owner.token, json!({}))
            .await
            .status(),
        StatusCode::OK
    );
    app.delete(&path, &owner.token).await;
    problem(
        app.post(&format!("{path}/resume"), &owner.token, json!({}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
}
db_test!(paused_reminders_wait_and_resume_from_the_next_occurrence);

async fn cancelling_keeps_history_and_stops_queued_notifications(app: TestApp) {
    let owner = app.owner("Cancel").await;
    let ann = app.email_client(&owner, "Ann").await;
    let created = app.once_for(&owner, &ann, "email", 1).await;
    let path = format!("/reminders/{}", created["id"]);
    app.post(&format!("{path}/send"), &owner.token, json!({}))
        .await;
    assert_eq!(
        app.delete(&path, &owner.token).await.status(),
        StatusCode::NO_CONTENT
    );
    app.clock.advance(Duration::days(2));
    app.dispatch_until_idle().await;
    assert!(app.transport.sent().is_empty());
    let kept = app.get_json(&path, &owner.token).await;
    assert_eq!(kept["status"], "cancelled");
    let rows = app
        .notifications(&owner, &format!("reminder_id={}", created["id"]))
        .await;
    assert_eq!(
        (rows[0]["status"].as_str(), rows[0]["error_code"].as_str()),
        (Some("cancelled"), Some("reminder_cancelled"))
    );
    problem(
        app.patch(&path, &owner.token, json!({"title": "again"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    problem(
        app.post(&format!("{path}/send"), &owner.token, json!({}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
}
db_test!(cancelling_keeps_history_and_stops_queued_notifications);

async fn a_reminder_due_during_downtime_is_sent_once_after_restart(app: TestApp) {
    let owner = app.owner("Downtime").await;
    let ann = app.email_client(&owner, "Ann").await;
    app.reminder(
        &owner,
        json!({
            "title": "t",
            "channels": ["email"],
            "body": "x",
            "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")},
            "client_ids": [ann["id"]],
        }),
    )
    .await;
    // Stop, let the due time pass (within the one-hour grace), start again.
    let due = app
        .clock
        .now()
        .date_naive()
        .succ_opt()
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc();
    let app = app.restart().await;
    app.clock.set(due + Duration::minutes(20));
    app.dispatch_until_idle().await;
    app.dispatch_until_idle().await;
    assert_eq!(app.transport.sent().len(), 1);
}
db_test!(a_reminder_due_during_downtime_is_sent_once_after_restart);

async fn missed_occurrences_coalesce_and_old_ones_are_not_sent(app: TestApp) {
    let owner = app.owner("Coalesce").await;
    let ann = app.email_client(&owner, "Ann").await;
    let created = app.daily_for(&owner, &ann).await;
    let app = app.restart().await;
    // Down for five days; the last occurrence is 30 minutes late, within the hour's grace.
    let first = app
        .clock
        .now()
        .date_naive()
        .succ_opt()
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc();
    app.clock
        .set(first + Duration::days(4) + Duration::minutes(30));
    app.dispatch_until_idle().await;
    assert_eq!(
        app.transport.sent().len(),
        1,
        "one send for the whole outage"
    );
    let rows = app
        .notifications(&owner, &format!("reminder_id={}", created["id"]))
        .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0]["occurrence_at"],
        (first + Duration::days(4)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
}
db_test!(missed_occurrences_coalesce_and_old_ones_are_not_sent);

async fn sms_in_quiet_hours_waits_until_they_end_but_email_goes(app: TestApp) {
    let owner = app.owner("Quiet").await;
    let set = app
        .patch(
            "/business",
            &owner.token,
            json!({"timezone": "UTC", "quiet_hours": {"start": "21:00", "end": "08:00"}}),
        )
        .await;
    assert_eq!(
        set.json::<Value>().await.unwrap()["quiet_hours"],
        json!({"start": "21:00", "end": "08:00"})
    );
    problem(
        app.patch(
            "/business",
            &owner.token,
            json!({"quiet_hours": {"start": "9pm", "end": "08:00"}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let ann = app
        .client(
            &owner,
            json!({"name": "Ann", "email": "ann@example.com", "phone": "+14155552671"}),
        )
        .await;
    let created = app
        .reminder(
            &owner,
            json!({
                "title": "t",
                "channels": ["email", "sms"],
                "body": "x",
                "schedule": {"type": "once", "at": app.local_in(5, "09:00:00")},
                "client_ids": [ann["id"]],
            }),
        )
        .await;
    // 22:30 UTC: inside quiet hours.
    let evening = app.instant_in(1, "22:30:00", "UTC");
    let just_before = app.instant_in(2, "07:59:00", "UTC");
    let just_after = app.instant_in(2, "08:00:01", "UTC");
    app.clock.set(evening);
    app.post(
        &format!("/reminders/{}/send", created["id"]),
        &owner.token,
        json!({}),
    )
    .await;
    app.dispatch_until_idle().await;
    let sent: Vec<_> = app
        .transport
        .sent()
        .iter()
        .map(|m| m.channel.as_str())
        .collect();
    assert_eq!(sent, ["email"]);
    let waiting = app.notifications(&owner, "status=pending").await;
    assert_eq!(
        (
            waiting[0]["channel"].as_str(),
            waiting[0]["error_code"].as_str()
        ),
        (Some("sms"), Some("quiet_hours"))
    );

    app.clock.set(just_before);
    app.dispatch_until_idle().await;
    assert_eq!(app.transport.sent().len(), 1, "still quiet at 07:59");
    app.clock.set(just_after);
    app.dispatch_until_idle().await;
    assert_eq!(app.transport.sent().len(), 2);
    assert!(app.notifications(&owner, "status=pending").await.is_empty());
}
db_test!(sms_in_quiet_hours_waits_until_they_end_but_email_goes);

async fn the_unsubscribe_link_opts_out_without_sign_in_and_is_honoured_next_time(app: TestApp) {
    let owner = app.owner("Unsubscribe").await;
    let ann = app.email_client(&owner, "Ann").await;
    let created = app
        .reminder(
            &owner,
            json!({
                "title": "t",
                "channels": ["email"],
                "body": "Stop: {{ unsubscribe_link }}",
                "schedule": {"type": "once", "at": app.local_in(5, "09:00:00")},
                "client_ids": [ann["id"]],
            }),
        )
        .await;
    let send = format!("/reminders/{}/send", created["id"]);
    app.post(&send, &owner.token, json!({})).await;
    app.dispatch_until_idle().await;
    let body = app.transport.sent()[0].body.clone();
    let link = body
        .strip_prefix("Stop: http://reminders.test")
        .expect("link in the message");
    assert!(link.starts_with("/unsubscribe/"), "{link}");

    let page = app.send(reqwest::Method::GET, link, None, None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("<form method=\"post\">")
    );
    let client = app
        .get_json(&format!("/clients/{}", ann["id"]), &owner.token)
        .await;
    assert_eq!(
        client["opted_out"]["email"], false,
        "opening the page changes nothing"
    );

    // A link cut or changed is a page for the person who followed it, and opts no one out.
    let forged = format!("{}x", &link[..link.len() - 1]);
    let refused = app.send(reqwest::Method::POST, &forged, None, None).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("This link does not work")
    );
    let one_click = app
        .request(reqwest::Method::POST, link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(one_click.status(), StatusCode::OK);
    let client = app
        .get_json(&format!("/clients/{}", ann["id"]), &owner.token)
        .await;
    assert_eq!(client["opted_out"]["email"], true);

    app.clock.advance(Duration::seconds(1));
    app.post(&send, &owner.token, json!({})).await;
    app.dispatch_until_idle().await;
    assert_eq!(
        app.transport.sent().len(),
        1,
        "no more e-mail after unsubscribing"
    );
    let skipped = app.notifications(&owner, "status=skipped").await;
    assert_eq!(skipped[0]["error_code"], "opted_out");
}
db_test!(the_unsubscribe_link_opts_out_without_sign_in_and_is_honoured_next_time);
