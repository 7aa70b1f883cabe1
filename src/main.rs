//! `reminder-backend`: `serve` (default), `worker`, `migrate`, `check-config` or `rotate-keys`.

use std::collections::HashMap;

use anyhow::Context;
use clap::{Parser, Subcommand};
use reminder_backend::config::Settings;
use reminder_backend::startup::{Application, Role, shutdown_signal};
use reminder_backend::{db, telemetry};
use secrecy::ExposeSecret;

#[derive(Parser)]
#[command(
    name = "reminder-backend",
    version,
    about = "Reminders by e-mail, SMS and WhatsApp"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations, then serve the HTTP API and run the scheduler (the default).
    Serve {
        /// Serve the API only; leave planning and sending to `worker` processes.
        #[arg(long)]
        no_scheduler: bool,
    },
    /// Run the scheduler (planner and dispatcher) only; HTTP answers /health and /ready.
    Worker,
    /// Apply pending migrations and exit.
    Migrate,
    /// Report everything a production start would refuse in the current settings
    /// (`env/.env.production`, then the process environment); exit 2 if anything.
    CheckConfig,
    /// Re-seal every stored provider secret under `ENCRYPTION_KEY`; the old key must be in
    /// `ENCRYPTION_KEY_PREVIOUS` until this has run.
    RotateKeys,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    reminder_backend::security::install_tls_provider();
    if matches!(cli.command, Some(Command::CheckConfig)) {
        check_config();
    }
    let settings = match Settings::from_environment() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("reminder-backend: refusing to start: {error}");
            std::process::exit(2);
        }
    };
    telemetry::init(settings.log_format);
    match cli.command.unwrap_or(Command::Serve {
        no_scheduler: false,
    }) {
        Command::Serve { no_scheduler } => {
            serve(
                settings,
                if no_scheduler {
                    Role::ApiOnly
                } else {
                    Role::Serve
                },
            )
            .await
        }
        Command::Worker => serve(settings, Role::Worker).await,
        Command::CheckConfig => Ok(()),
        Command::RotateKeys => rotate_keys(settings).await,
        Command::Migrate => {
            let db = db::connect(settings.database_url.expose_secret(), 1)
                .await
                .with_context(|| {
                    format!("cannot connect to {}", settings.database_url_for_logs())
                })?;
            db::migrate(&db).await?;
            tracing::info!(database = %settings.database_url_for_logs(), "migrations applied");
            Ok(())
        }
    }
}

/// Prints each production refusal and exits: 0 when there is none, 2 otherwise.
fn check_config() -> ! {
    let file: HashMap<String, String> = dotenvy::from_filename_iter("env/.env.production")
        .map(|entries| entries.filter_map(Result::ok).collect())
        .unwrap_or_default();
    let refusals = Settings::production_refusals(|key| {
        std::env::var(key).ok().or_else(|| file.get(key).cloned())
    });
    if refusals.is_empty() {
        println!("check-config: a production start would accept these settings");
        std::process::exit(0);
    }
    for refusal in &refusals {
        println!("refused: {refusal}");
    }
    println!(
        "check-config: {} setting(s) to fix before production",
        refusals.len()
    );
    std::process::exit(2);
}

/// Re-seals stored secrets under the current key and reports what it did.
async fn rotate_keys(settings: Settings) -> anyhow::Result<()> {
    let db = db::connect(settings.database_url.expose_secret(), 1)
        .await
        .with_context(|| format!("cannot connect to {}", settings.database_url_for_logs()))?;
    db::migrate(&db).await?;
    let secrets = reminder_backend::startup::secret_box(&settings);
    let report = reminder_backend::services::providers::rotate(&db, &secrets).await?;
    println!(
        "rotate-keys: {} re-sealed, {} already under key {}, {} unreadable",
        report.resealed,
        report.current,
        secrets.current_key_id(),
        report.unreadable
    );
    if report.unreadable > 0 {
        anyhow::bail!(
            "{} secret(s) open with no known key: put the key that sealed them in ENCRYPTION_KEY_PREVIOUS",
            report.unreadable
        );
    }
    Ok(())
}

async fn serve(settings: Settings, role: Role) -> anyhow::Result<()> {
    let host = settings.host;
    let environment = settings.environment.as_str();
    let database = settings.database_url_for_logs();
    let application = Application::build(settings, role).await?;
    let scheduler = application.runs_scheduler();
    let port = application.port();
    let shown_host = if host.is_unspecified() {
        "localhost".to_owned()
    } else {
        host.to_string()
    };
    tracing::info!(
        %environment, %database, %host, port, ?role, scheduler,
        "listening; API docs at http://{shown_host}:{port}/docs"
    );
    application.run_until_stopped(shutdown_signal()).await
}
