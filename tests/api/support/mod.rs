//! The test harness: a real server on a random port over a fresh database of each backend.
//!
//! Every case runs on SQLite, MySQL/MariaDB and PostgreSQL, each in its own new database on the
//! servers `TEST_MYSQL_URL` / `TEST_POSTGRES_URL` name (`.ci/run` sets both); without them
//! `scripts/test-env.sh` leaves those cases out and reports them as skipped.
//!
//! Test apps run with `DISABLE_SCHEDULER=true`: a test moves the clock and drives the scheduler
//! itself ([`TestApp::dispatch_until_idle`]), so when it ends the outbox is in a known state.
//! Every app checks that state when it is dropped ([`TestApp`]'s `Drop`): no notification may be
//! left claimed (`sending`) nor `pending` and already due at the test clock's time, unless the
//! test said so with [`TestApp::expect_unsent`]. The check is in `Drop` rather than in the
//! [`db_test!`] wrappers so that it covers every app however it was started — the wrappers, the
//! tests that spawn their own with [`TestApp::spawn_with`], and apps after a
//! [`restart`](TestApp::restart). It is skipped while the test is already panicking (its own
//! failure is the one to report), and it runs on a thread of its own with its own runtime and
//! connection, so it works from whichever runtime drops the app.
//!
//! The harness sets only what every test needs (below, in `TestApp::start`); settings that a
//! test's assertions depend on, such as `MAX_ATTEMPTS` or `RETRY_BACKOFF_SECONDS`, are given by
//! that test ([`db_test!`]'s list or [`settings`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, DurationRound, Utc};
use reminder_backend::channels::{ChannelError, Channels, Delivery, OutgoingMessage, Transport};
use reminder_backend::clock::{Clock, ManualClock};
use reminder_backend::config::Settings;
use reminder_backend::scheduler::{dispatch_once, plan_due};
use reminder_backend::startup::{Application, Dependencies, Role};
use reminder_backend::state::AppState;
pub mod browser;
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

/// Generates the three wrappers of `async fn $name(app: TestApp)`: `$name::sqlite`,
/// `$name::mysql` and `$name::postgres`, each starting an app over a fresh database of its
/// backend (or skipping when that backend is not configured) and handing it to the test. The
/// body stays a plain function so that rustfmt formats it.
///
/// Settings the test depends on follow its name:
/// `db_test!(name, [("MAX_ATTEMPTS", "3"), ("RETRY_BACKOFF_SECONDS", "60")]);`.
macro_rules! db_test {
    ($name:ident) => {
        crate::support::db_test!($name, []);
    };
    ($name:ident, [$(($key:expr, $value:expr)),* $(,)?]) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                crate::support::run_test(
                    crate::support::Backend::Sqlite,
                    &[$(($key, $value)),*],
                    super::$name,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                crate::support::run_test(
                    crate::support::Backend::MySql,
                    &[$(($key, $value)),*],
                    super::$name,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                crate::support::run_test(
                    crate::support::Backend::Postgres,
                    &[$(($key, $value)),*],
                    super::$name,
                )
                .await;
            }
        }
    };
}
pub(crate) use db_test;

/// Runs a [`db_test!`] body on an app of `backend` with these settings.
pub async fn run_test<F, Fut>(backend: Backend, overrides: &[(&str, &str)], body: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    body(TestApp::spawn_with(backend, settings(overrides)).await).await;
}

/// Settings for [`TestApp::spawn_with`]: `settings(&[("MAX_ATTEMPTS", "3")])`.
pub fn settings(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

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
    /// Set by [`expect_unsent`](Self::expect_unsent); shared with the app after a restart.
    unsent_expected: Arc<AtomicBool>,
    /// Whether dropping this app checks that the outbox is settled: not for a second node
    /// (the first one checks) nor for an app replaced by its restart.
    checks_when_dropped: bool,
    _sqlite_dir: Option<std::sync::Arc<tempfile::TempDir>>,
}

/// A transport that records messages, fails when told to, and holds sends when told to.
#[derive(Default)]
pub struct TestTransport {
    sent: Mutex<Vec<OutgoingMessage>>,
    failures: Mutex<Vec<ChannelError>>,
    gate: Mutex<Option<Arc<Gate>>>,
}

