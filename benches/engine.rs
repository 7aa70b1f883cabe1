//! Benchmark of the reminder engine, per database: dispatch throughput, lateness when 1,000
//! reminders fall due in the same second, planner time per batch, and memory with a million
//! notifications pending. Run by hand, not in CI:
//!
//! ```sh
//! TEST_MYSQL_URL=mysql://root@127.0.0.1:3306 TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432 \
//!   cargo bench --bench engine > /dev/null
//! ```
//!
//! Figures go to standard error (standard output carries the console transport's lines).
//! `BENCH_NOTIFICATIONS` (default 20000) and `BENCH_PENDING` (default 1000000) size the runs.
#![allow(
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a benchmark run by hand stops loudly at the first failure"
)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{SubsecRound, Utc};
use reminder_backend::domain::NotificationStatus;
use reminder_backend::entities::notification;
use reminder_backend::repositories::{notifications, reminders};
use reminder_backend::scheduler::{dispatch_once, plan_due};
use reminder_backend::startup::Role;
use reminder_backend::state::AppState;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use support::{
    Seeded, database_urls, drop_databases, env_usize, once_reminder, pending, seed_clients,
    state_for,
};

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

async fn throughput(state: &AppState, business_id: i64, client_ids: &[i64], count: usize) -> f64 {
    let now = Utc::now();
    let holder = reminders::insert(
        &state.db,
        once_reminder(business_id, now + chrono::Duration::days(3650), now),
    )
    .await
    .expect("reminder");
    notifications::insert_new(
        &state.db,
        pending(business_id, holder.id, client_ids, count, now),
    )
    .await
    .expect("notifications");
    let (_stop, running) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let outcome = dispatch_once(state, &running).await.expect("dispatch");
        sent += outcome.sent;
        if outcome.claimed == 0 {
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(sent, count, "every notification sent");
    f64::from(u32::try_from(count).unwrap_or(u32::MAX)) / elapsed
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn lateness(state: Arc<AppState>, business_id: i64, client_ids: &[i64]) -> (f64, f64, usize) {
    let now = Utc::now();
    let due = now.trunc_subsecs(0) + chrono::Duration::seconds(3);
    let rows: Vec<_> = client_ids
        .iter()
        .take(1000)
        .map(|_| once_reminder(business_id, due, now))
        .collect();
    let mut ids = Vec::new();
    for (row, client) in rows.into_iter().zip(client_ids) {
        let saved = reminders::insert(&state.db, row).await.expect("reminder");
        reminders::assign(
            &state.db,
            reminder_backend::domain::BusinessId(business_id),
            saved.id,
            &[*client],
            now,
        )
        .await
        .expect("assign");
        ids.push(saved.id);
    }
    let (stop_sender, stop) = tokio::sync::watch::channel(false);
    let engine = tokio::spawn(reminder_backend::scheduler::run(Arc::clone(&state), stop));
    let deadline = Instant::now() + Duration::from_secs(120);
    let rows = loop {
        let rows = notification::Entity::find()
            .filter(notification::Column::ReminderId.is_in(ids.clone()))
            .filter(notification::Column::Status.eq(NotificationStatus::Sent))
            .all(&state.db)
            .await
            .expect("notifications");
        if rows.len() >= ids.len() || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = stop_sender.send(true);
    let _ = engine.await;
    let mut late: Vec<f64> = rows
        .iter()
        .filter_map(|row| {
            row.sent_at.map(|sent| {
                (*sent - *row.occurrence_at).num_microseconds().unwrap_or(0) as f64 / 1e6
            })
        })
        .collect();
    late.sort_by(f64::total_cmp);
    (percentile(&late, 0.5), percentile(&late, 0.99), late.len())
}

async fn planner_per_batch(state: &AppState, business_id: i64, client_ids: &[i64]) -> f64 {
    let now = Utc::now();
    let due = (now - chrono::Duration::seconds(1)).trunc_subsecs(0);
    for client in client_ids.iter().take(1000) {
        let saved = reminders::insert(&state.db, once_reminder(business_id, due, now))
            .await
            .expect("reminder");
        reminders::assign(
            &state.db,
            reminder_backend::domain::BusinessId(business_id),
            saved.id,
            &[*client],
            now,
        )
        .await
        .expect("assign");
    }
    let started = Instant::now();
    let outcome = plan_due(state, Utc::now()).await.expect("plan");
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    let batches = outcome.reminders.div_ceil(100).max(1);
    elapsed / f64::from(u32::try_from(batches).unwrap_or(1))
}

async fn memory_with_pending(
    state: &AppState,
    business_id: i64,
    client_ids: &[i64],
    count: usize,
) -> (u64, u64) {
    let now = Utc::now();
    let holder = reminders::insert(
        &state.db,
        once_reminder(business_id, now + chrono::Duration::days(3650), now),
    )
    .await
    .expect("reminder");
    let later = now + chrono::Duration::days(30);
    let mut left = count;
    while left > 0 {
        let size = left.min(20_000);
        notifications::insert_new(
            &state.db,
            pending(business_id, holder.id, client_ids, size, later),
        )
        .await
        .expect("pending");
        left -= size;
    }
    let (_stop, running) = tokio::sync::watch::channel(false);
    dispatch_once(state, &running).await.expect("dispatch");
    plan_due(state, Utc::now()).await.expect("plan");
    (rss_kib("VmRSS:") / 1024, rss_kib("VmHWM:") / 1024)
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if std::env::var_os("RUST_LOG").is_some() {
        reminder_backend::telemetry::init(reminder_backend::config::LogFormat::Pretty);
    }
    let count = env_usize("BENCH_NOTIFICATIONS", 20_000);
    let pending_count = env_usize("BENCH_PENDING", 1_000_000);
    eprintln!(
        "reminder engine benchmark: {count} notifications, {pending_count} pending, {} cores",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    let databases = database_urls().await;
    for (label, url) in databases.clone() {
        let state = state_for(&url, Role::Worker).await.state();
        let Seeded {
            business_id,
            client_ids,
            ..
        } = seed_clients(&state, 1000).await;
        let per_second = throughput(&state, business_id, &client_ids, count).await;
        let planner_ms = planner_per_batch(&state, business_id, &client_ids).await;
        // Let the planner's notifications go before measuring lateness.
        let (_stop, running) = tokio::sync::watch::channel(false);
        while dispatch_once(&state, &running)
            .await
            .expect("dispatch")
            .claimed
            > 0
        {}
        let (p50, p99, measured) = lateness(Arc::clone(&state), business_id, &client_ids).await;
        let (rss, peak) =
            memory_with_pending(&state, business_id, &client_ids, pending_count).await;
        eprintln!("{label}:");
        eprintln!(
            "  dispatch throughput   {per_second:>10.0} notifications/s ({count} due, console transport)"
        );
        eprintln!(
            "  lateness, 1000 due    p50 {:.3} s, p99 {:.3} s ({measured} measured)",
            p50, p99
        );
        eprintln!("  planner               {planner_ms:>10.1} ms per batch of 100 due reminders");
        eprintln!(
            "  memory                {rss} MiB RSS, {peak} MiB peak, with {pending_count} notifications pending"
        );
    }
    drop_databases(&databases).await;
}
