//! Benchmark of the HTTP API as a deployment runs it: the release binary (`reminder-backend
//! serve`, JSON logs at `info` to a file) started on each database, a business with 5,000
//! clients and 5,000 messages, and `wrk` (Debian's package) loading it over loopback. Prints, per
//! database and endpoint, requests per second, p50 and p99 latency and the ratio to `/health`
//! (measured in the same run, before and after, so machine noise cancels); then the end-to-end
//! fan-out of one reminder to every client on e-mail and SMS, and a CSV import of 100,000
//! clients, each with the server's memory. Run by hand (figures in docs/BENCHMARKS.md):
//!
//! ```sh
//! TEST_MYSQL_URL=mysql://root@127.0.0.1:3306 TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432 \
//!   cargo bench --bench api
//! ```
//!
//! `BENCH_CLIENTS` (default 5000), `BENCH_SECONDS` per load (default 5), `BENCH_CONNECTIONS`
//! (default `32`, comma-separated), `BENCH_IMPORT_ROWS` (default 100000) size it;
//! `BENCH_PARTS` (default `reads,fanout,import`) picks the parts; `BENCH_SERVER_LOG` (default
//! `info`) is the server's `RUST_LOG`, e.g. `info,reminder_backend::scheduler=debug` to see each
//! dispatch pass's timings in `server.log`.
#![allow(
    clippy::expect_used,
    clippy::cast_precision_loss,
    reason = "a benchmark run by hand stops loudly at the first failure"
)]

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};
use reminder_backend::domain::{Channel, NotificationStatus, Trigger};
use reminder_backend::entities::notification;
use reminder_backend::repositories::notifications;
use reminder_backend::startup::Role;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set};
use serde_json::{Value, json};

use support::{
    PASSWORD, Seeded, database_urls, drop_databases, env_usize, seed_clients, state_for,
};

/// The tables the seed fills, analysed after it.
const SEEDED_TABLES: &[&str] = &["clients", "notifications"];

/// The release binary, started as a child process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(database_url: &str, dir: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let log = std::fs::File::create(dir.join("server.log")).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_reminder-backend"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("ENV", "development")
            .env("DATABASE_URL", database_url)
            .env("DATABASE_MAX_CONNECTIONS", "16")
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("SECRET_KEY", "api-benchmark-secret-key-0123456789abcdef")
            .env("LOG_FORMAT", "json")
            .env(
                "RUST_LOG",
                std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "info".into()),
            )
            .envs(
                [
                    "DATABASE_MAX_CONNECTIONS",
                    "DISPATCH_CONCURRENCY",
                    "DISPATCH_BATCH_SIZE",
                ]
                .into_iter()
                .filter_map(|name| Some((name, std::env::var(name).ok()?))),
            )
            .current_dir(dir)
            .stdout(log)
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the release binary starts");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// Resident memory of the server now, and its peak so far, in MiB.
    fn memory_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse::<f64>().ok())
                .unwrap_or(0.0)
                / 1024.0
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `wrk` run: requests per second and latency percentiles in ms.
struct Load {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// `635.91us`, `1.23ms`, `2.00s` → milliseconds.
fn wrk_duration_ms(text: &str) -> f64 {
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (text, f64::NAN)
    };
    number.parse::<f64>().map_or(f64::NAN, |n| n * factor)
}

fn wrk(url: &str, token: Option<&str>, connections: usize, seconds: usize) -> Load {
    let mut command = Command::new("wrk");
    command.args([
        "-t2",
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--latency",
    ]);
    if let Some(token) = token {
        command.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let output = command
        .arg(url)
        .output()
        .expect("wrk runs (Debian: apt-get install wrk)");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        !text.contains("Non-2xx"),
        "{url} answered errors under load:\n{text}"
    );
    let mut load = Load {
        requests_per_second: f64::NAN,
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
    };
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", rate] => load.requests_per_second = rate.parse().unwrap_or(f64::NAN),
            ["50%", value] => load.p50_ms = wrk_duration_ms(value),
            ["99%", value] => load.p99_ms = wrk_duration_ms(value),
            _ => {}
        }
    }
    assert!(
        load.requests_per_second.is_finite(),
        "wrk printed no rate for {url}:\n{text}"
    );
    load
}

