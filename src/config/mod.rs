//! Settings: `env/.env.{ENV}` first, then process variables on top (ARCHITECTURE §6).
//!
//! Every setting is parsed once here into a typed field; a value that does not parse names its
//! variable. Nothing else in the crate reads the environment.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

mod keys;
mod providers;

pub use providers::ProviderSettings;

/// Which settings file to read and how strict to be about secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Local work: console transports, readable logs.
    Development,
    /// Automated tests.
    Testing,
    /// A real deployment: weak or missing secrets refuse to start.
    Production,
}

impl Environment {
    /// The lowercase name used in `ENV` and in `env/.env.{name}`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Testing => "testing",
            Self::Production => "production",
        }
    }
}

impl FromStr for Environment {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" | "" => Ok(Self::Development),
            "testing" | "test" => Ok(Self::Testing),
            "production" | "prod" => Ok(Self::Production),
            other => Err(format!(
                "unknown environment {other:?}: use development, testing or production"
            )),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object a line.
    Json,
}

/// All settings of the service; built once at start and shared as `Arc<Settings>`.
#[derive(Clone)]
pub struct Settings {
    /// `ENV`.
    pub environment: Environment,
    /// `DATABASE_URL` (alias `SQLALCHEMY_DATABASE_URI`).
    pub database_url: SecretString,
    /// `DATABASE_MAX_CONNECTIONS`: pool size per process.
    pub database_max_connections: u32,
    /// `HOST`.
    pub host: IpAddr,
    /// `PORT`; 0 picks a free port (tests).
    pub port: u16,
    /// `SECRET_KEY`: signs access tokens.
    pub secret_key: SecretString,
    /// Outside production without `SECRET_KEY`: the file the generated keys are kept in
    /// (`KEY_FILE`, default beside a SQLite database), read by [`Settings::load_generated_keys`].
    pub generated_key_file: Option<std::path::PathBuf>,
    /// `ENCRYPTION_KEY`: 32 bytes for secrets at rest, if set.
    pub encryption_key: Option<SecretBytes>,
    /// Earlier keys, still accepted for opening secrets until `rotate-keys` re-seals them.
    pub encryption_keys_previous: Vec<SecretBytes>,
    /// `ACCESS_TOKEN_EXPIRE_MINUTES`.
    pub access_token_expire_minutes: i64,
    /// `REFRESH_TOKEN_EXPIRE_DAYS`.
    pub refresh_token_expire_days: i64,
    /// `API_V1_STR`: the API's base path.
    pub api_v1_str: String,
    /// `CORS_ORIGINS`: allowed browser origins; `*` allows any.
    pub cors_origins: Vec<String>,
    /// `PUBLIC_BASE_URL`: where clients and providers reach this service.
    pub public_base_url: String,
    /// `STRICT_VALIDATION`: unknown JSON fields are refused when true.
    pub strict_validation: bool,
    /// `LOG_FORMAT`.
    pub log_format: LogFormat,
    /// `MAX_BODY_BYTES`: JSON and form bodies.
    pub max_body_bytes: usize,
    /// `IMPORT_MAX_BYTES`: CSV import bodies.
    pub import_max_bytes: usize,
    /// `DOCUMENT_MAX_BYTES`: the largest document a firm may upload.
    pub document_max_bytes: usize,
    /// `STORAGE_URL`: `s3://bucket[/prefix]` keeps documents in S3-compatible object storage
    /// (credentials and region from `AWS_*`, `AWS_ENDPOINT_URL` for other providers); unset,
    /// they are kept in the database.
    pub storage_url: Option<String>,
    /// `REQUEST_TIMEOUT_SECONDS`.
    pub request_timeout_seconds: u64,
    /// `LOGIN_MAX_FAILURES_PER_ACCOUNT`: failed logins for one e-mail before a lockout.
    pub login_max_failures_per_account: u32,
    /// `LOGIN_MAX_FAILURES_PER_ADDRESS`: failed logins from one IP address before a lockout.
    pub login_max_failures_per_address: u32,
    /// `LOGIN_LOCKOUT_SECONDS`: the window failures are counted in, and the lockout's length.
    pub login_lockout_seconds: i64,
    /// `TRUST_FORWARDED_FOR`: take the client address from `X-Forwarded-For` (behind a proxy).
    pub trust_forwarded_for: bool,
    /// `ALLOW_PRIVATE_PROVIDER_HOSTS`: let businesses name loopback and private hosts (an SMTP
    /// relay beside a self-hosted node); off by default, so no tenant can reach internal
    /// services through the service.
    pub allow_private_provider_hosts: bool,
    /// Scheduler and dispatcher settings.
    pub scheduler: SchedulerSettings,
    /// Requests per minute per client address on `/auth/*`.
    pub rate_limit_auth_per_minute: u32,
    /// Requests per minute per client address on `/webhooks/*`.
    pub rate_limit_webhooks_per_minute: u32,
    /// The platform's provider accounts and API hosts.
    pub providers: ProviderSettings,
}

