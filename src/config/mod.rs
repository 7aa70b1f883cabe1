//! Settings: `env/.env.{ENV}` first, then process variables on top (ARCHITECTURE §6).
//!
//! Every setting is parsed once here into a typed field, one section a file (`environment`,
//! `database`, `server`, `security`, `documents`, `logs`, `scheduler`, `providers`), each
//! reading through a `Reader` (`reader.rs`). The reader keeps every refusal, so a start
//! reports all of them at once, and records every variable it is asked about, so
//! [`known_variables`] comes from the code that reads them. Nothing else in the crate reads
//! the environment.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use secrecy::{ExposeSecret, SecretString};

mod database;
mod documents;
mod environment;
mod keys;
mod logs;
mod providers;
mod reader;
mod scheduler;
mod security;
mod server;

pub use environment::Environment;
pub use logs::LogFormat;
pub use providers::ProviderSettings;
pub use reader::{InvalidSettings, SettingsError};
pub use scheduler::SchedulerSettings;
pub use security::{MIN_SECRET_KEY_LEN, SecretBytes};

use reader::Reader;

/// All settings of the service; built once at start and shared as `Arc<Settings>`.
#[derive(Clone)]
pub struct Settings {
    /// `ENV`: `development` (default), `testing` or `production`.
    pub environment: Environment,
    /// `DATABASE_URL` (alias `SQLALCHEMY_DATABASE_URI`; default `sqlite://./dev.db`): a
    /// `sqlite://`, `mysql://` or `postgres://` URL; SQLAlchemy dialects
    /// (`mysql+pymysql://`) are turned into plain ones.
    pub database_url: SecretString,
    /// `DATABASE_MAX_CONNECTIONS` (default 10): pool size per process.
    pub database_max_connections: u32,
    /// `HOST` (default `0.0.0.0`): the address to listen on.
    pub host: IpAddr,
    /// `PORT` (default 8000); 0 picks a free port (tests).
    pub port: u16,
    /// `SECRET_KEY`: signs access tokens; production needs at least [`MIN_SECRET_KEY_LEN`]
    /// characters. Unset elsewhere: random until [`Settings::load_generated_keys`] puts the
    /// kept one in place.
    pub secret_key: SecretString,
    /// Outside production without `SECRET_KEY`: the file the generated keys are kept in
    /// (`KEY_FILE`, default beside a SQLite database), read by [`Settings::load_generated_keys`].
    pub generated_key_file: Option<std::path::PathBuf>,
    /// `ENCRYPTION_KEY`: 32 bytes (base64) sealing secrets at rest, if set; production needs it.
    pub encryption_key: Option<SecretBytes>,
    /// `ENCRYPTION_KEY_PREVIOUS` (comma-separated, base64): earlier keys, still accepted for
    /// opening secrets until `rotate-keys` re-seals them.
    pub encryption_keys_previous: Vec<SecretBytes>,
    /// `ACCESS_TOKEN_EXPIRE_MINUTES` (greater than 0, default 30).
    pub access_token_expire_minutes: i64,
    /// `REFRESH_TOKEN_EXPIRE_DAYS` (greater than 0, default 14).
    pub refresh_token_expire_days: i64,
    /// `API_V1_STR` (default `/api/v1`): the API's base path; starts with `/` and does not end
    /// with one.
    pub api_v1_str: String,
    /// `CORS_ORIGINS` (comma-separated, default none): allowed browser origins; `*` allows any
    /// and is refused in production.
    pub cors_origins: Vec<String>,
    /// `PUBLIC_BASE_URL` (default `http://localhost:{PORT}`, without a trailing `/`): where
    /// clients and providers reach this service; production needs `https://`.
    pub public_base_url: String,
    /// `STRICT_VALIDATION` (default true): unknown JSON fields are refused (the original
    /// service's alias paths excepted).
    pub strict_validation: bool,
    /// `LOG_FORMAT`: `json` or `pretty` (default `json` in production, `pretty` elsewhere).
    pub log_format: LogFormat,
    /// `MAX_BODY_BYTES` (default 1 MiB): the largest JSON or form body.
    pub max_body_bytes: usize,
    /// `IMPORT_MAX_BYTES` (default 64 MiB): the largest CSV import body.
    pub import_max_bytes: usize,
    /// `DOCUMENT_MAX_BYTES` (default 10 MiB): the largest document a firm may upload.
    pub document_max_bytes: usize,
    /// `STORAGE_URL`: `s3://bucket[/prefix]` keeps documents in S3-compatible object storage
    /// (credentials and region from `AWS_*`, `AWS_ENDPOINT_URL` for other providers); unset,
    /// they are kept in the database.
    pub storage_url: Option<String>,
    /// `REQUEST_TIMEOUT_SECONDS` (default 30): how long one request may take.
    pub request_timeout_seconds: u64,
    /// `LOGIN_MAX_FAILURES_PER_ACCOUNT` (default 5): failed logins for one e-mail before a
    /// lockout.
    pub login_max_failures_per_account: u32,
    /// `LOGIN_MAX_FAILURES_PER_ADDRESS` (default 20): failed logins from one IP address before
    /// a lockout.
    pub login_max_failures_per_address: u32,
    /// `LOGIN_LOCKOUT_SECONDS` (greater than 0, default 900): the window failures are counted
    /// in, and the lockout's length.
    pub login_lockout_seconds: i64,
    /// `TRUST_FORWARDED_FOR` (default false): take the client address from `X-Forwarded-For`
    /// (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// `ALLOW_PRIVATE_PROVIDER_HOSTS` (default false): let businesses name loopback and private
    /// hosts (an SMTP relay beside a self-hosted node); off, no tenant can reach internal
    /// services through the service.
    pub allow_private_provider_hosts: bool,
    /// Scheduler and dispatcher settings.
    pub scheduler: SchedulerSettings,
    /// `RATE_LIMIT_AUTH_PER_MINUTE` (default 120): requests per minute per client address on
    /// `/auth/*`.
    pub rate_limit_auth_per_minute: u32,
    /// `RATE_LIMIT_WEBHOOKS_PER_MINUTE` (default 1200): requests per minute per client address
    /// on `/webhooks/*`.
    pub rate_limit_webhooks_per_minute: u32,
    /// The platform's provider accounts and API hosts.
    pub providers: ProviderSettings,
    /// Outside production: settings a production start would refuse, ignored or kept as given
    /// (a malformed `EMAIL_FROM`, a Twilio SID of the wrong shape), each with why; logged by
    /// [`Settings::log_warnings`]. Empty in production, where they are refusals.
    pub warnings: Vec<SettingsError>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("environment", &self.environment)
            .field("database", &self.database_url_for_logs())
            .field("host", &self.host)
            .field("port", &self.port)
            .field("api_v1_str", &self.api_v1_str)
            .field("public_base_url", &self.public_base_url)
            .finish_non_exhaustive()
    }
}

