//! The dashboard's message counts, kept per hour (`repositories::message_hours`), follow the
//! messages: sends and failures, a change stamped late, a deleted client; another business's
//! messages never show; and they agree with the API's live count.

use std::collections::BTreeMap;

use chrono::Duration;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use reminder_backend::channels::ChannelError;
use reminder_backend::clock::Clock;
use reminder_backend::entities::{Timestamp, notification};

use super::{Visitor, created};
use crate::support::{TestApp, db_test};

/// The dashboard's "Messages" figures: the total and the count per status.
async fn figures(visitor: &mut Visitor, app: &TestApp) -> (i64, BTreeMap<String, i64>) {
    let (status, html) = visitor.get(app, "/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    let tile = html
        .split("<h2>Messages</h2>")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the messages tile");
    let total = tile
        .split("<p class=\"figure\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .and_then(|figure| figure.parse().ok())
        .expect("the total");
    let by_status = tile
        .split("<li>")
        .skip(1)
        .filter_map(|item| {
            let (status, count) = item.split("</li>").next()?.split_once(": ")?;
            Some((status.to_owned(), count.parse().ok()?))
        })
        .collect();
    (total, by_status)
}

/// `{status: count}` as the API's live summary counts them over the last 30 days.
async fn live_counts(app: &TestApp, access: &str) -> BTreeMap<String, i64> {
    let now = app.clock.now();
    let from = (now - Duration::days(29)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = (now + Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let summary = app
        .get_json(&format!("/dashboard/summary?from={from}&to={to}"), access)
        .await;
    serde_json::from_value(summary["notifications"]["by_status"].clone())
        .expect("counts per status")
}

/// A reminder by e-mail to each of `names`, sent now and dispatched; returns the clients.
async fn send_to(app: &TestApp, access: &str, firm: &str, names: &[&str]) -> Vec<Value> {
    let mut clients = Vec::new();
    for name in names {
        let email = format!("{}@{firm}.example.com", name.to_lowercase());
        let client = created(
            app,
            access,
            "/clients",
            json!({"name": name, "email": email}),
        )
        .await;
        clients.push(client);
    }
    let ids: Vec<&Value> = clients.iter().map(|client| &client["id"]).collect();
    let reminder = created(
        app,
        access,
        "/reminders",
        json!({"title": "Fee", "channels": ["email"], "body": "Hello",
               "schedule": {"type": "once", "at": "2099-01-01T09:00:00"},
               "client_ids": ids}),
    )
    .await;
    let sent = app
        .post(
            &format!("/reminders/{}/send", reminder["id"]),
            access,
            json!({}),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    app.dispatch_until_idle().await;
    clients
}

async fn the_dashboard_counts_follow_the_messages(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Tally Ltd", "olive@tally.example.com")
        .await;
    let access = olive.access();
    assert_eq!(figures(&mut olive, &app).await, (0, BTreeMap::new()));

    app.transport.fail_next([ChannelError::Permanent {
        code: "550".into(),
        message: "no such mailbox".into(),
    }]);
    send_to(&app, &access, "tally", &["Ann", "Ben"]).await;
    let (total, by_status) = figures(&mut olive, &app).await;
    assert_eq!(total, 2);
    // E-mail does not report delivery: the rate is unknown, not 0 %, beside the counts.
    let (_, html) = olive.get(&app, "/dashboard").await;
    let delivery = html
        .split("<h2>Delivery rate</h2>")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the delivery tile");
    assert!(
        delivery.contains("<p class=\"figure\">Unknown</p>"),
        "{delivery}"
    );
    assert!(!delivery.contains('%'), "{delivery}");
    for count in ["Sent: 1", "Delivered: 0", "Failed: 1"] {
        assert!(delivery.contains(count), "{count} not in {delivery}");
    }
    assert_eq!(by_status.get("sent"), Some(&1), "{by_status:?}");
    assert_eq!(by_status.get("failed"), Some(&1), "{by_status:?}");
    assert_eq!(by_status, live_counts(&app, &access).await);

    // Another business's messages are its own.
    let mut mia = Visitor::default();
    mia.sign_up(&app, "Other Ltd", "mia@other.example.com")
        .await;
    send_to(&app, &mia.access(), "other", &["Cat", "Dan", "Eve"]).await;
    assert_eq!(figures(&mut mia, &app).await.0, 3);
    assert_eq!(figures(&mut olive, &app).await.0, 2);

    // The failed message's client is deleted, and their history with them.
    let failed = app.get_json("/notifications?status=failed", &access).await;
    let client_id = &failed["items"][0]["client_id"];
    let deleted = app.delete(&format!("/clients/{client_id}"), &access).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (total, by_status) = figures(&mut olive, &app).await;
    assert_eq!(total, 1);
    assert_eq!(by_status, BTreeMap::from([("sent".to_owned(), 1)]));
    assert_eq!(by_status, live_counts(&app, &access).await);
}
db_test!(the_dashboard_counts_follow_the_messages);

/// Sets the business's one notification to `status`, stamped `ago` before now, as a write
/// committed late (or by a node whose clock is behind) would be.
async fn stamp(app: &TestApp, status: &str, ago: Duration) {
    let stamped = Timestamp(app.clock.now() - ago);
    let changed = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value(status))
        .col_expr(notification::Column::UpdatedAt, Expr::value(stamped))
        .filter(notification::Column::Status.ne("pending"))
        .exec(&app.state.db)
        .await
        .unwrap();
    assert_eq!(changed.rows_affected, 1);
}

async fn a_change_stamped_late_is_counted_within_the_stated_bounds(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Late Ltd", "olive@late.example.com")
        .await;
    send_to(&app, &olive.access(), "late", &["Ann"]).await;
    let count_of = |by_status: &BTreeMap<String, i64>, status: &str| by_status.get(status).copied();
    assert_eq!(
        count_of(&figures(&mut olive, &app).await.1, "sent"),
        Some(1)
    );

    // Stamped within the allowed lag before the last view: seen by the next one.
    stamp(&app, "delivered", Duration::seconds(30)).await;
    let (_, by_status) = figures(&mut olive, &app).await;
    assert_eq!(count_of(&by_status, "delivered"), Some(1), "{by_status:?}");
    assert_eq!(count_of(&by_status, "sent"), None, "{by_status:?}");

    // Stamped longer ago than that: views do not recount every hour, so it waits for the
    // hourly recount.
    stamp(&app, "read", Duration::minutes(5)).await;
    let (_, by_status) = figures(&mut olive, &app).await;
    assert_eq!(count_of(&by_status, "delivered"), Some(1), "{by_status:?}");
    app.clock.advance(Duration::minutes(61));
    let (_, by_status) = figures(&mut olive, &app).await;
    assert_eq!(count_of(&by_status, "read"), Some(1), "{by_status:?}");
    assert_eq!(count_of(&by_status, "delivered"), None, "{by_status:?}");
}
db_test!(a_change_stamped_late_is_counted_within_the_stated_bounds);