/// How the planner and the dispatcher run.
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// `DISABLE_SCHEDULER`: this process neither plans nor sends.
    pub disabled: bool,
    /// `SCHEDULER_TIMEZONE`: the zone new businesses start in.
    pub default_timezone: chrono_tz::Tz,
    /// `MISFIRE_GRACE_SECONDS`: an occurrence late by at most this is still sent.
    pub misfire_grace_seconds: i64,
    /// `MAX_ATTEMPTS`: tries per notification.
    pub max_attempts: i32,
    /// `RETRY_BACKOFF_SECONDS`: the first retry's delay; it doubles, with jitter.
    pub retry_backoff_seconds: f64,
    /// `DISPATCH_BATCH_SIZE`: notifications claimed at once.
    pub batch_size: u64,
    /// `DISPATCH_CONCURRENCY`: sends in flight at once per process.
    pub concurrency: usize,
    /// `LEASE_SECONDS`: how long a claim holds before another node may take the work.
    pub lease_seconds: i64,
    /// `SCHEDULER_POLL_SECONDS`: the longest the loops sleep when nothing is due.
    pub poll_seconds: f64,
    /// `SHUTDOWN_GRACE_SECONDS`: how long in-flight sends may finish after SIGTERM.
    pub shutdown_grace_seconds: u64,
    /// `MIN_OCCURRENCE_INTERVAL_SECONDS`: the shortest gap a schedule may leave between two of
    /// its occurrences (default one hour), checked on the occurrences themselves.
    pub min_occurrence_interval_seconds: i64,
}

/// Bytes that must not be printed.
#[derive(Clone)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// The raw bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes([REDACTED])")
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("environment", &self.environment)
            .field("database", &redact_url(self.database_url.expose_secret()))
            .field("host", &self.host)
            .field("port", &self.port)
            .field("api_v1_str", &self.api_v1_str)
            .field("public_base_url", &self.public_base_url)
            .finish_non_exhaustive()
    }
}

/// A settings error that names the variable at fault.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct SettingsError {
    /// The variable's name.
    pub variable: &'static str,
    /// What is wrong with it.
    pub message: String,
}

fn invalid(variable: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError {
        variable,
        message: message.into(),
    }
}

/// The shortest `SECRET_KEY` production accepts.
pub const MIN_SECRET_KEY_LEN: usize = 32;

/// Every variable the service reads, with its default; `env/.env.example` documents each.
pub const KNOWN_VARIABLES: &[&str] = &[
    "ENV",
    "DATABASE_URL",
    "SQLALCHEMY_DATABASE_URI",
    "DATABASE_MAX_CONNECTIONS",
    "HOST",
    "PORT",
    "SECRET_KEY",
    "KEY_FILE",
    "ENCRYPTION_KEY",
    "ENCRYPTION_KEY_PREVIOUS",
    "RATE_LIMIT_AUTH_PER_MINUTE",
    "RATE_LIMIT_WEBHOOKS_PER_MINUTE",
    "ACCESS_TOKEN_EXPIRE_MINUTES",
    "REFRESH_TOKEN_EXPIRE_DAYS",
    "API_V1_STR",
    "CORS_ORIGINS",
    "PUBLIC_BASE_URL",
    "STRICT_VALIDATION",
    "LOG_FORMAT",
    "RUST_LOG",
    "MAX_BODY_BYTES",
    "IMPORT_MAX_BYTES",
    "DOCUMENT_MAX_BYTES",
    "STORAGE_URL",
    "REQUEST_TIMEOUT_SECONDS",
    "LOGIN_MAX_FAILURES_PER_ACCOUNT",
    "LOGIN_MAX_FAILURES_PER_ADDRESS",
    "LOGIN_LOCKOUT_SECONDS",
    "TRUST_FORWARDED_FOR",
    "ALLOW_PRIVATE_PROVIDER_HOSTS",
    "DISABLE_SCHEDULER",
    "SCHEDULER_TIMEZONE",
    "MISFIRE_GRACE_SECONDS",
    "MAX_ATTEMPTS",
    "RETRY_BACKOFF_SECONDS",
    "DISPATCH_BATCH_SIZE",
    "DISPATCH_CONCURRENCY",
    "LEASE_SECONDS",
    "SCHEDULER_POLL_SECONDS",
    "SHUTDOWN_GRACE_SECONDS",
    "MIN_OCCURRENCE_INTERVAL_SECONDS",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_TLS",
    "EMAIL_FROM",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_API_BASE",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_API_BASE",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "SMTP_RATE_PER_SECOND",
    "TWILIO_RATE_PER_SECOND",
    "WHATSAPP_RATE_PER_SECOND",
];

