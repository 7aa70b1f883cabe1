//! The dispatcher's crash window: a claim is kept while its sends take longer than the lease,
//! a send cut off before its outcome came back is handed back as outcome unknown, sent again,
//! and counted, and a batch whose node died is taken over, what it had started as outcome
//! unknown and the rest as never tried. (Processes killed for real are in `scale`.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use reminder_backend::clock::Clock;
use reminder_backend::db::begin_write;
use reminder_backend::entities::{dispatch_claim, notification};
use reminder_backend::repositories::notifications as queue;
use reminder_backend::scheduler::{DispatchOutcome, dispatch_once, plan_due};
use sea_orm::EntityTrait;
use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::metrics::{sample, scrape};
use crate::support::{Session, TestApp, db_test};

/// A `once` email reminder due now for one client, planned: its owner and its notification's id.
async fn one_due(app: &TestApp) -> (Session, i64) {
    let owner = app.owner("Slow Provider Ltd").await;
    let ann = app.email_client(&owner, "Ann").await;
    app.once_for(&owner, &ann, "email", 1).await;
    app.arrive(1);
    plan_due(&app.state, app.clock.now())
        .await
        .expect("planning");
    let id = app.notifications(&owner, "").await[0]["id"]
        .as_i64()
        .unwrap();
    (owner, id)
}

/// A dispatch pass running in the background until `stop` turns true or its batch is done.
fn dispatch_in_background(
    app: &TestApp,
    stop: watch::Receiver<bool>,
) -> JoinHandle<DispatchOutcome> {
    let state = Arc::clone(&app.state);
    tokio::spawn(async move { dispatch_once(&state, &stop).await.expect("dispatching") })
}

async fn stored(app: &TestApp, id: i64) -> notification::Model {
    notification::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

/// A notification's status and its attempts (each its outcome, then its error code if any), as
/// the API shows them.
async fn history(app: &TestApp, owner: &Session, id: i64) -> (String, Vec<String>) {
    let shown = app
        .get_json(&format!("/notifications/{id}"), &owner.token)
        .await;
    let attempts = shown["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let outcome = a["outcome"].as_str().unwrap();
            match a["error_code"].as_str() {
                Some(code) if !code.is_empty() => format!("{outcome} {code}"),
                _ => outcome.to_owned(),
            }
        })
        .collect();
    (shown["status"].as_str().unwrap().to_owned(), attempts)
}

/// Asserts that every claim has been forgotten: each batch ended, or was taken over.
async fn no_claim_left(app: &TestApp) {
    let claims = dispatch_claim::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(claims.is_empty(), "claims left behind: {claims:?}");
}

