//! Values the original service sealed with Fernet (client phone numbers). Its key was derived
//! from its `SECRET_KEY` by PBKDF2-HMAC-SHA256 (100,000 rounds, 32 bytes, URL-safe base64), with
//! the salt from `ENCRYPTION_SALT` (base64) or else the first 16 bytes of
//! SHA-256(`"{SECRET_KEY}_salt_value"`).

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// Rounds of PBKDF2 the original used.
const ROUNDS: u32 = 100_000;

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

    /// Opens a stored value: Fernet tokens (which start `gAAAAA`: version byte 0x80 and a
    /// timestamp) are opened, anything else is taken as plain.
    pub fn open(&self, stored: &str) -> Opened {
        if !stored.starts_with("gAAAAA") {
            return Opened::Plain(stored.to_owned());
        }
        self.fernet
            .as_ref()
            .and_then(|fernet| fernet.decrypt(stored).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .map_or(Opened::Unreadable, Opened::Unsealed)
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
            opener.open("+39 333 1234567"),
            Opened::Plain("+39 333 1234567".into())
        );
    }

    #[test]
    fn a_wrong_or_missing_key_reads_as_unreadable() {
        let wrong = Opener::new(Some(&SecretString::from("another-key")), None).unwrap();
        assert_eq!(wrong.open(SEALED), Opened::Unreadable);
        let none = Opener::new(None, None).unwrap();
        assert_eq!(none.open(SEALED), Opened::Unreadable);
        // A salt given explicitly changes the key.
        let salted = Opener::new(Some(&SecretString::from(SECRET)), Some("c2FsdA==")).unwrap();
        assert_eq!(salted.open(SEALED), Opened::Unreadable);
    }
}