/// Holds every send until opened: a provider call that lasts as long as the test needs.
pub struct Gate {
    open: tokio::sync::Semaphore,
    entered: tokio::sync::Notify,
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            open: tokio::sync::Semaphore::new(0),
            entered: tokio::sync::Notify::new(),
        }
    }
}

impl Gate {
    /// Waits until a held send has begun.
    pub async fn entered(&self) {
        self.entered.notified().await;
    }

    /// Lets every held send, and every later one, through.
    pub fn open(&self) {
        self.open
            .add_permits(tokio::sync::Semaphore::MAX_PERMITS / 2);
    }
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

    /// From now on sends wait for the returned gate to open.
    pub fn hold(&self) -> Arc<Gate> {
        let gate = Arc::new(Gate::default());
        *self.gate.lock().unwrap() = Some(Arc::clone(&gate));
        gate
    }
}

#[async_trait::async_trait]
impl Transport for TestTransport {
    async fn send(&self, message: &OutgoingMessage) -> Result<Delivery, ChannelError> {
        let gate = self.gate.lock().unwrap().clone();
        if let Some(gate) = gate {
            gate.entered.notify_one();
            let _passed = gate.open.acquire().await;
        }
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

/// The server a MySQL/MariaDB or PostgreSQL case makes its database on (`TEST_MYSQL_URL`,
/// `TEST_POSTGRES_URL`). A case whose server is not named fails rather than pass unrun:
/// `scripts/test-env.sh` leaves such cases out and reports them as skipped.
pub fn server_url(backend: Backend) -> String {
    let variable = match backend {
        Backend::MySql => "TEST_MYSQL_URL",
        Backend::Postgres => "TEST_POSTGRES_URL",
        Backend::Sqlite => unreachable!("SQLite needs no server"),
    };
    std::env::var(variable).unwrap_or_else(|_| {
        panic!(
            "{variable} is not set, so this {backend:?} case cannot run; run scripts/test-env.sh, \
             which leaves such cases out and reports them as skipped"
        )
    })
}

impl TestApp {
    /// Starts a server over a fresh database.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, HashMap::new()).await
    }

    /// Like [`spawn`](Self::spawn) with extra settings.
    pub async fn spawn_with(backend: Backend, overrides: HashMap<String, String>) -> Self {
        Self::spawn_inner(backend, overrides, false).await
    }

    async fn spawn_inner(
        backend: Backend,
        overrides: HashMap<String, String>,
        real_channels: bool,
    ) -> Self {
        install_crypto();
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let (database_url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/test.db", dir.path().display());
                (url, Some(std::sync::Arc::new(dir)))
            }
            Backend::MySql | Backend::Postgres => {
                let server = server_url(backend);
                (create_database(&server, &name).await, None)
            }
        };
        let clock = Arc::new(ManualClock::new(
            Utc::now()
                .duration_trunc(chrono::Duration::seconds(1))
                .unwrap(),
        ));
        Self::start(
            database_url,
            overrides,
            dir,
            clock,
            Arc::default(),
            real_channels,
            Arc::default(),
        )
        .await
    }

    /// Like [`spawn_with`](Self::spawn_with) but sending through the real transports (SMTP,
    /// Twilio, WhatsApp), which the overrides point at local servers and fakes.
    pub async fn spawn_with_providers(
        backend: Backend,
        overrides: HashMap<String, String>,
    ) -> Self {
        Self::spawn_inner(backend, overrides, true).await
    }