impl Settings {
    /// Reads `env/.env.{ENV}` (without overriding variables already set) and then the process
    /// environment.
    pub fn from_environment() -> Result<Self, SettingsError> {
        let environment: Environment = std::env::var("ENV")
            .unwrap_or_default()
            .parse()
            .map_err(|message| invalid("ENV", message))?;
        let file = format!("env/.env.{}", environment.as_str());
        match dotenvy::from_filename(&file) {
            Ok(_) => {}
            Err(error) if error.not_found() => {}
            Err(error) => return Err(invalid("ENV", format!("cannot read {file}: {error}"))),
        }
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Builds settings from any key lookup, e.g. a map in tests.
    pub fn from_map(values: &HashMap<String, String>) -> Result<Self, SettingsError> {
        Self::from_lookup(|key| values.get(key).cloned())
    }

    /// Builds settings from a lookup function; blank values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let get = |key: &str| lookup(key).filter(|value| !value.trim().is_empty());
        let environment: Environment = get("ENV")
            .unwrap_or_default()
            .parse()
            .map_err(|message| invalid("ENV", message))?;
        let production = environment == Environment::Production;

        let database_url = get("DATABASE_URL")
            .or_else(|| get("SQLALCHEMY_DATABASE_URI"))
            .unwrap_or_else(|| "sqlite://./dev.db".to_owned());
        let database_url = translate_sqlalchemy_url(&database_url);
        crate::db::Backend::from_url(&database_url)
            .map_err(|message| invalid("DATABASE_URL", message))?;

        let secret_key = match get("SECRET_KEY") {
            Some(key) if key.len() >= MIN_SECRET_KEY_LEN => key,
            Some(_) if production => {
                return Err(invalid(
                    "SECRET_KEY",
                    format!(
                        "too short for production: use at least {MIN_SECRET_KEY_LEN} random characters (e.g. `openssl rand -base64 48`)"
                    ),
                ));
            }
            None if production => {
                return Err(invalid(
                    "SECRET_KEY",
                    "missing: production needs a random key of at least 32 characters",
                ));
            }
            Some(key) => key,
            // Replaced at start by the kept keys (`load_generated_keys`); random meanwhile, so a
            // forgotten call can never leave a key anyone could know.
            None => base64::engine::general_purpose::STANDARD.encode(keys::random(48)),
        };
        let generated_key_file = if get("SECRET_KEY").is_none() {
            keys::default_path(get("KEY_FILE"), &database_url)
        } else {
            None
        };

        let encryption_key = match get("ENCRYPTION_KEY") {
            Some(encoded) => Some(parse_encryption_key(&encoded)?),
            None if production => {
                return Err(invalid(
                    "ENCRYPTION_KEY",
                    "missing: production needs 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`)",
                ));
            }
            None => None,
        };

        let api_v1_str = get("API_V1_STR").unwrap_or_else(|| "/api/v1".to_owned());
        if !api_v1_str.starts_with('/') || api_v1_str.ends_with('/') {
            return Err(invalid(
                "API_V1_STR",
                "must start with '/' and not end with one",
            ));
        }
        let port: u16 = parse_or("PORT", get("PORT"), 8000)?;
        let public_base_url = get("PUBLIC_BASE_URL")
            .unwrap_or_else(|| format!("http://localhost:{port}"))
            .trim_end_matches('/')
            .to_owned();
        // Links in messages, RFC 8058 unsubscribe and provider signatures need the public https
        // address.
        if production && !public_base_url.starts_with("https://") {
            return Err(invalid(
                "PUBLIC_BASE_URL",
                "production needs the public https:// address clients and providers reach",
            ));
        }
        let cors_origins: Vec<String> = get("CORS_ORIGINS")
            .map(|origins| parse_list(&origins))
            .unwrap_or_default();
        if production && cors_origins.iter().any(|origin| origin == "*") {
            return Err(invalid(
                "CORS_ORIGINS",
                "production does not allow any origin (*): list the front-end origins",
            ));
        }

        Ok(Self {
            environment,
            database_url: SecretString::from(database_url),
            database_max_connections: parse_or(
                "DATABASE_MAX_CONNECTIONS",
                get("DATABASE_MAX_CONNECTIONS"),
                10,
            )?,
            host: parse_or("HOST", get("HOST"), IpAddr::from([0, 0, 0, 0]))?,
            port,
            secret_key: SecretString::from(secret_key),
            generated_key_file,
            encryption_key,
            encryption_keys_previous: match get("ENCRYPTION_KEY_PREVIOUS") {
                Some(list) => parse_list(&list)
                    .iter()
                    .map(|key| {
                        parse_encryption_key(key)
                            .map_err(|e| invalid("ENCRYPTION_KEY_PREVIOUS", e.message))
                    })
                    .collect::<Result<_, _>>()?,
                None => Vec::new(),
            },
            access_token_expire_minutes: positive(
                "ACCESS_TOKEN_EXPIRE_MINUTES",
                parse_or(
                    "ACCESS_TOKEN_EXPIRE_MINUTES",
                    get("ACCESS_TOKEN_EXPIRE_MINUTES"),
                    30,
                )?,
            )?,
            refresh_token_expire_days: positive(
                "REFRESH_TOKEN_EXPIRE_DAYS",
                parse_or(
                    "REFRESH_TOKEN_EXPIRE_DAYS",
                    get("REFRESH_TOKEN_EXPIRE_DAYS"),
                    14,
                )?,
            )?,
            api_v1_str,
            cors_origins,
            public_base_url,
            strict_validation: parse_bool("STRICT_VALIDATION", get("STRICT_VALIDATION"), false)?,
            log_format: match get("LOG_FORMAT").as_deref().map(str::to_ascii_lowercase) {
                None if production => LogFormat::Json,
                None => LogFormat::Pretty,
                Some(format) if format == "json" => LogFormat::Json,
                Some(format) if format == "pretty" || format == "text" => LogFormat::Pretty,
                Some(other) => {
                    return Err(invalid(
                        "LOG_FORMAT",
                        format!("{other:?}: use json or pretty"),
                    ));
                }
            },
            max_body_bytes: parse_or("MAX_BODY_BYTES", get("MAX_BODY_BYTES"), 1024 * 1024)?,
            import_max_bytes: parse_or(
                "IMPORT_MAX_BYTES",
                get("IMPORT_MAX_BYTES"),
                64 * 1024 * 1024,
            )?,
            document_max_bytes: parse_or(
                "DOCUMENT_MAX_BYTES",
                get("DOCUMENT_MAX_BYTES"),
                10 * 1024 * 1024,
            )?,
            storage_url: match get("STORAGE_URL").filter(|url| !url.trim().is_empty()) {
                Some(url) if url.starts_with("s3://") => Some(url.trim().to_owned()),
                Some(other) => {
                    return Err(invalid(
                        "STORAGE_URL",
                        format!("{other:?}: use s3://bucket or s3://bucket/prefix"),
                    ));
                }
                None => None,
            },
            request_timeout_seconds: parse_or(
                "REQUEST_TIMEOUT_SECONDS",
                get("REQUEST_TIMEOUT_SECONDS"),
                30,
            )?,
            login_max_failures_per_account: parse_or(
                "LOGIN_MAX_FAILURES_PER_ACCOUNT",
                get("LOGIN_MAX_FAILURES_PER_ACCOUNT"),
                5,
            )?,
            login_max_failures_per_address: parse_or(
                "LOGIN_MAX_FAILURES_PER_ADDRESS",
                get("LOGIN_MAX_FAILURES_PER_ADDRESS"),
                20,
            )?,
            login_lockout_seconds: positive(
                "LOGIN_LOCKOUT_SECONDS",
                parse_or("LOGIN_LOCKOUT_SECONDS", get("LOGIN_LOCKOUT_SECONDS"), 900)?,
            )?,
            trust_forwarded_for: parse_bool(
                "TRUST_FORWARDED_FOR",
                get("TRUST_FORWARDED_FOR"),
                false,
            )?,
            allow_private_provider_hosts: parse_bool(
                "ALLOW_PRIVATE_PROVIDER_HOSTS",
                get("ALLOW_PRIVATE_PROVIDER_HOSTS"),
                false,
            )?,
            scheduler: SchedulerSettings::from_lookup(&get)?,
            rate_limit_auth_per_minute: parse_or(
                "RATE_LIMIT_AUTH_PER_MINUTE",
                get("RATE_LIMIT_AUTH_PER_MINUTE"),
                120,
            )?,
            rate_limit_webhooks_per_minute: parse_or(
                "RATE_LIMIT_WEBHOOKS_PER_MINUTE",
                get("RATE_LIMIT_WEBHOOKS_PER_MINUTE"),
                1200,
            )?,
            providers: ProviderSettings::from_lookup(&get)?,
        })
    }

