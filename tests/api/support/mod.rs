//! The test harness: a real server on a random port over a fresh database of each backend.
//!
//! SQLite always runs; MySQL/MariaDB and PostgreSQL run when `TEST_MYSQL_URL` /
//! `TEST_POSTGRES_URL` name a server (`.ci/run` sets both), each test in its own new database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DurationRound, Utc};
use reminder_backend::channels::{ChannelError, Channels, Delivery, OutgoingMessage, Transport};
use reminder_backend::clock::{Clock, ManualClock};
use reminder_backend::config::Settings;
use reminder_backend::scheduler::{dispatch_once, plan_due};
use reminder_backend::startup::{Application, Dependencies, Role};
use reminder_backend::state::AppState;
pub mod fakes;
mod python;
pub mod s3;
pub mod smtp;
pub mod stripe;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// A database backend under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    MySql,
    Postgres,
}

/// Runs one test body on a backend, or skips when that backend is not configured.
macro_rules! db_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports, reason = "each test uses a different part of the prelude")]
            use super::*;

            async fn run($app: crate::support::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = crate::support::TestApp::spawn(crate::support::Backend::Sqlite).await {
                    run(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                if let Some(app) = crate::support::TestApp::spawn(crate::support::Backend::MySql).await {
                    run(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = crate::support::TestApp::spawn(crate::support::Backend::Postgres).await {
                    run(app).await;
                }
            }
        }
    };
}
pub(crate) use db_test;

/// Runs `async fn $run(Backend)` once per backend (for tests that start their own app or
/// processes), as `$name::sqlite`, `$name::mysql`, `$name::postgres`.
macro_rules! per_backend {
    ($name:ident, $run:ident) => {
        crate::support::per_backend!($name, $run, [sqlite: Sqlite, mysql: MySql, postgres: Postgres]);
    };
    ($name:ident, $run:ident, [$($test:ident: $backend:ident),+]) => {
        mod $name {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$run(crate::support::Backend::$backend).await;
                }
            )+
        }
    };
}
pub(crate) use per_backend;

/// The `SECRET_KEY` of test servers (set explicitly: without one a server generates its own).
pub const TEST_SECRET_KEY: &str = "test-only-secret-key-of-the-api-tests-0123456789";

/// A password that satisfies the policy.
pub const PASSWORD: &str = "Sturdy-Lamp-42";

/// A running server and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Cookie-less HTTP client.
    pub http: reqwest::Client,
    /// The database URL (to restart on the same data).
    pub database_url: String,
    /// Extra settings of this app.
    pub overrides: HashMap<String, String>,
    /// The server's state (to drive the scheduler).
    pub state: Arc<AppState>,
    /// The server's clock, moved by the test.
    pub clock: Arc<ManualClock>,
    /// Records every message "sent" and fails on request.
    pub transport: Arc<TestTransport>,
    server: JoinHandle<()>,
    /// Whether messages go through the real transports.
    real_channels: bool,
    _sqlite_dir: Option<std::sync::Arc<tempfile::TempDir>>,
}

/// A transport that records messages and fails when told to.
#[derive(Default)]
pub struct TestTransport {
    sent: Mutex<Vec<OutgoingMessage>>,
    failures: Mutex<Vec<ChannelError>>,
}

impl TestTransport {
    /// The next sends fail with these errors, in order.
    pub fn fail_next(&self, errors: impl IntoIterator<Item = ChannelError>) {
        self.failures.lock().unwrap().extend(errors);
    }

