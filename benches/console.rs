//! Benchmark of the staff console: how long each page takes to answer, and how large it is, for
//! a business with 5,000 clients, 50 reminders asking each of 100 clients for a payment, and
//! 30 days of message history — per database. Run by hand, not in CI:
//!
//! ```sh
//! TEST_MYSQL_URL=mysql://root@127.0.0.1:3306 TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432 \
//!   cargo bench --bench console
//! ```
//!
//! Each page is fetched over loopback by a signed-in session, as a browser would (the time
//! includes HTTP on loopback, so it bounds the server's time from above). `BENCH_CLIENTS`
//! (default 5000), `BENCH_MESSAGES` (default 30000) and `BENCH_ROUNDS` (default 50) size it.
#![allow(
    clippy::expect_used,
    clippy::cast_precision_loss,
    reason = "a benchmark run by hand stops loudly at the first failure"
)]

mod support;

use std::time::Instant;

use chrono::{Duration, Utc};
use reminder_backend::domain::{Channel, ChannelSet, NotificationStatus};
use reminder_backend::entities::{Timestamp, notification};
use reminder_backend::repositories::{message_hours, notifications, payments, reminders};
use reminder_backend::startup::Role;
use reminder_backend::state::AppState;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use support::{
    PASSWORD, Seeded, database_urls, drop_databases, env_usize, once_reminder, pending,
    seed_clients, state_for,
};

/// Reminders seeded, each for this many clients with a payment.
const REMINDERS: usize = 50;
const CLIENTS_PER_REMINDER: usize = 100;
/// The tables the seed fills, analysed after it.
const SEEDED_TABLES: &[&str] = &[
    "clients",
    "reminders",
    "reminder_clients",
    "payments",
    "notifications",
];
/// A page must stay under this many bytes.
const PAGE_BUDGET_BYTES: usize = 100 * 1024;

/// 50 reminders with a £125 payment each for 100 clients, and `messages` notifications spread
/// over the last 30 days (sent, delivered, delivered, failed in turn). Returns a reminder id.
async fn seed_history(state: &AppState, seeded: &Seeded, messages: usize) -> i64 {
    let now = Utc::now();
    let mut first = 0;
    for n in 0..REMINDERS {
        let mut row = once_reminder(seeded.business_id, now + Duration::days(30), now);
        row.title = Set(format!("Fee {n}"));
        row.channels = Set(ChannelSet::from(vec![Channel::Email, Channel::Sms]));
        row.payment_amount = Set(Some(12_500));
        row.payment_currency = Set(Some("gbp".into()));
        let saved = reminders::insert(&state.db, row).await.expect("reminder");
        let start = (n * CLIENTS_PER_REMINDER) % seeded.client_ids.len();
        let clients: Vec<i64> = seeded.client_ids[start..]
            .iter()
            .take(CLIENTS_PER_REMINDER)
            .copied()
            .collect();
        reminders::assign(
            &state.db,
            reminder_backend::domain::BusinessId(seeded.business_id),
            saved.id,
            &clients,
            now,
        )
        .await
        .expect("assign");
        payments::ensure(&state.db, &saved, &clients, now)
            .await
            .expect("payments");
        if n == 0 {
            first = saved.id;
        }
    }
    let statuses = [
        NotificationStatus::Sent,
        NotificationStatus::Delivered,
        NotificationStatus::Delivered,
        NotificationStatus::Failed,
    ];
    let rows = pending(seeded.business_id, first, &seeded.client_ids, messages, now)
        .into_iter()
        .enumerate()
        .map(|(n, mut row)| {
            let at = now - Duration::minutes(i64::try_from(n).unwrap_or(0) % (30 * 24 * 60));
            row.occurrence_at = Set(at.into());
            row.status = Set(statuses[n % statuses.len()]);
            row.sent_at = Set(Some(at.into()));
            row.created_at = Set(at.into());
            row.updated_at = Set(at.into());
            row
        })
        .collect();
    notifications::insert_new(&state.db, rows)
        .await
        .expect("notifications");
    first
}

/// Messages changed between two dashboard views, as a send in progress changes them.
const DASHBOARD_TOUCHED: u64 = 500;