    /// Everything a production start would refuse in these variables, not only the first:
    /// each refused variable is noted and replaced by an acceptable value before trying again.
    pub fn production_refusals(lookup: impl Fn(&str) -> Option<String>) -> Vec<SettingsError> {
        let mut overrides: HashMap<&'static str, Option<String>> = HashMap::new();
        let mut refusals = Vec::new();
        for _ in 0..KNOWN_VARIABLES.len() {
            let attempt = Self::from_lookup(|key| {
                if key == "ENV" {
                    return Some("production".to_owned());
                }
                match overrides.get(key) {
                    Some(value) => value.clone(),
                    None => lookup(key),
                }
            });
            match attempt {
                Ok(_) => break,
                Err(error) => {
                    let acceptable = match error.variable {
                        "SECRET_KEY" => Some("x".repeat(MIN_SECRET_KEY_LEN + 16)),
                        "ENCRYPTION_KEY" => {
                            Some(base64::engine::general_purpose::STANDARD.encode([7u8; 32]))
                        }
                        "PUBLIC_BASE_URL" => Some("https://check-config.invalid".to_owned()),
                        // Anything else falls back to its default.
                        _ => None,
                    };
                    if overrides.contains_key(error.variable) {
                        // Refused even with an acceptable value: nothing more to learn.
                        break;
                    }
                    overrides.insert(error.variable, acceptable);
                    refusals.push(error);
                }
            }
        }
        refusals
    }