    async fn start(
        database_url: String,
        overrides: HashMap<String, String>,
        dir: Option<std::sync::Arc<tempfile::TempDir>>,
        clock: Arc<ManualClock>,
        transport: Arc<TestTransport>,
        real_channels: bool,
        unsent_expected: Arc<AtomicBool>,
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
            unsent_expected,
            checks_when_dropped: true,
            _sqlite_dir: dir,
        }
    }

    /// A second node: another server on the same database, running alongside this one.
    pub async fn another_node(&self) -> Self {
        let mut node = Self::start(
            self.database_url.clone(),
            self.overrides.clone(),
            self._sqlite_dir.clone(),
            self.clock.clone(),
            Arc::default(),
            self.real_channels,
            self.unsent_expected.clone(),
        )
        .await;
        node.checks_when_dropped = false;
        node
    }

    /// Stops this server and starts a new one on the same database.
    pub async fn restart(mut self) -> Self {
        self.server.abort();
        self.checks_when_dropped = false;
        Self::start(
            self.database_url.clone(),
            self.overrides.clone(),
            self._sqlite_dir.clone(),
            self.clock.clone(),
            self.transport.clone(),
            self.real_channels,
            self.unsent_expected.clone(),
        )
        .await
    }

    /// The test ends with notifications claimed or due but not sent, on purpose: dropping the
    /// app does not check that the outbox is settled. Say why where it is called.
    pub fn expect_unsent(&self) {
        self.unsent_expected.store(true, Ordering::Relaxed);
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
    /// A request to a page outside the API (the console), taken as it is.
    pub fn page(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{}", self.address, path))
    }

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

    /// `GET path` with a token: asserts a 200 and returns the body.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        json_body(self.get(path, token).await, StatusCode::OK).await
    }

    /// Creates a client and returns its JSON.
    pub async fn client(&self, session: &Session, body: Value) -> Value {
        json_body(
            self.post("/clients", &session.token, body).await,
            StatusCode::CREATED,
        )
        .await
    }

    /// Creates a client with only a name and an e-mail address, `<name>@example.com` in lower
    /// case.
    pub async fn email_client(&self, session: &Session, name: &str) -> Value {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        self.client(session, json!({"name": name, "email": email}))
            .await
    }

    /// Creates a reminder and returns its JSON.
    pub async fn reminder(&self, session: &Session, body: Value) -> Value {
        json_body(
            self.post("/reminders", &session.token, body).await,
            StatusCode::CREATED,
        )
        .await
    }

    /// A `once` reminder on one channel for one client, `days` from the test clock's date at
    /// 09:00 in the business's zone (UTC unless the test changed it); see [`arrive`](Self::arrive).
    pub async fn once_for(
        &self,
        session: &Session,
        client: &Value,
        channel: &str,
        days: i64,
    ) -> Value {
        self.reminder(
            session,
            json!({
                "title": "t",
                "channels": [channel],
                "body": "x",
                "schedule": {"type": "once", "at": self.local_in(days, "09:00:00")},
                "client_ids": [client["id"]],
            }),
        )
        .await
    }

    /// An e-mail reminder for one client, every day at 09:00 UTC from tomorrow.
    pub async fn daily_for(&self, session: &Session, client: &Value) -> Value {
        self.reminder(
            session,
            json!({
                "title": "t",
                "channels": ["email"],
                "body": "x",
                "schedule": {
                    "type": "recurring",
                    "rrule": "FREQ=DAILY",
                    "start": self.local_in(1, "09:00:00"),
                    "timezone": "UTC",
                },
                "client_ids": [client["id"]],
            }),
        )
        .await
    }

    /// Sets the clock to 09:00 UTC `days` after its current date, when
    /// [`once_for`](Self::once_for) reminders fall.
    pub fn arrive(&self, days: i64) {
        self.clock.set(self.instant_in(days, "09:00:00", "UTC"));
    }

    /// A local date-time `days` after the test clock's date, at `time` (`HH:MM:SS`).
    pub fn local_in(&self, days: i64, time: &str) -> String {
        let date = (self.clock.now() + chrono::Duration::days(days)).date_naive();
        format!("{date}T{time}")
    }

    /// The instant of [`local_in(days, time)`](Self::local_in) in a zone.
    pub fn instant_in(&self, days: i64, time: &str, zone: &str) -> DateTime<Utc> {
        use chrono::TimeZone;
        let local =
            chrono::NaiveDateTime::parse_from_str(&self.local_in(days, time), "%Y-%m-%dT%H:%M:%S")
                .expect("local date-time");
        let zone: chrono_tz::Tz = zone.parse().expect("time zone");
        zone.from_local_datetime(&local)
            .earliest()
            .expect("an instant")
            .with_timezone(&Utc)
    }

    /// The business's notifications (up to 200) matching a query string such as
    /// `status=pending`.
    pub async fn notifications(&self, session: &Session, query: &str) -> Vec<Value> {
        let list = self
            .get_json(&format!("/notifications?limit=200&{query}"), &session.token)
            .await;
        list["items"].as_array().expect("items").clone()
    }
}

