//! `reminder-backend`: `serve` (default), `worker`, `migrate`, `check-config`, `rotate-keys` or
//! `import-original`.

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
    /// Import the original FastAPI service's database (MySQL or SQLite) into ours: users become
    /// businesses and owners, with their clients, sender identities, SMTP servers, reminders,
    /// recipients and notification history. One transaction; prints a JSON report accounting
    /// for every row.
    ImportOriginal(ImportArgs),
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The original database: `mysql://user:pass@host/db` (or `mysql+pymysql://…`) or
    /// `sqlite:///path/to/app.db`.
    #[arg(long, env = "ORIGINAL_DATABASE_URL", hide_env_values = true)]
    source: String,
    /// The original's `SECRET_KEY`, to open the phone numbers and SMTP passwords it sealed.
    #[arg(
        long = "original-secret-key-env",
        default_value = "ORIGINAL_SECRET_KEY"
    )]
    secret_key_env: String,
    /// The original's `ENCRYPTION_SALT` (base64), if it set one.
    #[arg(long = "original-salt-env", default_value = "ORIGINAL_ENCRYPTION_SALT")]
    salt_env: String,
    /// The zone the original's dates are repeated in; default `SCHEDULER_TIMEZONE`.
    #[arg(long)]
    timezone: Option<String>,
    /// ISO country of phone numbers written without `+<code>` (e.g. `IT`).
    #[arg(long)]
    country: Option<String>,
    /// Import, report, then roll everything back.
    #[arg(long)]
    dry_run: bool,
    /// Import without the values the original sealed (phone numbers, SMTP passwords) instead of
    /// refusing when its key is missing or wrong; the report counts each one left out.
    #[arg(long)]
    skip_sealed: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    reminder_backend::security::install_tls_provider();
    if matches!(cli.command, Some(Command::CheckConfig)) {
        check_config();
    }
    let mut settings = match Settings::from_environment() {
        Ok(settings) => settings,
        Err(error) => {
            // Every refusal at once, in one message: a fix-and-retry loop per setting is what
            // `check-config` exists to avoid.
            eprintln!(
                "reminder-backend: refusing to start: {error}\n\
                 `reminder-backend check-config` lists every setting a production start refuses, without starting"
            );
            std::process::exit(2);
        }
    };
    if matches!(cli.command, Some(Command::ImportOriginal(_))) {
        // Its stdout is the JSON report.
        telemetry::init_on_stderr(settings.log_format);
    } else {
        telemetry::init(settings.log_format);
    }
    settings.log_warnings();
    settings.load_generated_keys()?;
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
        Command::ImportOriginal(args) => import_original(settings, args).await,
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

/// Imports the original service's database and prints the report; fails (exit 1) if any row
/// is unaccounted for, or, leaving the target untouched, if the source is not the original's or
/// the key does not open its sealed values.
async fn import_original(settings: Settings, args: ImportArgs) -> anyhow::Result<()> {
    use reminder_backend::domain::{CountryCode, TimeZone};
    use reminder_backend::original::{self, Opener, Options};

    let secret = std::env::var(&args.secret_key_env)
        .ok()
        .filter(|key| !key.is_empty())
        .map(secrecy::SecretString::from);
    let salt = std::env::var(&args.salt_env).ok().filter(|s| !s.is_empty());
    let timezone = match &args.timezone {
        Some(name) => TimeZone::parse(name).map_err(anyhow::Error::msg)?.tz(),
        None => settings.scheduler.default_timezone,
    };
    let country = args
        .country
        .as_deref()
        .map(CountryCode::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let options = Options {
        timezone,
        country,
        opener: Opener::new(secret.as_ref(), salt.as_deref())?,
        secrets: reminder_backend::startup::secret_box(&settings),
        misfire_grace: chrono::Duration::seconds(settings.scheduler.misfire_grace_seconds),
        dry_run: args.dry_run,
        skip_sealed: args.skip_sealed,
    };
    let source_url = original::source_url(&args.source)?;
    let source = db::connect_existing(&source_url)
        .await
        .context("cannot open the original database")?;
    // Before the target is created or migrated: a wrong --source or key leaves it as it was.
    let checked = original::check(&source, &options).await?;
    let target = db::connect(settings.database_url.expose_secret(), 1)
        .await
        .with_context(|| format!("cannot connect to {}", settings.database_url_for_logs()))?;
    db::migrate(&target).await?;
    let report = checked
        .import_into(&target, &options, chrono::Utc::now())
        .await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    if !report.balanced() {
        anyhow::bail!("some rows are neither imported nor skipped with a reason");
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
