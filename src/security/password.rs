//! Argon2id password hashes (OWASP parameters: 19 MiB, 2 passes) and the password policy.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Shortest accepted password.
pub const MIN_LENGTH: usize = 10;
/// Longest accepted password (bounds hashing work per request).
pub const MAX_LENGTH: usize = 128;

/// Checks a new password against the policy; the error says what to change.
pub fn check_policy(password: &str, email: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(format!("must be at least {MIN_LENGTH} characters long"));
    }
    if length > MAX_LENGTH {
        return Err(format!("must be at most {MAX_LENGTH} characters long"));
    }
    if !password.chars().any(char::is_alphabetic) {
        return Err("must contain at least one letter".into());
    }
    if !password.chars().any(|c| !c.is_alphabetic()) {
        return Err("must contain at least one digit or symbol".into());
    }
    let lowered = password.to_lowercase();
    let local_part = email.split('@').next().unwrap_or_default().to_lowercase();
    if local_part.len() >= 4 && lowered.contains(&local_part) {
        return Err("must not contain your e-mail address".into());
    }
    if password
        .chars()
        .collect::<std::collections::HashSet<_>>()
        .len()
        < 4
    {
        return Err("must use at least 4 different characters".into());
    }
    Ok(())
}

/// Hashes a password into a PHC string (`$argon2id$v=19$…`) with a random salt.
///
/// CPU-bound: call it from `spawn_blocking`.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|error| anyhow::anyhow!("hashing a password failed: {error}"))?;
    Ok(hash.to_string())
}

/// True when `password` matches the stored hash: an argon2id PHC string, or a bcrypt hash
/// imported from the original service (`$2b$…`, see [`is_legacy`]). A malformed hash never
/// matches.
///
/// CPU-bound: call it from `spawn_blocking`.
pub fn verify(password: &str, stored: &str) -> bool {
    if is_legacy(stored) {
        return bcrypt::verify(password, stored).unwrap_or(false);
    }
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// True for a hash [`verify`] can check: argon2 (PHC) or an imported bcrypt one.
pub fn is_known_hash(stored: &str) -> bool {
    is_legacy(stored) || PasswordHash::new(stored).is_ok()
}

/// True for a bcrypt hash carried over from the original service: verified as it is, then
/// replaced by an argon2id hash at the first successful sign-in.
pub fn is_legacy(stored: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|prefix| stored.starts_with(prefix))
}

/// A hash of a random password, verified against when the account does not exist, so an
/// unknown e-mail takes as long to refuse as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        hash(&crate::security::tokens::random_token())
            .unwrap_or_else(|_| String::from("$argon2id$"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcrypt_hashes_of_the_original_verify_and_are_marked_legacy() {
        // Made by Python's bcrypt (passlib's backend in the original) for this password.
        let stored = "$2b$04$cy75EUz/.I6kmLEuU18d0OOyYYURc2oykOeiJ5oGB6B5DAwKVqbGW";
        assert!(is_legacy(stored));
        assert!(verify("Old-Password-2025", stored));
        assert!(!verify("old-password-2025", stored));
        assert!(!is_legacy(&hash("x").unwrap()));
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let stored = hash("correct horse 9").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse 9", &stored));
        assert!(!verify("correct horse 8", &stored));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn policy_explains_each_refusal() {
        assert!(
            check_policy("short1", "a@b.co")
                .unwrap_err()
                .contains("at least 10")
        );
        assert!(
            check_policy("abcdefghijk", "a@b.co")
                .unwrap_err()
                .contains("digit or symbol")
        );
        assert!(
            check_policy("12345678901", "a@b.co")
                .unwrap_err()
                .contains("letter")
        );
        assert!(
            check_policy("annabel-2024!", "annabel@x.co")
                .unwrap_err()
                .contains("e-mail")
        );
        assert!(
            check_policy("aaaaaaaaa1", "a@b.co")
                .unwrap_err()
                .contains("different")
        );
        assert!(check_policy("Sturdy-Lamp-42", "ann@b.co").is_ok());
    }
}