async fn a_send_longer_than_the_lease_keeps_its_claim(app: TestApp) {
    let (_, id) = one_due(&app).await;
    let gate = app.transport.hold();
    let (_stop, running) = watch::channel(false);
    let first = dispatch_in_background(&app, running.clone());
    gate.entered().await;

    // Far past the 1 s lease the claim was taken with: only a renewal keeps it.
    app.clock.advance(chrono::Duration::seconds(30));
    let deadline = Instant::now() + Duration::from_secs(10);
    while stored(&app, id)
        .await
        .lease_until
        .is_none_or(|until| *until <= app.clock.now())
    {
        assert!(
            Instant::now() < deadline,
            "the node sending it did not renew its lease"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let other_node = app.another_node().await;
    let taken = dispatch_once(&other_node.state, &running).await.unwrap();
    assert_eq!(
        (taken.reclaimed, taken.claimed),
        (0, 0),
        "a live node's claim was taken over"
    );

    gate.open();
    let outcome = first.await.unwrap();
    assert_eq!(outcome.sent, 1);
    assert_eq!(app.transport.sent().len(), 1, "sent once");
    no_claim_left(&app).await;
}
db_test!(
    a_send_longer_than_the_lease_keeps_its_claim,
    [("LEASE_SECONDS", "1")]
);

async fn a_send_cut_off_by_shutdown_is_handed_back_as_outcome_unknown(app: TestApp) {
    let (owner, id) = one_due(&app).await;
    let before = scrape(&app).await;
    let gate = app.transport.hold();
    let (stop, stopping) = watch::channel(false);
    let first = dispatch_in_background(&app, stopping);
    gate.entered().await;
    stop.send(true).unwrap();
    // The provider never answers within the 1 s grace period.
    let outcome = first.await.unwrap();
    assert_eq!((outcome.sent, outcome.unknown), (0, 1));
    let handed_back = stored(&app, id).await;
    assert_eq!(handed_back.status.as_str(), "pending");
    assert!(handed_back.claim_token.is_none());
    no_claim_left(&app).await;
    let after = scrape(&app).await;
    assert_eq!(
        sample(&after, "notifications_outcome_unknown_total")
            - sample(&before, "notifications_outcome_unknown_total"),
        1.0
    );

    gate.open();
    app.dispatch_until_idle().await;
    assert_eq!(app.transport.sent().len(), 1);
    let (status, attempts) = history(&app, &owner, id).await;
    assert_eq!(
        attempts,
        ["lease_expired outcome_unknown", "sent"],
        "the history says the first send's outcome is unknown"
    );
    assert_eq!(status, "sent");
}
db_test!(
    a_send_cut_off_by_shutdown_is_handed_back_as_outcome_unknown,
    [("SHUTDOWN_GRACE_SECONDS", "1")]
);

/// A node that died midway through a batch, as a SIGKILL leaves it: the notifications it had
/// started are sent again with an attempt saying their first outcome is unknown; the rest go
/// back as never tried, their attempt uncounted; nothing of the claim is left behind.
async fn a_batch_whose_node_died_midway_is_taken_over(app: TestApp) {
    let owner = app.owner("Crashed Node Ltd").await;
    let mut client_ids = Vec::new();
    for name in ["Ann", "Bob", "Cat", "Dan", "Eve"] {
        client_ids.push(app.email_client(&owner, name).await["id"].clone());
    }
    app.reminder(
        &owner,
        json!({
            "title": "t",
            "channels": ["email"],
            "body": "x",
            "schedule": {"type": "once", "at": app.local_in(1, "09:00:00")},
            "client_ids": client_ids,
        }),
    )
    .await;
    app.arrive(1);
    plan_due(&app.state, app.clock.now()).await.unwrap();

    // The dead node claimed all five and had started the first two.
    let now = app.clock.now();
    let token = uuid::Uuid::new_v4().to_string();
    let txn = begin_write(&app.state.db).await.unwrap();
    let claimed = queue::claim_due(&txn, now, 100, &token, now + chrono::Duration::seconds(10))
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let ids: Vec<i64> = claimed.iter().map(|row| row.id).collect();
    assert_eq!(ids.len(), 5);
    let txn = begin_write(&app.state.db).await.unwrap();
    queue::mark_started(&txn, &token, &ids[..2]).await.unwrap();
    txn.commit().await.unwrap();

    app.clock.advance(chrono::Duration::seconds(11));
    let (_stop, running) = watch::channel(false);
    let outcome = dispatch_once(&app.state, &running).await.unwrap();
    assert_eq!(
        (outcome.reclaimed, outcome.unknown, outcome.sent),
        (5, 2, 5)
    );
    for (n, id) in ids.iter().enumerate() {
        let (_, attempts) = history(&app, &owner, *id).await;
        let (expected, attempt_count): (&[&str], i32) = if n < 2 {
            (&["lease_expired outcome_unknown", "sent"], 2)
        } else {
            (&["sent"], 1)
        };
        assert_eq!(attempts, expected, "notification {n}");
        assert_eq!(stored(&app, *id).await.attempt_count, attempt_count);
    }
    assert_eq!(app.transport.sent().len(), 5);
    no_claim_left(&app).await;
}
db_test!(a_batch_whose_node_died_midway_is_taken_over);

async fn a_clock_that_jumps_back_and_forth_sends_each_occurrence_once(app: TestApp) {
    let owner = app.owner("Jumpy Clock Ltd").await;
    let ann = app.email_client(&owner, "Ann").await;
    app.daily_for(&owner, &ann).await;
    let first = app.instant_in(1, "09:00:00", "UTC");
    let sent_after = |at: chrono::DateTime<chrono::Utc>| {
        app.clock.set(at);
        async { app.dispatch_until_idle().await }
    };
    sent_after(first + chrono::Duration::seconds(5)).await;
    assert_eq!(app.transport.sent().len(), 1);
    // Back an hour (an NTP step, a wrong clock corrected): nothing is sent again.
    sent_after(first - chrono::Duration::hours(1)).await;
    sent_after(first + chrono::Duration::seconds(5)).await;
    assert_eq!(app.transport.sent().len(), 1, "the occurrence went once");
    // Forward to the next day's occurrence, back, and forward again: it goes once.
    let second = first + chrono::Duration::days(1);
    sent_after(second + chrono::Duration::seconds(5)).await;
    assert_eq!(app.transport.sent().len(), 2);
    sent_after(first + chrono::Duration::hours(2)).await;
    sent_after(second + chrono::Duration::seconds(10)).await;
    assert_eq!(app.transport.sent().len(), 2, "each occurrence went once");
}
db_test!(a_clock_that_jumps_back_and_forth_sends_each_occurrence_once);

async fn a_provider_that_never_answers_times_out_and_is_retried(app: TestApp) {
    let (owner, id) = one_due(&app).await;
    let gate = app.transport.hold();
    let (_stop, running) = watch::channel(false);
    // The send is given up after 30 s without an answer.
    let outcome = dispatch_once(&app.state, &running).await.unwrap();
    assert_eq!((outcome.sent, outcome.retried), (0, 1));
    let waiting = app
        .get_json(&format!("/notifications/{id}"), &owner.token)
        .await;
    assert_eq!(
        (waiting["status"].as_str(), waiting["error_code"].as_str()),
        (Some("pending"), Some("timeout"))
    );

    gate.open();
    app.clock.advance(chrono::Duration::hours(1));
    app.dispatch_until_idle().await;
    assert_eq!(app.transport.sent().len(), 1, "sent on the retry");
}

/// The timeout does not depend on the database: SQLite only, for the 30 s it takes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_never_answers_times_out_and_is_retried_sqlite() {
    crate::support::run_test(
        crate::support::Backend::Sqlite,
        &[],
        a_provider_that_never_answers_times_out_and_is_retried,
    )
    .await;
}