/// Every variable the settings read, sorted: found by reading them over an empty lookup (each
/// section reads all of its variables whatever is set). `env/.env.example` documents each.
pub fn known_variables() -> Vec<&'static str> {
    let nothing = |_: &str| None;
    let mut reader = Reader::new(&nothing);
    Settings::read(&mut reader);
    reader.names()
}

impl Settings {
    /// Reads `env/.env.{ENV}` (without overriding variables already set) and then the process
    /// environment.
    pub fn from_environment() -> Result<Self, InvalidSettings> {
        let refuse_env = |message: String| SettingsError {
            variable: "ENV",
            message,
        };
        let environment: Environment = std::env::var("ENV")
            .unwrap_or_default()
            .parse()
            .map_err(refuse_env)?;
        let file = format!("env/.env.{}", environment.as_str());
        match dotenvy::from_filename(&file) {
            Ok(_) => {}
            Err(error) if error.not_found() => {}
            Err(error) => return Err(refuse_env(format!("cannot read {file}: {error}")).into()),
        }
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Builds settings from a map, e.g. in tests.
    pub fn from_map(values: &HashMap<String, String>) -> Result<Self, InvalidSettings> {
        Self::from_lookup(|key| values.get(key).cloned())
    }

    /// Builds settings from a lookup function; blank values count as unset. Every refused
    /// variable is in the error, not only the first.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, InvalidSettings> {
        let mut reader = Reader::new(&lookup);
        let mut settings = Self::read(&mut reader);
        settings.warnings = reader.warnings().to_vec();
        reader.finish(settings)
    }

