//! Values the original service sealed with Fernet (client phone numbers). Its key was derived
//! from its `SECRET_KEY` by PBKDF2-HMAC-SHA256 (100,000 rounds, 32 bytes, URL-safe base64), with
//! the salt from `ENCRYPTION_SALT` (base64) or else the first 16 bytes of
//! SHA-256(`"{SECRET_KEY}_salt_value"`). It stored a sealed value as `v1:` followed by the Fernet
//! token; older rows hold the bare token.

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// Rounds of PBKDF2 the original used.
const ROUNDS: u32 = 100_000;

/// The prefix the original wrote before each Fernet token (its sealing scheme's version).
const VERSION_PREFIX: &str = "v1:";

/// How every Fernet token starts: version byte 0x80 and a timestamp, in URL-safe base64.
const TOKEN_START: &str = "gAAAAA";

/// Why the original's sealed values cannot be opened at all.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The database holds sealed values and no key was given.
    #[error(
        "the original database holds sealed values ({0}) but no key was given to open them: set \
         ORIGINAL_SECRET_KEY to the original's SECRET_KEY (and ORIGINAL_ENCRYPTION_SALT to its \
         ENCRYPTION_SALT, if it set one), or pass --skip-sealed to import without them; nothing \
         was imported"
    )]
    Missing(String),
    /// None of the first sealed values opens: the key (or salt) is not the one that sealed them.
    #[error(
        "the original's SECRET_KEY given is wrong: {first} does not open with it (or with the \
         ENCRYPTION_SALT given){}; set ORIGINAL_SECRET_KEY (and ORIGINAL_ENCRYPTION_SALT) to the \
         original's, or pass --skip-sealed to import without the sealed values; nothing was \
         imported",
        nor_the_others(*.tried)
    )]
    Wrong {
        /// The first sealed value tried, named by row and column.
        first: String,
        /// How many were tried, none opening.
        tried: usize,
    },
}

fn nor_the_others(tried: usize) -> String {
    match tried {
        0 | 1 => String::new(),
        2 => ", nor does the next sealed value".to_owned(),
        _ => format!(", nor do the next {} sealed values", tried - 1),
    }
}

/// Whether a stored value is one the original sealed (`v1:` + token, or a bare token).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(VERSION_PREFIX) || stored.starts_with(TOKEN_START)
}

/// Bytes of a Fernet token besides its ciphertext: version, timestamp, IV and HMAC.
const TOKEN_OVERHEAD: usize = 1 + 8 + 16 + 32;

/// Whether a sealed value is a whole Fernet token (its ciphertext whole AES blocks). One cut
/// short — the original's `VARCHAR(100)` phone columns are 3 characters too narrow for its
/// `v1:` tokens, which a MySQL server not in strict mode cut to fit — opens under no key.
pub fn is_whole(stored: &str) -> bool {
    let token = stored.strip_prefix(VERSION_PREFIX).unwrap_or(stored);
    base64::engine::general_purpose::URL_SAFE
        .decode(token)
        .is_ok_and(|bytes| {
            bytes.len() > TOKEN_OVERHEAD && (bytes.len() - TOKEN_OVERHEAD).is_multiple_of(16)
        })
}

/// Opens the original's sealed values.
pub struct Opener {
    fernet: Option<fernet::Fernet>,
}

/// What a stored value turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    /// Not sealed: stored as it was typed.
    Plain(String),
    /// Sealed and opened.
    Unsealed(String),
    /// Sealed, and no key given or not the key that sealed it.
    Unreadable,
    /// Sealed, and left unopened as asked (`--skip-sealed`).
    Skipped,
}

