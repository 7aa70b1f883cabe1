//! E-mail addresses.

use std::fmt;
use std::str::FromStr;

/// A syntactically valid e-mail address, trimmed and lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses and normalises an address.
    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("must not be empty".into());
        }
        if trimmed.len() > 254 {
            return Err("must be at most 254 characters".into());
        }
        let address = email_address::EmailAddress::from_str(trimmed)
            .map_err(|error| format!("is not a valid e-mail address ({error})"))?;
        // Display names ("Ann <ann@x.com>") are accepted by the parser; we store the bare address.
        let bare = address.email();
        if !bare
            .split('@')
            .nth(1)
            .is_some_and(|domain| domain.contains('.'))
        {
            return Err("is not a valid e-mail address (the domain needs a dot)".into());
        }
        Ok(Self(bare.to_lowercase()))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn addresses_are_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
    }

    #[test]
    fn invalid_addresses_are_refused() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@localhost",
            "a b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