    /// The database URL with its password masked, for logs.
    pub fn database_url_for_logs(&self) -> String {
        redact_url(self.database_url.expose_secret())
    }
}

impl SchedulerSettings {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let at_least_one = |variable: &'static str, value: i64| {
            if value >= 1 {
                Ok(value)
            } else {
                Err(invalid(variable, "must be at least 1"))
            }
        };
        Ok(Self {
            disabled: parse_bool("DISABLE_SCHEDULER", get("DISABLE_SCHEDULER"), false)?,
            default_timezone: match get("SCHEDULER_TIMEZONE") {
                Some(name) => name.trim().parse().map_err(|_| {
                    invalid(
                        "SCHEDULER_TIMEZONE",
                        format!("{name:?} is not an IANA time zone"),
                    )
                })?,
                None => chrono_tz::UTC,
            },
            misfire_grace_seconds: parse_or(
                "MISFIRE_GRACE_SECONDS",
                get("MISFIRE_GRACE_SECONDS"),
                3600,
            )?,
            max_attempts: i32::try_from(at_least_one(
                "MAX_ATTEMPTS",
                parse_or("MAX_ATTEMPTS", get("MAX_ATTEMPTS"), 5)?,
            )?)
            .map_err(|_| invalid("MAX_ATTEMPTS", "too large"))?,
            retry_backoff_seconds: parse_or(
                "RETRY_BACKOFF_SECONDS",
                get("RETRY_BACKOFF_SECONDS"),
                30.0,
            )?,
            batch_size: u64::try_from(at_least_one(
                "DISPATCH_BATCH_SIZE",
                parse_or("DISPATCH_BATCH_SIZE", get("DISPATCH_BATCH_SIZE"), 500)?,
            )?)
            .unwrap_or(500),
            concurrency: usize::try_from(at_least_one(
                "DISPATCH_CONCURRENCY",
                parse_or("DISPATCH_CONCURRENCY", get("DISPATCH_CONCURRENCY"), 64)?,
            )?)
            .unwrap_or(64),
            lease_seconds: at_least_one(
                "LEASE_SECONDS",
                parse_or("LEASE_SECONDS", get("LEASE_SECONDS"), 60)?,
            )?,
            poll_seconds: parse_or("SCHEDULER_POLL_SECONDS", get("SCHEDULER_POLL_SECONDS"), 5.0)?,
            shutdown_grace_seconds: parse_or(
                "SHUTDOWN_GRACE_SECONDS",
                get("SHUTDOWN_GRACE_SECONDS"),
                10,
            )?,
            min_occurrence_interval_seconds: at_least_one(
                "MIN_OCCURRENCE_INTERVAL_SECONDS",
                parse_or(
                    "MIN_OCCURRENCE_INTERVAL_SECONDS",
                    get("MIN_OCCURRENCE_INTERVAL_SECONDS"),
                    3600,
                )?,
            )?,
        })
    }
}