impl Opener {
    /// With the original's `SECRET_KEY` (and its `ENCRYPTION_SALT`, if it set one); without a
    /// key, sealed values are reported unreadable.
    pub fn new(secret_key: Option<&SecretString>, salt: Option<&str>) -> anyhow::Result<Self> {
        let Some(secret_key) = secret_key else {
            return Ok(Self { fernet: None });
        };
        let secret = secret_key.expose_secret();
        let salt = match salt {
            Some(encoded) => base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|error| {
                    anyhow::anyhow!("the original ENCRYPTION_SALT is not base64: {error}")
                })?,
            None => Sha256::digest(format!("{secret}_salt_value").as_bytes())[..16].to_vec(),
        };
        let mut key = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(secret.as_bytes(), &salt, ROUNDS, &mut key);
        let encoded = base64::engine::general_purpose::URL_SAFE.encode(key);
        let fernet = fernet::Fernet::new(&encoded)
            .ok_or_else(|| anyhow::anyhow!("the derived key is not a Fernet key"))?;
        Ok(Self {
            fernet: Some(fernet),
        })
    }

    /// Opens a stored value: sealed ones (see [`is_sealed`]) are opened, anything else is
    /// taken as plain.
    pub fn open(&self, stored: &str) -> Opened {
        if !is_sealed(stored) {
            return Opened::Plain(stored.to_owned());
        }
        let token = stored.strip_prefix(VERSION_PREFIX).unwrap_or(stored);
        self.fernet
            .as_ref()
            .and_then(|fernet| fernet.decrypt(token).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .map_or(Opened::Unreadable, Opened::Unsealed)
    }

    /// Checks the key on sealed values (each named by row and column, for the error): Fernet
    /// authenticates each token, so when none opens they were sealed under another key, while one
    /// that does not open beside one that does is a damaged row.
    ///
    /// # Errors
    /// [`KeyError::Missing`] without a key, [`KeyError::Wrong`] when none of them opens.
    pub fn check(&self, sealed: &[(&str, String)]) -> Result<(), KeyError> {
        let Some((_, first)) = sealed.first() else {
            return Ok(());
        };
        if self.fernet.is_none() {
            return Err(KeyError::Missing(first.clone()));
        }
        if sealed
            .iter()
            .any(|(value, _)| self.open(value) != Opened::Unreadable)
        {
            return Ok(());
        }
        Err(KeyError::Wrong {
            first: first.clone(),
            tried: sealed.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sealed by Python's `cryptography` Fernet under the key the original derives from this
    /// `SECRET_KEY` (the derivation written out in the module comment).
    const SECRET: &str = "original-secret-key-for-the-import-test-0123456789";
    const SEALED: &str = "gAAAAABrC_41qQm5ThJN1I03hYVa7tCiBFz5EHZrTO5s6tpUy7FDq9TXTJ6wMM9KLYG5fe3tWXCvM81GZpZUvEUpZRi-wBi7PA==";

    #[test]
    fn opens_what_the_original_sealed() {
        let opener = Opener::new(Some(&SecretString::from(SECRET)), None).unwrap();
        assert_eq!(
            opener.open(SEALED),
            Opened::Unsealed("+393331234567".into())
        );
        assert_eq!(
            opener.open(&format!("v1:{SEALED}")),
            Opened::Unsealed("+393331234567".into())
        );
        assert_eq!(
            opener.open("+39 333 1234567"),
            Opened::Plain("+39 333 1234567".into())
        );
        assert!(
            opener
                .check(&[(SEALED, "client 1's phone".to_owned())])
                .is_ok()
        );
    }

    #[test]
    fn a_wrong_or_missing_key_reads_as_unreadable() {
        let wrong = Opener::new(Some(&SecretString::from("another-key")), None).unwrap();
        assert_eq!(wrong.open(SEALED), Opened::Unreadable);
        assert_eq!(wrong.open(&format!("v1:{SEALED}")), Opened::Unreadable);
        assert!(matches!(
            wrong.check(&[(SEALED, "client 1's phone".to_owned())]),
            Err(KeyError::Wrong { tried: 1, .. })
        ));
        let none = Opener::new(None, None).unwrap();
        assert_eq!(none.open(SEALED), Opened::Unreadable);
        assert!(matches!(
            none.check(&[(SEALED, "client 1's phone".to_owned())]),
            Err(KeyError::Missing(_))
        ));
        // A salt given explicitly changes the key.
        let salted = Opener::new(Some(&SecretString::from(SECRET)), Some("c2FsdA==")).unwrap();
        assert_eq!(salted.open(SEALED), Opened::Unreadable);
    }

    #[test]
    fn a_token_cut_to_a_narrow_column_is_not_whole() {
        assert!(is_whole(SEALED));
        assert!(is_whole(&format!("v1:{SEALED}")));
        let cut: String = format!("v1:{SEALED}").chars().take(100).collect();
        assert!(!is_whole(&cut));
        assert!(!is_whole("v1:not-a-token"));
    }

    #[test]
    fn a_damaged_value_beside_one_that_opens_is_not_a_wrong_key() {
        let opener = Opener::new(Some(&SecretString::from(SECRET)), None).unwrap();
        let damaged = format!("v1:{}", SEALED.replace("qQm5", "qQm6"));
        assert_eq!(opener.open(&damaged), Opened::Unreadable);
        let values = [
            (damaged.as_str(), "client 1's phone_number".to_owned()),
            (SEALED, "client 2's phone_number".to_owned()),
        ];
        assert!(opener.check(&values).is_ok());
        let wrong = Opener::new(Some(&SecretString::from("another-key")), None).unwrap();
        let refused = wrong.check(&values).unwrap_err().to_string();
        assert!(
            refused.starts_with(
                "the original's SECRET_KEY given is wrong: client 1's phone_number does not \
                 open with it (or with the ENCRYPTION_SALT given), nor does the next sealed value;"
            ),
            "{refused}"
        );
    }
}
