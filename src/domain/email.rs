//! E-mail addresses, and mailboxes: an address with the name shown beside it.

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

/// The longest display name a mailbox may carry, in characters.
const MAX_DISPLAY_NAME: usize = 100;

/// An RFC 5322 mailbox, as senders are written: a bare address (`desk@firm.example`) or one
/// with a display name (`Firm Name <desk@firm.example>`, `"Firm, Ltd" <desk@firm.example>`).
/// The address follows [`Email`]'s rules (and is lowercased); the name, when given, is
/// trimmed, at most 100 characters and without control characters. Shown (and stored) in the
/// same form, the name quoted when RFC 5322 needs it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    /// The address, checked and lowercased.
    address: Email,
    /// The same, as lettre writes it into headers.
    mailbox: lettre::message::Mailbox,
}

impl Mailbox {
    /// Parses `Name <address>` or a bare address (lettre's RFC 5322 parser).
    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("must not be empty".into());
        }
        let unreadable = || {
            "is not an e-mail address: write desk@firm.example, or Firm Name <desk@firm.example> to show a name".to_owned()
        };
        let parsed: lettre::message::Mailbox = trimmed.parse().map_err(|_| unreadable())?;
        let address = Email::parse(parsed.email.as_ref())?;
        let name = parsed
            .name
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty());
        if let Some(name) = &name {
            if name.chars().count() > MAX_DISPLAY_NAME {
                return Err(format!(
                    "the name before <address> must be at most {MAX_DISPLAY_NAME} characters"
                ));
            }
            if name.chars().any(char::is_control) {
                return Err("the name before <address> must not contain control characters".into());
            }
        }
        let lowercased = address.as_str().parse().map_err(|_| unreadable())?;
        Ok(Self {
            address,
            mailbox: lettre::message::Mailbox::new(name, lowercased),
        })
    }

    /// The display name, if one was given.
    pub fn name(&self) -> Option<&str> {
        self.mailbox.name.as_deref()
    }

    /// The address.
    pub fn address(&self) -> &Email {
        &self.address
    }

    /// The mailbox for lettre, showing `fallback_name` when it has no name of its own.
    pub fn to_lettre(&self, fallback_name: &str) -> lettre::message::Mailbox {
        let mut mailbox = self.mailbox.clone();
        if mailbox.name.is_none() && !fallback_name.trim().is_empty() {
            mailbox.name = Some(fallback_name.to_owned());
        }
        mailbox
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.mailbox.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::{Email, Mailbox};

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

    #[test]
    fn mailboxes_keep_their_display_name() {
        let mailbox = Mailbox::parse(" Reminders <Reminders@Firm.example> ").unwrap();
        assert_eq!(mailbox.name(), Some("Reminders"));
        assert_eq!(mailbox.address().as_str(), "reminders@firm.example");
        assert_eq!(mailbox.to_string(), "Reminders <reminders@firm.example>");
        let quoted = Mailbox::parse("\"Smith, Jones & Co\" <desk@firm.example>").unwrap();
        assert_eq!(quoted.name(), Some("Smith, Jones & Co"));
        assert_eq!(
            quoted.to_string(),
            "\"Smith, Jones & Co\" <desk@firm.example>"
        );
        assert_eq!(Mailbox::parse(&quoted.to_string()).unwrap(), quoted);
    }

    #[test]
    fn a_bare_address_is_a_mailbox_without_a_name() {
        for bare in [
            "desk@firm.example",
            "<desk@firm.example>",
            "\"\" <desk@firm.example>",
        ] {
            let mailbox = Mailbox::parse(bare).unwrap();
            assert_eq!(mailbox.name(), None, "{bare}");
            assert_eq!(mailbox.to_string(), "desk@firm.example");
        }
    }

    #[test]
    fn malformed_mailboxes_are_refused() {
        for bad in [
            "",
            "Reminders reminders@firm.example",
            "Reminders <reminders@firm.example> trailing",
            "A <a@firm.example>, B <b@firm.example>",
            "Reminders <reminders@localhost>",
            "Reminders <>",
        ] {
            assert!(Mailbox::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{} <desk@firm.example>", "n".repeat(101));
        assert!(Mailbox::parse(&long).is_err());
    }
}
