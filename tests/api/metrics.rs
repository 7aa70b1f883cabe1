//! `/metrics` after real work, and `/ready` when the scheduler stops passing.

use std::sync::atomic::Ordering;

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, db_test};

/// The value of a sample line (`name{labels} value`) in a scrape, 0 when absent.
pub(crate) fn sample(scrape: &str, name_and_labels: &str) -> f64 {
    scrape
        .lines()
        .find(|line| {
            line.starts_with(name_and_labels) && line[name_and_labels.len()..].starts_with(' ')
        })
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

pub(crate) async fn scrape(app: &TestApp) -> String {
    let response = app
        .request(reqwest::Method::GET, "/metrics")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    response.text().await.unwrap()
}

async fn metrics_move_with_requests_sends_and_the_queue(app: TestApp) {
    let before = scrape(&app).await;
    let owner = app.owner("Metrics Ltd").await;
    let ann = app
        .client(&owner, json!({"name": "Ann", "email": "ann@client.test"}))
        .await;
    let bob = app
        .client(
            &owner,
            json!({"name": "Bob", "email": "bob@client.test", "opted_out": {"email": true}}),
        )
        .await;
    app.once_for(&owner, &ann, "email", 1).await;
    app.once_for(&owner, &bob, "email", 1).await;
    // One more for later: it stays queued.
    app.once_for(&owner, &ann, "email", 5).await;
    app.arrive(1);
    app.dispatch_until_idle().await;
    let after = scrape(&app).await;

    let delta = |key: &str| sample(&after, key) - sample(&before, key);
    assert_eq!(
        delta(r#"notifications_dispatched_total{channel="email",outcome="sent"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"notifications_created_total{channel="email",status="pending"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"notifications_created_total{channel="email",status="skipped"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"http_requests_total{method="POST",route="/api/v1/clients",status="201"}"#),
        2.0
    );
    assert!(after.contains(
        r#"http_request_duration_seconds_bucket{method="POST",route="/api/v1/clients",le="#
    ));
    assert!(after.contains(r#"provider_request_duration_seconds_count{provider="console"}"#));
    assert_eq!(sample(&after, "notifications_due"), 0.0);
    assert_eq!(sample(&after, "notifications_oldest_due_seconds"), 0.0);

    // The later occurrence is planned but not due: scheduled; once due and not sent, it lags.
    // It is left due and unsent on purpose, to be measured.
    app.expect_unsent();
    app.clock.advance(Duration::days(4));
    let (_stop, running) = tokio::sync::watch::channel(false);
    reminder_backend::scheduler::plan_due(
        &app.state,
        reminder_backend::clock::Clock::now(app.clock.as_ref()),
    )
    .await
    .unwrap();
    drop(running);
    app.clock.advance(Duration::minutes(3));
    let lagging = scrape(&app).await;
    assert_eq!(sample(&lagging, "notifications_due"), 1.0);
    assert!(sample(&lagging, "notifications_oldest_due_seconds") >= 180.0);
    // Paths with tokens are not labels: unmatched routes share one label.
    app.request(reqwest::Method::GET, "/nope")
        .send()
        .await
        .unwrap();
    assert!(scrape(&app).await.contains(r#"route="unmatched""#));
}
db_test!(metrics_move_with_requests_sends_and_the_queue);

async fn ready_fails_when_the_scheduler_stops_passing(app: TestApp) {
    let ready = || app.request(reqwest::Method::GET, "/ready").send();
    assert_eq!(ready().await.unwrap().status(), StatusCode::OK);
    let heartbeat = &app.state.heartbeat;
    let now = chrono::Utc::now().timestamp();
    heartbeat.running.store(true, Ordering::Relaxed);
    heartbeat.planner.store(now, Ordering::Relaxed);
    heartbeat.dispatcher.store(now, Ordering::Relaxed);
    assert_eq!(ready().await.unwrap().status(), StatusCode::OK);
    // The dispatcher has not passed for ten minutes.
    heartbeat.dispatcher.store(now - 600, Ordering::Relaxed);
    let response = ready().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.text().await.unwrap().contains("scheduler"));
}
db_test!(ready_fails_when_the_scheduler_stops_passing);