/// Stamps the `count` latest messages as changed now; returns how many hours they fall in.
async fn touch_latest(state: &AppState, count: u64) -> usize {
    let latest: Vec<notification::Model> = notification::Entity::find()
        .order_by_desc(notification::Column::OccurrenceAt)
        .limit(count)
        .all(&state.db)
        .await
        .expect("latest messages");
    let ids: Vec<i64> = latest.iter().map(|row| row.id).collect();
    notification::Entity::update_many()
        .col_expr(
            notification::Column::UpdatedAt,
            Expr::value(Timestamp(Utc::now())),
        )
        .filter(notification::Column::Id.is_in(ids))
        .exec(&state.db)
        .await
        .expect("touched");
    latest
        .iter()
        .map(|row| message_hours::hour_of(*row.occurrence_at))
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// A signed-in browser: the console's cookies.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

impl Browser {
    fn keep(&mut self, response: &reqwest::Response) {
        for header in response.headers().get_all("set-cookie") {
            let pair = header
                .to_str()
                .unwrap_or_default()
                .split(';')
                .next()
                .unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(kept, _)| kept != name);
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Signs in through the console's form.
    async fn sign_in(port: u16, email: &str) -> Self {
        let mut browser = Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: format!("http://127.0.0.1:{port}"),
            cookies: Vec::new(),
        };
        let form = browser
            .http
            .get(format!("{}/login", browser.base))
            .send()
            .await
            .expect("login page");
        browser.keep(&form);
        let html = form.text().await.expect("html");
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("form token")
            .to_owned();
        let signed_in = browser
            .http
            .post(format!("{}/login", browser.base))
            .header("cookie", browser.cookie_header())
            .header("origin", browser.base.clone())
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", email),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .expect("sign in");
        assert_eq!(
            signed_in.status(),
            reqwest::StatusCode::SEE_OTHER,
            "signed in"
        );
        browser.keep(&signed_in);
        browser
    }

    /// Fetches a page; returns how long it took (ms) and its size.
    async fn fetch(&mut self, path: &str) -> (f64, usize) {
        let started = Instant::now();
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("accept", "text/html")
            .send()
            .await
            .expect("page");
        self.keep(&response);
        let status = response.status();
        let body = response.bytes().await.expect("body");
        let took = started.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(status, reqwest::StatusCode::OK, "{path}");
        (took, body.len())
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() - 1) as f64 * p).round();
    sorted[usize::try_from(index as i64).unwrap_or(0)]
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client_count = env_usize("BENCH_CLIENTS", 5_000);
    let messages = env_usize("BENCH_MESSAGES", 30_000);
    let rounds = env_usize("BENCH_ROUNDS", 50);
    eprintln!(
        "staff console benchmark: {client_count} clients, {REMINDERS} reminders with payments, {messages} messages over 30 days, {rounds} rounds per page, {} cores",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    let databases = database_urls().await;
    for (label, url) in databases.clone() {
        let app = state_for(&url, Role::Serve).await;
        let state = app.state();
        let port = app.port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        let seeded = seed_clients(&state, client_count).await;
        let reminder = seed_history(&state, &seeded, messages).await;
        // As the database's own analysis would within a minute of such a load.
        reminder_backend::db::analyze(&state.db, SEEDED_TABLES)
            .await
            .expect("statistics");
        let message = notification::Entity::find()
            .order_by_desc(notification::Column::Id)
            .one(&state.db)
            .await
            .expect("a message")
            .expect("a message")
            .id;
        let client = seeded.client_ids[0];
        let last_page = client_count.div_ceil(25);
        let pages = [
            "/dashboard".to_owned(),
            "/clients".to_owned(),
            "/clients?q=Client+4321".to_owned(),
            format!("/clients?page={last_page}"),
            format!("/clients/{client}"),
            "/reminders".to_owned(),
            "/reminders/new".to_owned(),
            format!("/reminders/{reminder}/edit"),
            "/messages".to_owned(),
            "/messages?status=failed".to_owned(),
            format!("/messages/{message}"),
            "/payments".to_owned(),
            "/documents".to_owned(),
            "/settings".to_owned(),
            "/settings/providers".to_owned(),
            "/settings/identities".to_owned(),
        ];
        let mut browser = Browser::sign_in(port, &seeded.owner_email).await;
        eprintln!("{label}:");
        let (first_view, _) = browser.fetch("/dashboard").await;
        eprintln!("  /dashboard, first view (counts every hour): {first_view:.1} ms");
        eprintln!(
            "  {:<28} {:>8} {:>8} {:>8} {:>9}",
            "page", "p50 ms", "p95 ms", "max ms", "KiB"
        );
        for path in &pages {
            for _ in 0..3 {
                browser.fetch(path).await;
            }
            let mut times = Vec::with_capacity(rounds);
            let mut size = 0;
            for _ in 0..rounds {
                let (took, bytes) = browser.fetch(path).await;
                times.push(took);
                size = bytes;
            }
            times.sort_by(f64::total_cmp);
            let over = if size > PAGE_BUDGET_BYTES {
                "  OVER 100 KiB"
            } else {
                ""
            };
            eprintln!(
                "  {:<28} {:>8.2} {:>8.2} {:>8.2} {:>9.1}{over}",
                path,
                percentile(&times, 0.5),
                percentile(&times, 0.95),
                times[times.len() - 1],
                size as f64 / 1024.0,
            );
        }
        let touched = touch_latest(&state, DASHBOARD_TOUCHED).await;
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            times.push(browser.fetch("/dashboard").await.0);
        }
        times.sort_by(f64::total_cmp);
        eprintln!(
            "  /dashboard while {DASHBOARD_TOUCHED} messages over {touched} hours changed in the last minute: p50 {:.2} ms, p95 {:.2} ms",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
        );
        let _ = stop.send(());
        let _ = server.await;
    }
    drop_databases(&databases).await;
}
