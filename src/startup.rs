//! Building and running the application: connect, migrate, bind, then serve the API and/or run
//! the scheduler until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::channels::Channels;
use crate::channels::pacer::Pacer;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::limits::{AddressLimiter, Limiters};
use crate::payments::stripe::StripeClient;
use crate::security::crypto::SecretBox;
use crate::security::jwt::JwtKeys;
use crate::state::{AppState, Heartbeat};
use sha2::{Digest, Sha256};

/// What a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// HTTP API and scheduler (unless `DISABLE_SCHEDULER`).
    Serve,
    /// HTTP API only.
    ApiOnly,
    /// Scheduler only, with `/health` and `/ready` on the HTTP port.
    Worker,
}

/// Parts a test may replace.
pub struct Dependencies {
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The transports; by default the real providers (each using the console for messages
    /// without an account).
    pub channels: Option<Channels>,
}

impl Default for Dependencies {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            channels: None,
        }
    }
}

/// A bound, ready-to-run process.
pub struct Application {
    listener: TcpListener,
    state: Arc<AppState>,
    role: Role,
}

impl Application {
    /// Connects, migrates and binds `HOST:PORT` (port 0 picks a free one).
    pub async fn build(settings: Settings, role: Role) -> anyhow::Result<Self> {
        Self::build_with(settings, role, Dependencies::default()).await
    }

    /// Like [`build`](Self::build) with chosen dependencies.
    pub async fn build_with(
        settings: Settings,
        role: Role,
        dependencies: Dependencies,
    ) -> anyhow::Result<Self> {
        crate::metrics::handle();
        let address = SocketAddr::new(settings.host, settings.port);
        let db = crate::db::connect(
            settings.database_url.expose_secret(),
            settings.database_max_connections,
        )
        .await
        .with_context(|| format!("cannot connect to {}", settings.database_url_for_logs()))?;
        crate::db::migrate(&db).await?;
        let jwt = JwtKeys::new(settings.secret_key.expose_secret().as_bytes())?;
        let secrets = secret_box(&settings);
        let stripe_api_base = settings.providers.stripe_api_base.clone();
        let settings_storage_url = settings.storage_url.clone();
        let limiters = Limiters {
            auth: AddressLimiter::per_minute(settings.rate_limit_auth_per_minute),
            webhooks: AddressLimiter::per_minute(settings.rate_limit_webhooks_per_minute),
        };
        let channels = match dependencies.channels {
            Some(channels) => channels,
            None => Channels::providers(
                &settings.providers.twilio_api_base,
                &format!(
                    "{}{}/webhooks/twilio/status",
                    settings.public_base_url, settings.api_v1_str
                ),
                &settings.providers.whatsapp_api_base,
            )?,
        };
        let state = Arc::new(AppState {
            db,
            settings: Arc::new(settings),
            jwt,
            token_cache: crate::token_cache::TokenCache::default(),
            list_totals: crate::repositories::list_totals::ListTotals::default(),
            secrets,
            clock: dependencies.clock,
            channels,
            pacer: Pacer::default(),
            limiters,
            stripe: StripeClient::new(crate::http::client()?, &stripe_api_base),
            documents: crate::documents::Store::from_url(settings_storage_url.as_deref())
                .context("STORAGE_URL")?,
            heartbeat: Heartbeat::default(),
            planner_wake: Notify::new(),
            dispatcher_wake: Notify::new(),
        });
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        Ok(Self {
            listener,
            state,
            role,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// The shared state (tests drive the scheduler through it).
    pub fn state(&self) -> Arc<AppState> {
        Arc::clone(&self.state)
    }

    /// True when this process runs the planner and dispatcher.
    pub fn runs_scheduler(&self) -> bool {
        match self.role {
            Role::Worker => true,
            Role::ApiOnly => false,
            Role::Serve => !self.state.settings.scheduler.disabled,
        }
    }

    /// Serves until `shutdown` completes: stops accepting requests and claiming work, lets
    /// requests and sends in flight finish, hands unfinished work back.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_sender, stop) = watch::channel(false);
        let scheduler = if self.runs_scheduler() {
            Some(tokio::spawn(crate::scheduler::run(
                Arc::clone(&self.state),
                stop.clone(),
            )))
        } else {
            None
        };
        let app = match self.role {
            Role::Worker => crate::api::health_only(Arc::clone(&self.state)),
            Role::Serve | Role::ApiOnly => crate::web::app(&self.state),
        };
        let mut http_stop = stop.clone();
        let server = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = http_stop.wait_for(|stopped| *stopped).await;
        });
        let signal = async move {
            shutdown.await;
            let _ = stop_sender.send(true);
        };
        let (served, ()) = tokio::join!(server, signal);
        if let Some(scheduler) = scheduler {
            scheduler.await.context("the scheduler task failed")?;
        }
        served.context("the HTTP server failed")
    }
}

/// The box for secrets at rest: `ENCRYPTION_KEY` (or the generated one kept in the key file)
/// seals, it and `ENCRYPTION_KEY_PREVIOUS` open. Outside production, where it is required, a
/// `SECRET_KEY` given without it derives one, with a warning.
pub fn secret_box(settings: &Settings) -> SecretBox {
    let key: [u8; 32] = match &settings.encryption_key {
        Some(key) => key.expose().try_into().unwrap_or([0; 32]),
        None => {
            tracing::warn!(
                "ENCRYPTION_KEY is not set: secrets at rest use a key derived from SECRET_KEY (development only)"
            );
            Sha256::digest(
                format!(
                    "reminder-app encryption key:{}",
                    settings.secret_key.expose_secret()
                )
                .as_bytes(),
            )
            .into()
        }
    };
    let previous: Vec<[u8; 32]> = settings
        .encryption_keys_previous
        .iter()
        .filter_map(|key| key.expose().try_into().ok())
        .collect();
    SecretBox::new(&key, &previous)
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
