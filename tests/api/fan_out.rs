//! A reminder for many clients is planned a chunk of clients per transaction: the first chunk
//! with its batch, the rest after it. A fan-out cut off midway carries on from where it got,
//! sending no one twice; one whose reminder was paused meanwhile stops. The dispatcher records
//! a large claim's outcomes a group at a time, reading only the group's rows.

use std::fmt::Write as _;

use reminder_backend::clock::Clock;
use reminder_backend::db::Backend;
use reminder_backend::domain::NotificationStatus;
use reminder_backend::entities::{notification, reminder_occurrence};
use reminder_backend::repositories::notifications::{self as queue, Accepted};
use reminder_backend::scheduler::plan_due;
use reminder_backend::scheduler::planner::FAN_OUT_CHUNK;
use reqwest::{Method, StatusCode};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Statement, TransactionTrait,
};
use serde_json::{Value, json};

use crate::support::{Session, TestApp, db_test};

/// Two full chunks and one more client.
const CLIENTS: usize = 2 * FAN_OUT_CHUNK + 1;

/// `CLIENTS` clients with e-mail addresses, imported in one file; their ids, ascending.
async fn many_clients(app: &TestApp, owner: &Session) -> Vec<i64> {
    let mut csv = String::from("name,email\n");
    for n in 0..CLIENTS {
        writeln!(csv, "Client {n},client{n}@fan.example.com").unwrap();
    }
    let imported = app
        .request(Method::POST, "/clients/import")
        .bearer_auth(&owner.token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), StatusCode::OK);
    let mut ids = Vec::new();
    let mut offset = 0;
    while ids.len() < CLIENTS {
        let page = app
            .get_json(&format!("/clients?limit=200&offset={offset}"), &owner.token)
            .await;
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap()),
        );
        offset += 200;
    }
    ids.sort_unstable();
    ids
}

/// A daily e-mail reminder for `clients` starting tomorrow at 09:00, and the test clock at its
/// first occurrence.
async fn daily_for(app: &TestApp, owner: &Session, clients: &[i64]) -> Value {
    let reminder = app
        .reminder(
            owner,
            json!({
                "title": "Monthly figures",
                "channels": ["email"],
                "body": "Hello {{ client.name }}",
                "schedule": {"type": "recurring", "rrule": "FREQ=DAILY", "start": app.local_in(1, "09:00:00")},
                "client_ids": clients,
            }),
        )
        .await;
    app.arrive(1);
    reminder
}

async fn notifications_of(app: &TestApp, reminder: i64) -> Vec<i64> {
    let mut clients: Vec<i64> = notification::Entity::find()
        .select_only()
        .column(notification::Column::ClientId)
        .filter(notification::Column::ReminderId.eq(reminder))
        .into_tuple::<i64>()
        .all(&app.state.db)
        .await
        .unwrap();
    clients.sort_unstable();
    clients
}

async fn occurrence_of(app: &TestApp, reminder: i64) -> reminder_occurrence::Model {
    reminder_occurrence::Entity::find()
        .filter(reminder_occurrence::Column::ReminderId.eq(reminder))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the occurrence is recorded")
}

/// Leaves the fan-out as a crash after its first transaction would: only the first chunk's
/// notifications written, the occurrence planned through the chunk's last client.
async fn cut_off_after_the_first_chunk(app: &TestApp, reminder: i64, clients: &[i64]) {
    let through = clients[FAN_OUT_CHUNK - 1];
    notification::Entity::delete_many()
        .filter(notification::Column::ReminderId.eq(reminder))
        .filter(notification::Column::ClientId.gt(through))
        .exec(&app.state.db)
        .await
        .unwrap();
    let occurrence = occurrence_of(app, reminder).await;
    reminder_occurrence::Entity::update(reminder_occurrence::ActiveModel {
        id: sea_orm::Set(occurrence.id),
        planned_through: sea_orm::Set(Some(through)),
        notification_count: sea_orm::Set(i32::try_from(FAN_OUT_CHUNK).unwrap()),
        ..Default::default()
    })
    .exec(&app.state.db)
    .await
    .unwrap();
}

async fn a_fan_out_cut_off_midway_carries_on_without_repeating_anyone(app: TestApp) {
    let owner = app.owner("Fan Out Ltd").await;
    let clients = many_clients(&app, &owner).await;
    let id = daily_for(&app, &owner, &clients).await["id"]
        .as_i64()
        .unwrap();

    let outcome = plan_due(&app.state, app.clock.now()).await.unwrap();
    assert_eq!(outcome.notifications, CLIENTS as u64);
    assert_eq!(notifications_of(&app, id).await, clients);
    let occurrence = occurrence_of(&app, id).await;
    assert_eq!(occurrence.planned_through, None, "the fan-out finished");
    assert_eq!(
        occurrence.notification_count,
        i32::try_from(CLIENTS).unwrap()
    );

    cut_off_after_the_first_chunk(&app, id, &clients).await;
    let resumed = plan_due(&app.state, app.clock.now()).await.unwrap();
    assert_eq!(resumed.reminders, 0, "the reminder itself had moved on");
    assert_eq!(resumed.notifications, (CLIENTS - FAN_OUT_CHUNK) as u64);
    assert_eq!(
        notifications_of(&app, id).await,
        clients,
        "each client once, none missing"
    );
    let occurrence = occurrence_of(&app, id).await;
    assert_eq!(occurrence.planned_through, None);
    assert_eq!(
        occurrence.notification_count,
        i32::try_from(CLIENTS).unwrap()
    );
    app.dispatch_until_idle().await;
}