    /// Logs each of [`Settings::warnings`]; call once logging is set up.
    pub fn log_warnings(&self) {
        for warning in &self.warnings {
            tracing::warn!(
                setting = warning.variable,
                "{warning} (a production start refuses this; `reminder-backend check-config` lists all such settings)"
            );
        }
    }

    /// Everything a production start would refuse in these variables (`ENV` taken as
    /// `production`), in the order read; empty when it would accept them.
    pub fn production_refusals(lookup: impl Fn(&str) -> Option<String>) -> Vec<SettingsError> {
        let production = |key: &str| match key {
            "ENV" => Some(Environment::Production.as_str().to_owned()),
            _ => lookup(key),
        };
        match Self::from_lookup(production) {
            Ok(_) => Vec::new(),
            Err(invalid) => invalid.errors,
        }
    }

    /// The database URL with its password masked, for logs.
    pub fn database_url_for_logs(&self) -> String {
        database::redact_url(self.database_url.expose_secret())
    }

    /// Reads every section; refusals stay in `r`, and refused values read as their defaults.
    fn read(r: &mut Reader) -> Self {
        let environment = environment::read(r);
        let production = environment == Environment::Production;
        let database = database::read(r);
        let security = security::read(r, production, &database.url);
        let server = server::read(r, production);
        let documents = documents::read(r);
        let log_format = logs::read(r, production);
        let scheduler = SchedulerSettings::read(r);
        let providers = ProviderSettings::read(r, production);
        Self {
            environment,
            database_url: SecretString::from(database.url),
            database_max_connections: database.max_connections,
            host: server.host,
            port: server.port,
            secret_key: SecretString::from(security.secret_key),
            generated_key_file: security.generated_key_file,
            encryption_key: security.encryption_key,
            encryption_keys_previous: security.encryption_keys_previous,
            access_token_expire_minutes: security.access_token_expire_minutes,
            refresh_token_expire_days: security.refresh_token_expire_days,
            api_v1_str: server.api_v1_str,
            cors_origins: server.cors_origins,
            public_base_url: server.public_base_url,
            strict_validation: server.strict_validation,
            log_format,
            max_body_bytes: server.max_body_bytes,
            import_max_bytes: server.import_max_bytes,
            document_max_bytes: documents.document_max_bytes,
            storage_url: documents.storage_url,
            request_timeout_seconds: server.request_timeout_seconds,
            login_max_failures_per_account: security.login_max_failures_per_account,
            login_max_failures_per_address: security.login_max_failures_per_address,
            login_lockout_seconds: security.login_lockout_seconds,
            trust_forwarded_for: server.trust_forwarded_for,
            allow_private_provider_hosts: security.allow_private_provider_hosts,
            scheduler,
            rate_limit_auth_per_minute: server.rate_limit_auth_per_minute,
            rate_limit_webhooks_per_minute: server.rate_limit_webhooks_per_minute,
            providers,
            warnings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, InvalidSettings> {
        Settings::from_map(&map(pairs))
    }

    /// The names read over `values`.
    fn names_read(values: &HashMap<String, String>) -> Vec<&'static str> {
        let lookup = |key: &str| values.get(key).cloned();
        let mut reader = Reader::new(&lookup);
        Settings::read(&mut reader);
        reader.names()
    }

    #[test]
    fn defaults_are_sqlite_on_port_8000() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database_url.expose_secret(), "sqlite://./dev.db");
        assert_eq!(s.port, 8000);
        assert_eq!(s.api_v1_str, "/api/v1");
        assert_eq!(s.public_base_url, "http://localhost:8000");
        assert_eq!(s.log_format, LogFormat::Pretty);
        assert_eq!(s.scheduler.max_attempts, 5);
        assert!(s.providers.smtp.is_none());
    }

    #[test]
    fn production_refuses_missing_or_short_secret_key() {
        let missing = settings(&[("ENV", "production"), ("ENCRYPTION_KEY", KEY)]).unwrap_err();
        assert!(missing.variables().contains(&"SECRET_KEY"));
        let short = settings(&[
            ("ENV", "production"),
            ("SECRET_KEY", "short"),
            ("ENCRYPTION_KEY", KEY),
        ])
        .unwrap_err();
        assert!(short.variables().contains(&"SECRET_KEY"));
        assert!(!short.to_string().contains("short\""), "{short}");
    }

    #[test]
    fn production_refuses_missing_encryption_key() {
        let error = settings(&[
            ("ENV", "production"),
            ("SECRET_KEY", &"k".repeat(40)),
            ("PUBLIC_BASE_URL", "https://reminders.example.com"),
        ])
        .unwrap_err();
        assert_eq!(error.variables(), ["ENCRYPTION_KEY"]);
    }

    #[test]
    fn sqlalchemy_alias_and_dialects_are_accepted() {
        let s = settings(&[(
            "SQLALCHEMY_DATABASE_URI",
            "mysql+pymysql://root:pw@db:3306/reminders",
        )])
        .unwrap();
        assert_eq!(
            s.database_url.expose_secret(),
            "mysql://root:pw@db:3306/reminders"
        );
        assert_eq!(
            s.database_url_for_logs(),
            "mysql://root:***@db:3306/reminders"
        );
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let error = settings(&[("PORT", "eighty")]).unwrap_err();
        assert_eq!(error.variables(), ["PORT"]);
        assert_eq!(
            error.to_string(),
            "PORT: \"eighty\": invalid digit found in string"
        );
        assert_eq!(
            settings(&[("DATABASE_URL", "oracle://x")])
                .unwrap_err()
                .variables(),
            ["DATABASE_URL"]
        );
    }

    #[test]
    fn every_bad_value_is_reported_in_one_error() {
        let error = settings(&[
            ("DATABASE_URL", "oracle://x"),
            ("PORT", "eighty"),
            ("API_V1_STR", "api/"),
            ("ENCRYPTION_KEY", "not base64!"),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "0"),
            ("STRICT_VALIDATION", "maybe"),
            ("STORAGE_URL", "ftp://files"),
            ("LOG_FORMAT", "xml"),
            ("MAX_ATTEMPTS", "0"),
            ("SCHEDULER_TIMEZONE", "Mars/Olympus"),
            ("SMTP_HOST", "smtp.example.com"),
            ("SMTP_TLS", "sometimes"),
            ("TWILIO_RATE_PER_SECOND", "0"),
            ("WHATSAPP_ACCESS_TOKEN", "token"),
        ])
        .unwrap_err();
        let expected = [
            "DATABASE_URL",
            "ENCRYPTION_KEY",
            "ACCESS_TOKEN_EXPIRE_MINUTES",
            "API_V1_STR",
            "PORT",
            "STRICT_VALIDATION",
            "STORAGE_URL",
            "LOG_FORMAT",
            "MAX_ATTEMPTS",
            "SCHEDULER_TIMEZONE",
            "TWILIO_RATE_PER_SECOND",
            "SMTP_TLS",
            "WHATSAPP_PHONE_NUMBER_ID",
        ];
        let mut reported = error.variables();
        reported.sort_unstable();
        let mut wanted = expected.to_vec();
        wanted.sort_unstable();
        assert_eq!(reported, wanted, "{error}");
        // One line each after the count, each naming its variable.
        let text = error.to_string();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(format!("{} settings refused:", expected.len()).as_str())
        );
        for (line, variable) in lines.zip(error.variables()) {
            assert!(line.starts_with(&format!("  {variable}: ")), "{line}");
        }
        assert!(
            !text.contains("not base64!"),
            "secrets are not echoed: {text}"
        );
    }

    #[test]
    fn production_reports_every_refusal_at_once() {
        let values = map(&[
            ("ENV", "production"),
            ("SECRET_KEY", "short"),
            ("PUBLIC_BASE_URL", "http://reminders.example.com"),
            ("CORS_ORIGINS", "https://app.example.com, *"),
            ("TWILIO_ACCOUNT_SID", "AC0123"),
            ("MAX_ATTEMPTS", "many"),
        ]);
        let error = Settings::from_map(&values).unwrap_err();
        let refused = [
            "SECRET_KEY",
            "ENCRYPTION_KEY",
            "PUBLIC_BASE_URL",
            "CORS_ORIGINS",
            "MAX_ATTEMPTS",
            "TWILIO_AUTH_TOKEN",
        ];
        assert_eq!(error.variables(), refused, "{error}");
        let replayed = Settings::production_refusals(|key| match key {
            "ENV" => None,
            _ => values.get(key).cloned(),
        });
        assert_eq!(replayed, error.errors);
    }

    #[test]
    fn smtp_port_and_tls_count_only_with_a_host() {
        let s = settings(&[("SMTP_PORT", "x"), ("SMTP_TLS", "sometimes")]).unwrap();
        assert!(s.providers.smtp.is_none());
        let s = settings(&[("SMTP_HOST", "mail"), ("SMTP_TLS", "tls")]).unwrap();
        assert_eq!(s.providers.smtp.unwrap().port, 465);
    }

    #[test]
    fn known_variables_come_from_every_section() {
        let known = known_variables();
        let mut sorted = known.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(known, sorted, "sorted, each once");
        for variable in [
            "ENV",
            "DATABASE_URL",
            "SQLALCHEMY_DATABASE_URI",
            "HOST",
            "CORS_ORIGINS",
            "RATE_LIMIT_WEBHOOKS_PER_MINUTE",
            "SECRET_KEY",
            "KEY_FILE",
            "ENCRYPTION_KEY_PREVIOUS",
            "LOGIN_LOCKOUT_SECONDS",
            "DOCUMENT_MAX_BYTES",
            "STORAGE_URL",
            "LOG_FORMAT",
            "RUST_LOG",
            "MIN_OCCURRENCE_INTERVAL_SECONDS",
            "SMTP_PORT",
            "TWILIO_MESSAGING_SERVICE_SID",
            "WHATSAPP_APP_SECRET",
            "STRIPE_WEBHOOK_SECRET",
            "WHATSAPP_RATE_PER_SECOND",
        ] {
            assert!(known.contains(&variable), "{variable} is not known");
        }
    }

    #[test]
    fn the_same_variables_are_read_whatever_is_set() {
        let known = known_variables();
        let everything_set = known
            .iter()
            .map(|name| ((*name).to_owned(), "1".to_owned()))
            .collect();
        assert_eq!(names_read(&everything_set), known);
        let accounts = map(&[
            ("ENV", "production"),
            ("SECRET_KEY", &"k".repeat(40)),
            ("SMTP_HOST", "mail"),
            ("TWILIO_ACCOUNT_SID", "AC1"),
            ("TWILIO_AUTH_TOKEN", "token"),
            ("WHATSAPP_PHONE_NUMBER_ID", "1"),
            ("WHATSAPP_ACCESS_TOKEN", "token"),
        ]);
        assert_eq!(names_read(&accounts), known);
    }

    #[test]
    fn env_example_documents_every_variable_and_no_other() {
        let example = include_str!("../../env/.env.example");
        let known = known_variables();
        for variable in &known {
            assert!(
                example.contains(&format!("{variable}=")),
                "env/.env.example does not document {variable}"
            );
        }
        let documented = example.lines().filter_map(|line| {
            let (name, _) = line.trim_start_matches(['#', ' ']).split_once('=')?;
            name.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                .then_some(name)
        });
        for name in documented {
            assert!(
                known.contains(&name),
                "env/.env.example documents {name}, which nothing reads"
            );
        }
    }
}
