//! Several real processes on one database: an API node and `worker`s started from the binary,
//! speaking only HTTP and SQL, as in production. Workers use the console transport, whose one
//! stdout line per send is how these tests count sends.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Backend, PASSWORD, per_backend};

/// A running `reminder-backend` process and the console sends it printed.
pub(crate) struct Process {
    child: Child,
    sends: Arc<Mutex<Vec<i64>>>,
}

impl Process {
    pub(crate) fn start(
        database_url: &str,
        port: u16,
        args: &[&str],
        extra: &[(&str, &str)],
    ) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_reminder-backend"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("ENV", "testing")
            .env("SECRET_KEY", crate::support::TEST_SECRET_KEY)
            .env("DATABASE_URL", database_url)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "warn")
            .env("SCHEDULER_POLL_SECONDS", "0.2")
            .envs(extra.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("binary starts");
        let sends: Arc<Mutex<Vec<i64>>> = Arc::default();
        let stdout = child.stdout.take().expect("stdout");
        let collected = Arc::clone(&sends);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("console-send notification=") {
                    let id = rest.split(' ').next().and_then(|id| id.parse::<i64>().ok());
                    collected.lock().unwrap().extend(id);
                }
            }
        });
        Self { child, sends }
    }

    pub(crate) fn sends(&self) -> Vec<i64> {
        self.sends.lock().unwrap().clone()
    }

    /// SIGTERM, then wait for the process to exit.
    pub(crate) fn terminate(mut self) -> Vec<i64> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        // The reader thread sees EOF once the process is gone; give it the lines it has.
        std::thread::sleep(Duration::from_millis(100));
        self.sends()
    }

    /// SIGKILL: no chance to clean up.
    fn kill(mut self) -> Vec<i64> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(100));
        self.sends()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) async fn fresh_database(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let server = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/scale.db", dir.path().display());
            return (url, Some(dir));
        }
        Backend::MySql | Backend::Postgres => crate::support::server_url(backend),
    };
    let db = sea_orm::Database::connect(server.as_str()).await.unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(&db, &format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    (format!("{}/{name}", server.trim_end_matches('/')), None)
}

