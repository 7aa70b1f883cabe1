//! `reminder-backend`: `serve` (default), `worker` or `migrate`.

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    reminder_backend::security::install_tls_provider();
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