impl Drop for TestApp {
    /// Stops the server and checks that the outbox is settled (see the module's doc).
    fn drop(&mut self) {
        self.server.abort();
        if !self.checks_when_dropped
            || self.unsent_expected.load(Ordering::Relaxed)
            || std::thread::panicking()
        {
            return;
        }
        let left = unsettled(&self.database_url, self.clock.now())
            .unwrap_or_else(|error| panic!("checking that the outbox is settled: {error}"));
        assert!(
            left.is_empty(),
            "the test left notifications claimed or due but not sent (call \
             `app.expect_unsent()` if that is what it means to do):\n{}",
            left.join("\n")
        );
    }
}

/// The notifications claimed (`sending`) or `pending` and due at `now`, one line each.
///
/// Runs on a thread of its own with a current-thread runtime and one connection: it is called
/// from `Drop`, which cannot await and may run on any runtime (or none).
fn unsettled(database_url: &str, now: DateTime<Utc>) -> Result<Vec<String>, String> {
    use reminder_backend::entities::{Timestamp, notification};
    use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};

    let query = async {
        let db = reminder_backend::db::connect(database_url, 1)
            .await
            .map_err(|error| error.to_string())?;
        let rows = notification::Entity::find()
            .filter(
                Condition::any()
                    .add(notification::Column::Status.eq("sending"))
                    .add(
                        Condition::all()
                            .add(notification::Column::Status.eq("pending"))
                            .add(notification::Column::NextAttemptAt.lte(Timestamp(now))),
                    ),
            )
            .order_by_asc(notification::Column::Id)
            .all(&db)
            .await
            .map_err(|error| error.to_string())?;
        db.close().await.ok();
        Ok(rows
            .iter()
            .map(|n| {
                format!(
                    "  #{} {} {} attempts={} next_attempt_at={} error={:?}",
                    n.id, n.channel, n.status, n.attempt_count, n.next_attempt_at, n.error_code
                )
            })
            .collect())
    };
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|error| error.to_string())?
                    .block_on(query)
            })
            .join()
            .map_err(|_| "the check's thread panicked".to_owned())?
    })
}

/// Reads a JSON body after checking the status (the body is shown when the status differs).
pub async fn json_body(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{error}: {text}"))
}

/// `GET /users/me` with `token` on `node` until it is refused, as a revocation made on another
/// node must be within the token cache's bound (`TokenCache::TTL`, checked here with a margin
/// for a loaded machine); the refusal's problem.
pub async fn refused_within_the_token_cache_bound(node: &TestApp, token: &str) -> Value {
    settled_within_the_token_cache_bound(node, token, async |response: Response| {
        if response.status() == StatusCode::UNAUTHORIZED {
            return Some(problem(response, StatusCode::UNAUTHORIZED).await);
        }
        assert_eq!(response.status(), StatusCode::OK);
        None
    })
    .await
}

/// Asks `node` for `/users/me` with `token` until `settled` makes something of the answer,
/// which must happen within the token cache's bound (with 3 s to spare for a slow machine).
pub async fn settled_within_the_token_cache_bound<T>(
    node: &TestApp,
    token: &str,
    mut settled: impl AsyncFnMut(Response) -> Option<T>,
) -> T {
    let bound = reminder_backend::token_cache::TokenCache::TTL;
    let started = std::time::Instant::now();
    loop {
        if let Some(answer) = settled(node.get("/users/me", token).await).await {
            return answer;
        }
        assert!(
            started.elapsed() < bound + std::time::Duration::from_secs(3),
            "the other node's answer did not change within {:?}",
            started.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
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

/// The message of a 422's error on `field`.
pub fn error_message<'a>(problem: &'a Value, field: &str) -> &'a str {
    problem["errors"]
        .as_array()
        .and_then(|errors| errors.iter().find(|e| e["field"] == field))
        .and_then(|error| error["message"].as_str())
        .unwrap_or_else(|| panic!("no error on {field}: {problem}"))
}
