//! The security section: signing and encryption keys, token lifetimes, sign-in lockouts and
//! which provider hosts businesses may name. Production refuses a missing or short
//! `SECRET_KEY` and a missing `ENCRYPTION_KEY`.

use std::fmt;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::keys;
use super::reader::Reader;

/// The shortest `SECRET_KEY` production accepts, in characters.
pub const MIN_SECRET_KEY_LEN: usize = 32;

/// Bytes that must not be printed.
#[derive(Clone)]
pub struct SecretBytes(pub(super) Vec<u8>);

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

/// Keys, token lifetimes and sign-in limits, as the `Settings` fields of the same names.
pub(super) struct Security {
    pub(super) secret_key: String,
    pub(super) generated_key_file: Option<PathBuf>,
    pub(super) encryption_key: Option<SecretBytes>,
    pub(super) encryption_keys_previous: Vec<SecretBytes>,
    pub(super) access_token_expire_minutes: i64,
    pub(super) refresh_token_expire_days: i64,
    pub(super) login_max_failures_per_account: u32,
    pub(super) login_max_failures_per_address: u32,
    pub(super) login_lockout_seconds: i64,
    pub(super) allow_private_provider_hosts: bool,
}

const POSITIVE: &str = "must be greater than 0";

/// Reads the section; `database_url` places the key file of a start without `SECRET_KEY`.
pub(super) fn read(r: &mut Reader, production: bool, database_url: &str) -> Security {
    let given_secret_key = r.text("SECRET_KEY");
    let key_file = r.text("KEY_FILE");
    let secret_key = match given_secret_key.clone() {
        Some(key) if key.len() >= MIN_SECRET_KEY_LEN => Some(key),
        Some(_) if production => {
            r.refuse(
                "SECRET_KEY",
                format!(
                    "too short for production: use at least {MIN_SECRET_KEY_LEN} random characters (e.g. `openssl rand -base64 48`)"
                ),
            );
            None
        }
        None if production => {
            r.refuse(
                "SECRET_KEY",
                "missing: production needs a random key of at least 32 characters",
            );
            None
        }
        given => given,
    };
    // Without a usable key: replaced at start by the kept keys (`load_generated_keys`); random
    // meanwhile, so a forgotten call can never leave a key anyone could know.
    let secret_key = secret_key.unwrap_or_else(|| STANDARD.encode(keys::random(48)));
    let generated_key_file = if given_secret_key.is_none() {
        keys::default_path(key_file, database_url)
    } else {
        None
    };

    let encryption_key = match r.text("ENCRYPTION_KEY") {
        Some(encoded) => r.check("ENCRYPTION_KEY", parse_encryption_key(&encoded)),
        None => {
            if production {
                r.refuse(
                    "ENCRYPTION_KEY",
                    "missing: production needs 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`)",
                );
            }
            None
        }
    };
    let previous = r.list("ENCRYPTION_KEY_PREVIOUS");
    let encryption_keys_previous = r
        .check(
            "ENCRYPTION_KEY_PREVIOUS",
            previous
                .iter()
                .map(|key| parse_encryption_key(key))
                .collect(),
        )
        .unwrap_or_default();

    Security {
        secret_key,
        generated_key_file,
        encryption_key,
        encryption_keys_previous,
        access_token_expire_minutes: r.with_default_checked(
            "ACCESS_TOKEN_EXPIRE_MINUTES",
            30,
            |minutes| *minutes > 0,
            POSITIVE,
        ),
        refresh_token_expire_days: r.with_default_checked(
            "REFRESH_TOKEN_EXPIRE_DAYS",
            14,
            |days| *days > 0,
            POSITIVE,
        ),
        login_max_failures_per_account: r.with_default("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5),
        login_max_failures_per_address: r.with_default("LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
        login_lockout_seconds: r.with_default_checked(
            "LOGIN_LOCKOUT_SECONDS",
            900,
            |seconds| *seconds > 0,
            POSITIVE,
        ),
        allow_private_provider_hosts: r.flag("ALLOW_PRIVATE_PROVIDER_HOSTS", false),
    }
}

/// 32 bytes, base64; the message never quotes the key.
fn parse_encryption_key(encoded: &str) -> Result<SecretBytes, String> {
    let bytes = STANDARD
        .decode(encoded.trim())
        .map_err(|_| "not valid base64".to_owned())?;
    if bytes.len() != 32 {
        return Err(format!("must decode to 32 bytes, got {}", bytes.len()));
    }
    Ok(SecretBytes(bytes))
}