    /// Every message accepted so far.
    pub fn sent(&self) -> Vec<OutgoingMessage> {
        self.sent.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl Transport for TestTransport {
    async fn send(&self, message: &OutgoingMessage) -> Result<Delivery, ChannelError> {
        let failure = {
            let mut failures = self.failures.lock().unwrap();
            (!failures.is_empty()).then(|| failures.remove(0))
        };
        if let Some(error) = failure {
            return Err(error);
        }
        self.sent.lock().unwrap().push(message.clone());
        Ok(Delivery {
            provider: "test".into(),
            provider_message_id: format!("test-{}", message.notification_id),
            segments: None,
        })
    }
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub refresh_token: String,
    pub user_id: i64,
    pub business_id: i64,
    pub email: String,
}

fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub(crate) async fn create_database(server_url: &str, name: &str) -> String {
    let server_url = server_url.trim_end_matches('/');
    let db = sea_orm::Database::connect(server_url)
        .await
        .unwrap_or_else(|error| panic!("test database server {server_url} unreachable: {error}"));
    sea_orm::ConnectionTrait::execute_unprepared(&db, &format!("CREATE DATABASE {name}"))
        .await
        .expect("CREATE DATABASE");
    db.close().await.ok();
    format!("{server_url}/{name}")
}

impl TestApp {
    /// Starts a server over a fresh database; `None` when the backend is not configured.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, HashMap::new()).await
    }

    /// Like [`spawn`](Self::spawn) with extra settings.
    pub async fn spawn_with(backend: Backend, overrides: HashMap<String, String>) -> Option<Self> {
        Self::spawn_inner(backend, overrides, false).await
    }

    async fn spawn_inner(
        backend: Backend,
        overrides: HashMap<String, String>,
        real_channels: bool,
    ) -> Option<Self> {
        install_crypto();
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let (database_url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/test.db", dir.path().display());
                (url, Some(std::sync::Arc::new(dir)))
            }
            Backend::MySql => {
                let Ok(server) = std::env::var("TEST_MYSQL_URL") else {
                    eprintln!("skipped: TEST_MYSQL_URL is not set");
                    return None;
                };
                (create_database(&server, &name).await, None)
            }
            Backend::Postgres => {
                let Ok(server) = std::env::var("TEST_POSTGRES_URL") else {
                    eprintln!("skipped: TEST_POSTGRES_URL is not set");
                    return None;
                };
                (create_database(&server, &name).await, None)
            }
        };
        let clock = Arc::new(ManualClock::new(
            Utc::now()
                .duration_trunc(chrono::Duration::seconds(1))
                .unwrap(),
        ));
        Some(
            Self::start(
                database_url,
                overrides,
                dir,
                clock,
                Arc::default(),
                real_channels,
            )
            .await,
        )
    }

    /// Like [`spawn_with`](Self::spawn_with) but sending through the real transports (SMTP,
    /// Twilio, WhatsApp), which the overrides point at local servers and fakes.
    pub async fn spawn_with_providers(
        backend: Backend,
        overrides: HashMap<String, String>,
    ) -> Option<Self> {
        Self::spawn_inner(backend, overrides, true).await
    }

    async fn start(
        database_url: String,
        overrides: HashMap<String, String>,
        dir: Option<std::sync::Arc<tempfile::TempDir>>,
        clock: Arc<ManualClock>,
        transport: Arc<TestTransport>,
        real_channels: bool,
    ) -> Self {
        let mut values: HashMap<String, String> = [
            ("ENV", "testing"),
            ("SECRET_KEY", TEST_SECRET_KEY),
            ("HOST", "127.0.0.1"),
            ("PORT", "0"),
            ("DATABASE_MAX_CONNECTIONS", "5"),
            ("PUBLIC_BASE_URL", "http://reminders.test"),
            // Tests drive the scheduler themselves, with `dispatch_until_idle`.
            ("DISABLE_SCHEDULER", "true"),
            ("RETRY_BACKOFF_SECONDS", "60"),
            ("MAX_ATTEMPTS", "3"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        values.insert("DATABASE_URL".into(), database_url.clone());
        values.extend(overrides.clone());
        let settings = Settings::from_map(&values).expect("test settings");
        let shared: Arc<dyn Transport> = transport.clone();
        let dependencies = Dependencies {
            clock: clock.clone(),
            channels: (!real_channels)
                .then(|| Channels::new(shared.clone(), shared.clone(), shared)),
        };
        let application = Application::build_with(settings, Role::Serve, dependencies)
            .await
            .expect("application builds");
        let address = format!("http://127.0.0.1:{}", application.port());
        let state = application.state();
        let server = tokio::spawn(async move {
            application
                .run_until_stopped(std::future::pending())
                .await
                .expect("server runs");
        });
        Self {
            address,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            database_url,
            overrides,
            state,
            clock,
            transport,
            server,
            real_channels,
            _sqlite_dir: dir,
        }
    }

    /// A second node: another server on the same database, running alongside this one.
    pub async fn another_node(&self) -> Self {
        Self::start(
            self.database_url.clone(),
            self.overrides.clone(),
            self._sqlite_dir.clone(),
            self.clock.clone(),
            Arc::default(),
            self.real_channels,
        )
        .await
    }

    /// Stops this server and starts a new one on the same database.
    pub async fn restart(self) -> Self {
        self.server.abort();
        Self::start(
            self.database_url.clone(),
            self.overrides.clone(),
            self._sqlite_dir.clone(),
            self.clock.clone(),
            self.transport.clone(),
            self.real_channels,
        )
        .await
    }

    /// Runs the planner and the dispatcher at the clock's time until nothing is left to do now.
    pub async fn dispatch_until_idle(&self) {
        let (_stop, running) = tokio::sync::watch::channel(false);
        for _ in 0..1000 {
            let planned = plan_due(&self.state, self.clock.now())
                .await
                .expect("planning");
            let dispatched = dispatch_once(&self.state, &running)
                .await
                .expect("dispatching");
            if planned.reminders == 0 && dispatched.claimed == 0 && dispatched.reclaimed == 0 {
                return;
            }
        }
        panic!("the scheduler did not become idle");
    }

    /// A request to `path`: API paths are relative to `/api/v1`; `/api/…`, `/health`, `/ready`,
    /// `/docs` and `/openapi.json` are taken as they are.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let outside_api = [
            "/api/",
            "/health",
            "/ready",
            "/docs",
            "/openapi.json",
            "/unsubscribe/",
            "/pay/",
            "/metrics",
        ]
        .iter()
        .any(|prefix| path.starts_with(prefix));
        let url = if outside_api {
            format!("{}{}", self.address, path)
        } else {
            format!("{}/api/v1{}", self.address, path)
        };
        self.http.request(method, url)
    }

