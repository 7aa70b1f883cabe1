//! Opaque random tokens (refresh tokens) and the hash under which they are stored.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// 256 random bits, URL-safe base64 without padding.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 hex digest a token is stored and looked up by; the token itself is never stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// HMAC-SHA256 of `message` under `secret` (HMAC takes keys of any length).
fn mac(secret: &[u8], message: &str) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).ok()?;
    mac.update(message.as_bytes());
    Some(mac)
}

/// An HMAC-SHA256 signature of `message` under `secret`, URL-safe base64.
pub fn sign(secret: &[u8], message: &str) -> String {
    mac(secret, message)
        .map(|mac| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        })
        .unwrap_or_default()
}

/// True when `signature` signs `message` under `secret` (compared in constant time).
pub fn verify(secret: &[u8], message: &str, signature: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature) else {
        return false;
    };
    mac(secret, message).is_some_and(|mac| mac.verify_slice(&expected).is_ok())
}

/// Compares two secrets in constant time (for equal lengths).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_for_their_message_and_secret() {
        let signature = sign(b"secret", "unsubscribe:1:email");
        assert!(verify(b"secret", "unsubscribe:1:email", &signature));
        assert!(!verify(b"secret", "unsubscribe:2:email", &signature));
        assert!(!verify(b"other", "unsubscribe:1:email", &signature));
        assert!(!verify(b"secret", "unsubscribe:1:email", "not-base64!"));
    }

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_eq!(token_hash(&a).len(), 64);
    }
}