async fn a_fan_out_stops_when_its_reminder_is_paused_midway(app: TestApp) {
    let owner = app.owner("Paused Fan Ltd").await;
    let clients = many_clients(&app, &owner).await;
    let id = daily_for(&app, &owner, &clients).await["id"]
        .as_i64()
        .unwrap();
    plan_due(&app.state, app.clock.now()).await.unwrap();
    cut_off_after_the_first_chunk(&app, id, &clients).await;

    let paused = app
        .post(&format!("/reminders/{id}/pause"), &owner.token, json!({}))
        .await;
    assert_eq!(paused.status(), StatusCode::OK);
    let after_pause = plan_due(&app.state, app.clock.now()).await.unwrap();
    assert_eq!(
        after_pause.notifications, 0,
        "nothing planned after the pause"
    );
    assert_eq!(notifications_of(&app, id).await.len(), FAN_OUT_CHUNK);
    assert_eq!(occurrence_of(&app, id).await.planned_through, None);
    let pending = notification::Entity::find()
        .filter(notification::Column::ReminderId.eq(id))
        .filter(
            notification::Column::Status.eq(reminder_backend::domain::NotificationStatus::Pending),
        )
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(pending, 0, "the pause cancelled what was queued");
}

/// Rows the database has read for this transaction so far, by its own counters: PostgreSQL's
/// statistics of the transaction, MySQL's handler reads of the session (less what reading them
/// costs). SQLite keeps no such count: `None`.
async fn rows_read(txn: &DatabaseTransaction) -> Option<i64> {
    let backend = txn.get_database_backend();
    let query = match Backend::from(backend) {
        Backend::Sqlite => return None,
        Backend::Postgres => {
            "SELECT CAST(COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0) AS BIGINT) AS n \
             FROM pg_stat_xact_user_tables WHERE relname = 'notifications'"
        }
        Backend::MySql => {
            "SELECT CAST(SUM(VARIABLE_VALUE) AS SIGNED) AS n FROM information_schema.SESSION_STATUS \
             WHERE VARIABLE_NAME LIKE 'HANDLER_READ%'"
        }
    };
    let read = || async {
        let row = txn
            .query_one_raw(Statement::from_string(backend, query))
            .await
            .unwrap()
            .expect("one row of counts");
        row.try_get::<i64>("", "n").unwrap()
    };
    // Reading MySQL's counters reads rows too, as many each time: read twice, to give the
    // count as it stood before this call read it.
    let (first, second) = (read().await, read().await);
    Some(first - (second - first))
}

async fn a_claims_outcomes_are_written_reading_only_their_rows(app: TestApp) {
    // The claim is rolled back: its notifications stay due.
    app.expect_unsent();
    let owner = app.owner("Fan Out Ltd").await;
    let clients = many_clients(&app, &owner).await;
    daily_for(&app, &owner, &clients).await;
    plan_due(&app.state, app.clock.now()).await.unwrap();
    // The planner's statistics, taken as they would be while none is being sent.
    reminder_backend::db::analyze(&app.state.db, &["notifications"])
        .await
        .unwrap();

    let now = app.clock.now();
    let token = uuid::Uuid::new_v4().to_string();
    let txn = app.state.db.begin().await.unwrap();
    let claimed = queue::claim_due(
        &txn,
        now,
        FAN_OUT_CHUNK as u64,
        &token,
        now + chrono::Duration::minutes(5),
    )
    .await
    .unwrap();
    assert_eq!(claimed.len(), FAN_OUT_CHUNK);
    // The batch's third group of 32 (it starts in id order: the first two have started).
    let group: Vec<i64> = claimed.iter().skip(64).take(32).map(|n| n.id).collect();

    let before = rows_read(&txn).await;
    queue::mark_started(&txn, &token, &group).await.unwrap();
    let accepted: Vec<Accepted<'_>> = group
        .iter()
        .map(|&id| Accepted {
            id,
            provider: "smtp",
            provider_message_id: "message",
        })
        .collect();
    let recorded = queue::mark_sent(&txn, &token, &accepted, now)
        .await
        .unwrap();
    let after = rows_read(&txn).await;
    assert_eq!(recorded, group.len() as u64);
    if let (Some(before), Some(after)) = (before, after) {
        // Marking the group sent reads its rows (and MySQL a few index entries more), not the
        // claim's; marking it started reads none, as it writes the claim's one row.
        let read = after - before;
        assert!(
            read <= 3 * group.len() as i64,
            "{read} rows read to write {} of a claim of {}",
            group.len(),
            claimed.len()
        );
    }
    let sent = notification::Entity::find()
        .filter(notification::Column::Status.eq(NotificationStatus::Sent))
        .count(&txn)
        .await
        .unwrap();
    assert_eq!(sent, group.len() as u64, "only the group was written");
    txn.rollback().await.unwrap();
}

db_test!(a_fan_out_cut_off_midway_carries_on_without_repeating_anyone);
db_test!(a_claims_outcomes_are_written_reading_only_their_rows);
db_test!(a_fan_out_stops_when_its_reminder_is_paused_midway);
