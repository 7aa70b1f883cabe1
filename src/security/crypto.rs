//! Secrets at rest: AES-256-GCM under `ENCRYPTION_KEY`, each value sealed with a fresh random
//! nonce and bound (as associated data) to the row it belongs to, so a ciphertext copied to
//! another business's row does not open. Sealed values name the key that sealed them, so a new
//! key can be introduced while the old one still opens what it sealed.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use sha2::{Digest, Sha256};

/// Why a sealed value could not be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// Not in the `v1:<key id>:<base64>` form.
    #[error("the sealed value is malformed")]
    Malformed,
    /// Sealed by a key this process does not hold.
    #[error("sealed with key {0}, which is not configured")]
    UnknownKey(String),
    /// Wrong key, wrong row, or tampered with.
    #[error("the sealed value does not authenticate")]
    Forged,
}

/// Seals with the current key; opens with any key it holds.
#[derive(Clone)]
pub struct SecretBox {
    current: (String, Aes256Gcm),
    previous: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox")
            .field("key_id", &self.current.0)
            .finish_non_exhaustive()
    }
}

/// A key's public name: the first 8 hex digits of its SHA-256.
pub fn key_id(key: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(key)[..4])
}

fn cipher(key: &[u8; 32]) -> (String, Aes256Gcm) {
    (key_id(key), Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key)))
}

impl SecretBox {
    /// A box sealing with `current` and also opening values sealed with `previous` keys.
    pub fn new(current: &[u8; 32], previous: &[[u8; 32]]) -> Self {
        Self {
            current: cipher(current),
            previous: previous.iter().map(cipher).collect(),
        }
    }

    /// The id of the key new values are sealed with.
    pub fn current_key_id(&self) -> &str {
        &self.current.0
    }

    /// Seals `plaintext`, bound to `context` (e.g. `business:7:provider:twilio`).
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        let mut nonce_bytes = [0u8; 12];
        rand::fill(&mut nonce_bytes);
        let nonce = Nonce::<U12>::from(nonce_bytes);
        let (id, cipher) = &self.current;
        // Encryption with a valid key and nonce cannot fail for inputs of this size.
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut bytes = nonce_bytes.to_vec();
        bytes.extend(sealed);
        format!(
            "v1:{id}:{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    }

    /// Opens a sealed value bound to `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, CryptoError> {
        let mut parts = sealed.splitn(3, ':');
        let (Some("v1"), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CryptoError::Malformed);
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| CryptoError::Malformed)?;
        if bytes.len() < 12 + 16 {
            return Err(CryptoError::Malformed);
        }
        let cipher = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|(key_id, _)| key_id == id)
            .map(|(_, cipher)| cipher)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_owned()))?;
        let (nonce, message) = bytes.split_at(12);
        let nonce_bytes: [u8; 12] = nonce.try_into().map_err(|_| CryptoError::Malformed)?;
        cipher
            .decrypt(
                &Nonce::<U12>::from(nonce_bytes),
                Payload {
                    msg: message,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Forged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_context_and_with_their_key() {
        let old = [7u8; 32];
        let new = [9u8; 32];
        let before = SecretBox::new(&old, &[]);
        let sealed = before.seal(b"auth-token", "business:1:provider:twilio");
        assert!(!sealed.contains("auth-token"));
        assert_ne!(
            sealed,
            before.seal(b"auth-token", "business:1:provider:twilio"),
            "fresh nonce each time"
        );
        assert_eq!(
            before.open(&sealed, "business:1:provider:twilio").unwrap(),
            b"auth-token"
        );
        assert_eq!(
            before.open(&sealed, "business:2:provider:twilio"),
            Err(CryptoError::Forged)
        );

        let rotated = SecretBox::new(&new, &[old]);
        assert_eq!(
            rotated.open(&sealed, "business:1:provider:twilio").unwrap(),
            b"auth-token"
        );
        let only_new = SecretBox::new(&new, &[]);
        assert!(matches!(
            only_new.open(&sealed, "business:1:provider:twilio"),
            Err(CryptoError::UnknownKey(_))
        ));
        assert_eq!(only_new.open("garbage", "x"), Err(CryptoError::Malformed));
    }
}