    /// Sends JSON with an optional bearer token.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.request(method, path);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.send(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.send(Method::DELETE, path, Some(token), None).await
    }

    /// `POST /auth/register`.
    pub async fn register(&self, business: &str, email: &str) -> Response {
        self.send(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({
                "business_name": business,
                "email": email,
                "password": PASSWORD,
                "full_name": "Owner of ".to_owned() + business,
            })),
        )
        .await
    }

    /// `POST /auth/token` with a form.
    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.request(Method::POST, "/auth/token")
            .form(&[("username", email), ("password", password)])
            .send()
            .await
            .expect("request sent")
    }

    /// Registers a business and signs its owner in.
    pub async fn owner(&self, business: &str) -> Session {
        let email = format!(
            "owner@{}.example.com",
            business.to_lowercase().replace(' ', "-")
        );
        let registered = self.register(business, &email).await;
        assert_eq!(registered.status(), StatusCode::CREATED);
        let registered: Value = registered.json().await.expect("json");
        let mut session = self.sign_in(&email, PASSWORD).await;
        session.business_id = registered["business"]["id"].as_i64().expect("business id");
        session
    }

    /// Signs a user in.
    pub async fn sign_in(&self, email: &str, password: &str) -> Session {
        let response = self.login(email, password).await;
        assert_eq!(response.status(), StatusCode::OK, "sign-in of {email}");
        let tokens: Value = response.json().await.expect("json");
        let token = tokens["access_token"].as_str().expect("token").to_owned();
        let me: Value = self
            .get("/users/me", &token)
            .await
            .json()
            .await
            .expect("json");
        Session {
            token,
            refresh_token: tokens["refresh_token"]
                .as_str()
                .expect("refresh")
                .to_owned(),
            user_id: me["id"].as_i64().expect("id"),
            business_id: me["business_id"].as_i64().expect("business"),
            email: email.to_owned(),
        }
    }

    /// Adds a staff member with a role and signs them in.
    pub async fn staff(&self, owner: &Session, email: &str, role: &str) -> Session {
        let response = self
            .post(
                "/users",
                &owner.token,
                json!({"email": email, "full_name": "Staff", "password": PASSWORD, "role": role}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "creating {email}");
        self.sign_in(email, PASSWORD).await
    }

    /// Creates a client and returns its JSON.
    pub async fn client(&self, session: &Session, body: Value) -> Value {
        let response = self.post("/clients", &session.token, body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("json")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Reads a problem body and checks its media type and status.
pub async fn problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    let media = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(media, "application/problem+json");
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["status"], status.as_u16());
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
    body
}

/// The fields named in a 422's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