async fn sign_in(http: &reqwest::Client, base: &str, email: &str) -> String {
    let answer: Value = http
        .post(format!("{base}/api/v1/auth/token"))
        .form(&[("username", email), ("password", PASSWORD)])
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("token");
    answer["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// `count` messages already sent over the last days, for the notification list and dashboard.
async fn seed_messages(state: &reminder_backend::state::AppState, seeded: &Seeded, count: usize) {
    let now = Utc::now().trunc_subsecs(0);
    let reminder = reminder_backend::repositories::reminders::insert(
        &state.db,
        support::once_reminder(seeded.business_id, now - chrono::Duration::days(3), now),
    )
    .await
    .expect("reminder");
    let rows: Vec<notification::ActiveModel> = (0..count)
        .map(|n| {
            let at = now - chrono::Duration::minutes(i64::try_from(n).unwrap_or(0));
            let status = [
                NotificationStatus::Sent,
                NotificationStatus::Delivered,
                NotificationStatus::Failed,
            ][n % 3];
            notification::ActiveModel {
                business_id: Set(seeded.business_id),
                reminder_id: Set(reminder.id),
                client_id: Set(seeded.client_ids[n % seeded.client_ids.len()]),
                channel: Set(Channel::Email),
                occurrence_at: Set(at.into()),
                trigger: Set(Trigger::Manual),
                status: Set(status),
                recipient: Set(Some("client@bench.example.com".into())),
                subject: Set(Some("Bench".into())),
                body: Set("Hello".into()),
                attempt_count: Set(1),
                next_attempt_at: Set(at.into()),
                sent_at: Set(Some(at.into())),
                created_at: Set(at.into()),
                updated_at: Set(at.into()),
                ..Default::default()
            }
        })
        .collect();
    notifications::insert_new(&state.db, rows)
        .await
        .expect("messages");
}

fn print_loads(label: &str, results: &[(String, usize, Load)], health: f64) {
    eprintln!("{label}: /health {health:.0} req/s (mean of before and after)");
    eprintln!(
        "  {:<36} {:>4} {:>10} {:>9} {:>9} {:>10}",
        "endpoint", "c", "req/s", "p50 ms", "p99 ms", "÷ /health"
    );
    for (path, connections, load) in results {
        eprintln!(
            "  {:<36} {:>4} {:>10.0} {:>9.2} {:>9.2} {:>9.0} %",
            path,
            connections,
            load.requests_per_second,
            load.p50_ms,
            load.p99_ms,
            100.0 * load.requests_per_second / health,
        );
    }
}

/// Loads each read endpoint with `wrk`.
async fn reads(server: &Server, token: &str, connections: &[usize], seconds: usize, label: &str) {
    let paths = [
        "/api/v1/users/me",
        "/api/v1/clients?limit=50",
        "/api/v1/clients?limit=50&offset=4900",
        "/api/v1/notifications?limit=50",
        "/api/v1/dashboard/summary",
    ];
    let mut results = Vec::new();
    let mut health = Vec::new();
    for &connections in connections {
        let base = &server.base;
        health.push(wrk(&format!("{base}/health"), None, connections, seconds).requests_per_second);
        for path in paths {
            let load = wrk(&format!("{base}{path}"), Some(token), connections, seconds);
            results.push((path.to_owned(), connections, load));
        }
        health.push(wrk(&format!("{base}/health"), None, connections, seconds).requests_per_second);
    }
    let health = health.iter().sum::<f64>() / health.len() as f64;
    print_loads(label, &results, health);
}

/// One reminder to every client on e-mail and SMS, due two seconds after it is saved: the time
/// from its due time to the first and to the last message recorded as sent.
async fn fan_out(
    server: &Server,
    state: &reminder_backend::state::AppState,
    http: &reqwest::Client,
    token: &str,
    seeded: &Seeded,
) {
    let due: DateTime<Utc> = (Utc::now() + chrono::Duration::seconds(3)).trunc_subsecs(0);
    let created = http
        .post(format!("{}/api/v1/reminders", server.base))
        .bearer_auth(token)
        .json(&json!({
            "title": "VAT return",
            "body": "Hello {{ client.name }}, your VAT return is due.",
            "channels": ["email", "sms"],
            "schedule": {
                "type": "once",
                "at": due.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string(),
                "timezone": "UTC",
            },
            "client_ids": seeded.client_ids,
        }))
        .send()
        .await
        .expect("create the reminder");
    assert_eq!(
        created.status(),
        reqwest::StatusCode::CREATED,
        "reminder created"
    );
    let reminder: Value = created.json().await.expect("reminder");
    let reminder_id = reminder["id"].as_i64().expect("reminder id");
    let expected = u64::try_from(seeded.client_ids.len() * 2).unwrap_or(u64::MAX);
    let sent_of_reminder = || {
        notification::Entity::find()
            .filter(notification::Column::ReminderId.eq(reminder_id))
            .filter(notification::Column::Status.eq(NotificationStatus::Sent))
    };
    let mut peak_rss = 0.0_f64;
    let waited = Instant::now();
    loop {
        peak_rss = peak_rss.max(server.memory_mib().0);
        if sent_of_reminder().count(&state.db).await.expect("count") >= expected {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(120),
            "the fan-out did not finish"
        );
        // The figures come from the sent times, not from when this loop sees the end; it looks
        // seldom, as each count is work for the database under test.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let times: Vec<reminder_backend::entities::Timestamp> = sent_of_reminder()
        .select_only()
        .column(notification::Column::SentAt)
        .into_tuple::<Option<reminder_backend::entities::Timestamp>>()
        .all(&state.db)
        .await
        .expect("sent times")
        .into_iter()
        .flatten()
        .collect();
    let since_due = |at: &reminder_backend::entities::Timestamp| {
        (DateTime::<Utc>::from(*at) - due)
            .num_microseconds()
            .unwrap_or(0) as f64
            / 1e6
    };
    let first = times.iter().map(since_due).fold(f64::INFINITY, f64::min);
    let last = times
        .iter()
        .map(since_due)
        .fold(f64::NEG_INFINITY, f64::max);
    eprintln!(
        "  fan-out, 1 reminder × {} clients × e-mail and SMS: first sent {:.0} ms after its due time, all {} sent after {:.2} s ({:.0} /s); server RSS peak {:.0} MiB (sampled)",
        seeded.client_ids.len(),
        first * 1000.0,
        times.len(),
        last,
        times.len() as f64 / last,
        peak_rss,
    );
}

/// A CSV of `rows` new clients, each with an e-mail and a phone number.
fn import_csv(rows: usize) -> String {
    let mut csv = String::from("name,email,phone\n");
    for n in 0..rows {
        let _ = writeln!(
            csv,
            "Imported {n},imported{n}@bench.example.com,+4420{:08}",
            70_000_000 + n
        );
    }
    csv
}

async fn import(server: &Server, http: &reqwest::Client, token: &str, rows: usize) {
    let csv = import_csv(rows);
    let (before, _) = server.memory_mib();
    let started = Instant::now();
    let answer = http
        .post(format!("{}/api/v1/clients/import", server.base))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("import");
    let took = started.elapsed().as_secs_f64();
    let status = answer.status();
    let report: Value = answer.json().await.expect("report");
    assert!(status.is_success(), "import answered {status}: {report}");
    assert_eq!(
        report["created"].as_u64(),
        u64::try_from(rows).ok(),
        "every row created: {report}"
    );
    let (_, peak) = server.memory_mib();
    eprintln!(
        "  CSV import of {rows} clients: {took:.2} s ({:.0} rows/s); server RSS {before:.0} MiB before, peak {peak:.0} MiB (growth ≤ {:.0} MiB)",
        rows as f64 / took,
        peak - before,
    );
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client_count = env_usize("BENCH_CLIENTS", 5_000);
    let seconds = env_usize("BENCH_SECONDS", 5);
    let import_rows = env_usize("BENCH_IMPORT_ROWS", 100_000);
    let connections: Vec<usize> = std::env::var("BENCH_CONNECTIONS")
        .unwrap_or_else(|_| "32".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let parts = std::env::var("BENCH_PARTS").unwrap_or_else(|_| "reads,fanout,import".into());
    eprintln!(
        "API benchmark: release binary, {client_count} clients and as many messages, wrk -t2 for {seconds} s per endpoint, {} cores",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    let http = reqwest::Client::new();
    let databases = database_urls().await;
    for (label, url) in databases.clone() {
        let dir: PathBuf = std::env::temp_dir().join(format!(
            "reminder-api-bench-{}-{}",
            std::process::id(),
            label.replace('/', "-")
        ));
        std::fs::create_dir_all(&dir).expect("bench dir");
        let seeded = {
            let app = state_for(&url, Role::ApiOnly).await;
            let state = app.state();
            let seeded = seed_clients(&state, client_count).await;
            seed_messages(&state, &seeded, client_count).await;
            reminder_backend::db::analyze(&state.db, SEEDED_TABLES)
                .await
                .expect("statistics");
            seeded
        };
        let server = Server::start(&url, &dir);
        let token = sign_in(&http, &server.base, &seeded.owner_email).await;
        if parts.contains("reads") {
            reads(&server, &token, &connections, seconds, &label).await;
        }
        if parts.contains("fanout") {
            let app = state_for(&url, Role::ApiOnly).await;
            fan_out(&server, &app.state(), &http, &token, &seeded).await;
        }
        if parts.contains("import") {
            import(&server, &http, &token, import_rows).await;
        }
        let (rss, peak) = server.memory_mib();
        eprintln!("  server RSS at the end {rss:.0} MiB, peak {peak:.0} MiB");
    }
    drop_databases(&databases).await;
}