/// Waits until the node at `base` answers `/ready` with 200.
async fn wait_until_ready(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !http
        .get(format!("{base}/ready"))
        .send()
        .await
        .is_ok_and(|r| r.status() == StatusCode::OK)
    {
        assert!(
            Instant::now() < deadline,
            "the API node did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An API node (no scheduler) on the database at `url`, its signed-in owner, and a reminder
/// for `clients` clients.
pub(crate) async fn api_node_with_reminder(url: &str, clients: usize) -> (Process, Api, i64) {
    let port = free_port();
    let node = Process::start(url, port, &["serve", "--no-scheduler"], &[]);
    let api = Api::connect(port).await;
    let reminder = api.reminder_for(clients).await;
    (node, api, reminder)
}

/// An HTTP client of the API node.
#[derive(Clone)]
pub(crate) struct Api {
    base: String,
    http: reqwest::Client,
    token: String,
}

impl Api {
    pub(crate) async fn connect(port: u16) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        wait_until_ready(&http, &base).await;
        let email = "owner@scale.example.com";
        let registered = http
            .post(format!("{base}/api/v1/auth/register"))
            .json(&json!({
                "business_name": "Scale",
                "email": email,
                "password": PASSWORD,
                "full_name": "Owner",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(registered.status(), StatusCode::CREATED);
        let tokens: Value = http
            .post(format!("{base}/api/v1/auth/token"))
            .form(&[("username", email), ("password", PASSWORD)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Self {
            base,
            http,
            token: tokens["access_token"].as_str().unwrap().to_owned(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub(crate) async fn patch(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .patch(format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Imports `count` clients and writes a reminder for all of them; returns its id.
    pub(crate) async fn reminder_for(&self, count: usize) -> i64 {
        let mut csv = String::from("name,email\n");
        for n in 0..count {
            csv.push_str(&format!("Client {n},client{n}@scale.example.com\n"));
        }
        let report: Value = self
            .http
            .post(format!("{}/api/v1/clients/import", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(report["created"], count);
        let mut ids = Vec::with_capacity(count);
        while ids.len() < count {
            let page = self
                .get(&format!("/clients?limit=200&offset={}", ids.len()))
                .await;
            ids.extend(
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["id"].as_i64().unwrap()),
            );
        }
        let created = self
            .post(
                "/reminders",
                json!({
                    "title": "Scale",
                    "channels": ["email"],
                    "body": "Hello {{ client.name }}",
                    "schedule": {"type": "once", "at": "2099-01-01T09:00:00"},
                    "client_ids": ids,
                }),
            )
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        created.json::<Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap()
    }

    /// The same signed-in user, speaking to the node on `port`.
    pub(crate) fn at_port(&self, port: u16) -> Self {
        Self {
            base: format!("http://127.0.0.1:{port}"),
            http: self.http.clone(),
            token: self.token.clone(),
        }
    }

    /// `POST /reminders/{reminder}/send` with an `Idempotency-Key`.
    async fn send_with_key(&self, reminder: i64, key: &str) -> reqwest::Result<reqwest::Response> {
        self.http
            .post(format!("{}/api/v1/reminders/{reminder}/send", self.base))
            .bearer_auth(&self.token)
            .header("idempotency-key", key)
            .json(&json!({}))
            .send()
            .await
    }

    /// Sends the reminder now and waits until `sent` of its messages were sent.
    pub(crate) async fn send_and_wait_for(&self, reminder: i64, sent: u64) {
        self.post(&format!("/reminders/{reminder}/send"), json!({}))
            .await;
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.count("sent").await < sent {
            assert!(Instant::now() < deadline, "the worker sent nothing");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub(crate) async fn count(&self, status: &str) -> u64 {
        self.get(&format!("/notifications?limit=1&status={status}"))
            .await["total"]
            .as_u64()
            .unwrap()
    }

    /// Polls until no notification is pending or being sent.
    pub(crate) async fn wait_until_settled(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if self.count("pending").await == 0 && self.count("sending").await == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "notifications did not settle in time"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

pub(crate) fn tally(sends: impl IntoIterator<Item = i64>) -> HashMap<i64, usize> {
    let mut counts = HashMap::new();
    for id in sends {
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

async fn two_workers_send_each_notification_once(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let (_api_node, api, reminder) = api_node_with_reminder(&url, 10_000).await;

    let settings = [
        ("DISPATCH_BATCH_SIZE", "250"),
        ("DISPATCH_CONCURRENCY", "32"),
    ];
    let first = Process::start(&url, free_port(), &["worker"], &settings);
    let second = Process::start(&url, free_port(), &["worker"], &settings);
    let sent = api
        .post(&format!("/reminders/{reminder}/send"), json!({}))
        .await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    api.wait_until_settled(Duration::from_secs(300)).await;

    let (first, second) = (first.terminate(), second.terminate());
    eprintln!("worker sends: {} and {}", first.len(), second.len());
    let counts = tally(first.into_iter().chain(second));
    assert_eq!(counts.len(), 10_000, "every notification was sent");
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    assert_eq!(api.count("sent").await, 10_000);
}

/// An API node, a reminder for `total` clients sent on demand, and one worker that has sent
/// some of them but not all.
struct Interrupted {
    url: String,
    _dir: Option<tempfile::TempDir>,
    _api_node: Process,
    api: Api,
    worker: Option<Process>,
    settings: [(&'static str, &'static str); 3],
}

async fn interrupted_run(
    backend: Backend,
    total: usize,
    lease_seconds: &'static str,
) -> Interrupted {
    let (url, dir) = fresh_database(backend).await;
    let (api_node, api, reminder) = api_node_with_reminder(&url, total).await;
    let settings = [
        ("DISPATCH_BATCH_SIZE", "200"),
        ("DISPATCH_CONCURRENCY", CONCURRENCY),
        ("LEASE_SECONDS", lease_seconds),
    ];
    let worker = Process::start(&url, free_port(), &["worker"], &settings);
    api.send_and_wait_for(reminder, 300).await;
    Interrupted {
        url,
        _dir: dir,
        _api_node: api_node,
        api,
        worker: Some(worker),
        settings,
    }
}

impl Interrupted {
    /// Starts another worker and waits until nothing is pending or being sent.
    async fn finish_with_successor(&self) -> Vec<i64> {
        let successor = Process::start(&self.url, free_port(), &["worker"], &self.settings);
        self.api.wait_until_settled(Duration::from_secs(300)).await;
        successor.terminate()
    }
}

/// The sends in flight at once in these runs: what a SIGKILL may repeat at most.
const CONCURRENCY: &str = "8";

async fn killed_worker_loses_nothing(backend: Backend) {
    let total = 3_000;
    let mut run = interrupted_run(backend, total, "2").await;
    let before_kill = run.worker.take().unwrap().kill();
    let claimed = run.api.count("sending").await;
    assert!(
        before_kill.len() < total,
        "killed too late to test anything"
    );
    let after = run.finish_with_successor().await;

    let counts = tally(before_kill.into_iter().chain(after));
    let twice: Vec<i64> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| *id)
        .collect();
    eprintln!(
        "{backend:?}: {claimed} claimed at SIGKILL, {} sent twice",
        twice.len()
    );
    assert_eq!(counts.len(), total, "every notification was sent");
    assert_eq!(
        run.api.count("sent").await,
        u64::try_from(total).unwrap(),
        "all reached a final state"
    );
    assert!(
        twice.len() <= CONCURRENCY.parse().unwrap(),
        "only the sends in flight at the kill may go twice, not the claimed batch"
    );
    for id in twice {
        let history = run.api.get(&format!("/notifications/{id}")).await;
        assert!(
            history["attempts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|attempt| attempt["error_code"] == "outcome_unknown"),
            "a repeated send is recorded as outcome unknown: {history}"
        );
    }
}

/// The measured scenario of the crash window: an API node and two workers with the default
/// dispatch settings (500 claimed at once, 32 in flight, 10 s leases), 5,000 clients, one
/// reminder sent, one worker killed mid-dispatch. Prints what happened.
async fn one_of_two_workers_killed_repeats_at_most_its_sends_in_flight(backend: Backend) {
    let total = 5_000;
    let (url, _dir) = fresh_database(backend).await;
    let (_api_node, api, reminder) = api_node_with_reminder(&url, total).await;
    let doomed = Process::start(&url, free_port(), &["worker"], &[]);
    let survivor = Process::start(&url, free_port(), &["worker"], &[]);
    api.post(&format!("/reminders/{reminder}/send"), json!({}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while doomed.sends().len() < 500 {
        assert!(Instant::now() < deadline, "the worker sent nothing");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let killed_at = Instant::now();
    let before_kill = doomed.kill();
    api.wait_until_settled(Duration::from_secs(120)).await;
    let settled_after = killed_at.elapsed();
    let after = survivor.terminate();

    let counts = tally(before_kill.into_iter().chain(after));
    let duplicates = counts.values().filter(|n| **n > 1).count();
    let lost = total - counts.len();
    eprintln!(
        "{backend:?}: {} sent, {duplicates} duplicates, {lost} lost, settled {:.1} s after the SIGKILL",
        counts.values().sum::<usize>(),
        settled_after.as_secs_f64()
    );
    assert_eq!(lost, 0, "nothing is lost");
    assert!(
        duplicates <= 32,
        "at most the default 32 sends in flight go twice"
    );
    assert!(
        settled_after < Duration::from_secs(30),
        "the dead worker's claims are taken over after its 10 s lease"
    );
}

/// A client sends a reminder to 5,000 clients with an Idempotency-Key; the API node is killed
/// while it works on the request, and the client sends the same request to another node.
async fn an_api_node_killed_during_a_manual_send(backend: Backend) {
    let total = 5_000;
    let (url, _dir) = fresh_database(backend).await;
    let (first_node, api, reminder) = api_node_with_reminder(&url, total).await;

    let interrupted = {
        let api = api.clone();
        tokio::spawn(async move { api.send_with_key(reminder, "pay-run-1").await })
    };
    // The fault lands a little after the request left: composing 5,000 messages takes longer.
    tokio::time::sleep(Duration::from_millis(50)).await;
    first_node.kill();
    let first_answer = match interrupted.await.unwrap() {
        Ok(response) => response.status().to_string(),
        Err(_) => "none (the connection dropped)".to_owned(),
    };

    let second_port = free_port();
    let _second_node = Process::start(&url, second_port, &["serve", "--no-scheduler"], &[]);
    let second = api.at_port(second_port);
    wait_until_ready(&second.http, &second.base).await;
    let retried = second.send_with_key(reminder, "pay-run-1").await.unwrap();
    assert_eq!(retried.status(), StatusCode::ACCEPTED);
    let again = second.send_with_key(reminder, "pay-run-1").await.unwrap();
    assert_eq!(again.status(), StatusCode::ACCEPTED);

    let worker = Process::start(&url, free_port(), &["worker"], &[]);
    second.wait_until_settled(Duration::from_secs(120)).await;
    let counts = tally(worker.terminate());
    let twice = counts.values().filter(|n| **n > 1).count();
    eprintln!(
        "{backend:?}: the killed node's answer: {first_answer}; after the retry {} messages sent, {twice} twice",
        counts.len()
    );
    assert_eq!(counts.len(), total, "one message per client");
    assert_eq!(twice, 0);
    assert_eq!(
        second.count("sent").await,
        u64::try_from(total).unwrap(),
        "no second set of messages was made"
    );
}

/// An API node and two workers started at the same moment on a fresh database, as an
/// orchestrator rolls out replicas: one migrates, the others wait for it, and all three serve.
async fn three_processes_started_at_once(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let ports = [free_port(), free_port(), free_port()];
    let workers = [
        Process::start(&url, ports[1], &["worker"], &[]),
        Process::start(&url, ports[2], &["worker"], &[]),
    ];
    let _api_node = Process::start(&url, ports[0], &["serve", "--no-scheduler"], &[]);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    for port in ports {
        wait_until_ready(&http, &format!("http://127.0.0.1:{port}")).await;
    }
    let api = Api::connect(ports[0]).await;
    let reminder = api.reminder_for(50).await;
    api.send_and_wait_for(reminder, 50).await;
    let sends: Vec<i64> = workers.into_iter().flat_map(Process::terminate).collect();
    assert_eq!(
        tally(sends).len(),
        50,
        "the workers sent what the API node queued"
    );
}

async fn terminated_worker_drains(backend: Backend) {
    let total = 3_000;
    // A ten-minute lease: anything left `sending` after SIGTERM would be stuck that long.
    let mut run = interrupted_run(backend, total, "600").await;
    let before = run.worker.take().unwrap().terminate();
    assert_eq!(
        run.api.count("sending").await,
        0,
        "SIGTERM left work claimed"
    );
    assert!(before.len() < total, "stopped too late to test anything");
    let after = run.finish_with_successor().await;
    let counts = tally(before.into_iter().chain(after));
    assert_eq!(counts.len(), total);
    assert!(
        counts.values().all(|n| *n == 1),
        "a drained worker sends nothing twice"
    );
}

per_backend!(two_workers_send_each_of_10000_notifications_once, two_workers_send_each_notification_once, [mysql: MySql, postgres: Postgres]);

per_backend!(a_killed_worker_loses_nothing, killed_worker_loses_nothing);

per_backend!(
    one_of_two_workers_killed_repeats_at_most_its_sends_in_flight,
    one_of_two_workers_killed_repeats_at_most_its_sends_in_flight,
    [mysql: MySql, postgres: Postgres]
);

per_backend!(
    an_api_node_killed_during_a_manual_send_sends_once_when_retried,
    an_api_node_killed_during_a_manual_send
);

per_backend!(
    three_processes_started_at_once_on_a_fresh_database_all_serve,
    three_processes_started_at_once
);

per_backend!(
    sigterm_drains_a_worker_and_leaves_nothing_claimed,
    terminated_worker_drains
);