/// Turns SQLAlchemy dialect URLs (`mysql+pymysql://`, `postgresql+psycopg2://`) into plain ones,
/// so an old `.env` keeps working.
fn translate_sqlalchemy_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let base = scheme.split('+').next().unwrap_or(scheme);
    let base = if base == "postgresql" {
        "postgres"
    } else {
        base
    };
    format!("{base}://{rest}")
}

fn parse_encryption_key(encoded: &str) -> Result<SecretBytes, SettingsError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| invalid("ENCRYPTION_KEY", "not valid base64"))?;
    if bytes.len() != 32 {
        return Err(invalid(
            "ENCRYPTION_KEY",
            format!("must decode to 32 bytes, got {}", bytes.len()),
        ));
    }
    Ok(SecretBytes(bytes))
}

fn parse_or<T: FromStr>(
    variable: &'static str,
    value: Option<String>,
    default: T,
) -> Result<T, SettingsError>
where
    T::Err: fmt::Display,
{
    match value {
        None => Ok(default),
        Some(value) => value
            .trim()
            .parse()
            .map_err(|error| invalid(variable, format!("{value:?}: {error}"))),
    }
}

fn positive(variable: &'static str, value: i64) -> Result<i64, SettingsError> {
    if value > 0 {
        Ok(value)
    } else {
        Err(invalid(variable, "must be greater than 0"))
    }
}

fn parse_bool(
    variable: &'static str,
    value: Option<String>,
    default: bool,
) -> Result<bool, SettingsError> {
    match value.as_deref().map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
        Some(v) => Err(invalid(variable, format!("{v:?} is not a boolean"))),
    }
}

fn parse_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|item| item.trim().trim_end_matches('/').to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_map(&map)
    }

    #[test]
    fn defaults_are_sqlite_on_port_8000() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database_url.expose_secret(), "sqlite://./dev.db");
        assert_eq!(s.port, 8000);
        assert_eq!(s.api_v1_str, "/api/v1");
    }

    #[test]
    fn production_refuses_missing_or_short_secret_key() {
        let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
        let missing = settings(&[("ENV", "production"), ("ENCRYPTION_KEY", key)]).unwrap_err();
        assert_eq!(missing.variable, "SECRET_KEY");
        let short = settings(&[
            ("ENV", "production"),
            ("SECRET_KEY", "short"),
            ("ENCRYPTION_KEY", key),
        ])
        .unwrap_err();
        assert_eq!(short.variable, "SECRET_KEY");
    }

    #[test]
    fn production_refuses_missing_encryption_key() {
        let error =
            settings(&[("ENV", "production"), ("SECRET_KEY", &"k".repeat(40))]).unwrap_err();
        assert_eq!(error.variable, "ENCRYPTION_KEY");
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
        assert_eq!(
            settings(&[("PORT", "eighty")]).unwrap_err().variable,
            "PORT"
        );
        assert_eq!(
            settings(&[("DATABASE_URL", "oracle://x")])
                .unwrap_err()
                .variable,
            "DATABASE_URL"
        );
    }

    #[test]
    fn env_example_documents_every_variable() {
        let example = include_str!("../../env/.env.example");
        for variable in KNOWN_VARIABLES {
            assert!(
                example.contains(&format!("{variable}=")),
                "env/.env.example does not document {variable}"
            );
        }
    }
}
