//! Building and running the application: connect, migrate, bind, serve until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::security::jwt::JwtKeys;

/// What every request handler and service shares.
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// Settings, read once at start.
    pub settings: Arc<Settings>,
    /// Access-token keys.
    pub jwt: JwtKeys,
}

impl AppState {
    /// Connects to the database and applies migrations.
    pub async fn connect(settings: Settings) -> anyhow::Result<Self> {
        let db = crate::db::connect(
            settings.database_url.expose_secret(),
            settings.database_max_connections,
        )
        .await
        .with_context(|| format!("cannot connect to {}", settings.database_url_for_logs()))?;
        crate::db::migrate(&db).await.context("migrations failed")?;
        let jwt = JwtKeys::new(settings.secret_key.expose_secret().as_bytes())?;
        Ok(Self {
            db,
            settings: Arc::new(settings),
            jwt,
        })
    }
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    state: Arc<AppState>,
}

impl Application {
    /// Connects, migrates and binds `HOST:PORT` (port 0 picks a free one).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let address = SocketAddr::new(settings.host, settings.port);
        let state = Arc::new(AppState::connect(settings).await?);
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        Ok(Self { listener, state })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// The shared state (tests reach the database through it).
    pub fn state(&self) -> Arc<AppState> {
        Arc::clone(&self.state)
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let app = crate::api::app(self.state);
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("the HTTP server failed")
    }
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
