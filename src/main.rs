//! `reminder-backend`: `serve` (default) or `migrate`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use reminder_backend::config::Settings;
use reminder_backend::startup::{Application, shutdown_signal};
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
    /// Apply migrations, then serve the HTTP API (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = match Settings::from_environment() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("reminder-backend: refusing to start: {error}");
            std::process::exit(2);
        }
    };
    telemetry::init(settings.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
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

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let host = settings.host;
    let environment = settings.environment.as_str();
    let database = settings.database_url_for_logs();
    let application = Application::build(settings).await?;
    let port = application.port();
    let shown_host = if host.is_unspecified() {
        "localhost".to_owned()
    } else {
        host.to_string()
    };
    tracing::info!(
        %environment, %database, %host, port,
        "listening; API docs at http://{shown_host}:{port}/docs"
    );
    application.run_until_stopped(shutdown_signal()).await
}
