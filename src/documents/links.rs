//! `{PUBLIC_BASE_URL}/d/{token}`: a signed link to one document for one client. The token names
//! the link (document and client) and the message that carried it (reminder, channel and
//! occurrence), so each open is attributed; it cannot be guessed or altered.

use chrono::{DateTime, Utc};

use crate::domain::Channel;
use crate::security::tokens;

/// What a document link names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentTarget {
    pub link_id: i64,
    /// The message that carried it: its reminder, channel and occurrence (Unix seconds).
    pub reminder_id: i64,
    pub channel: Channel,
    pub occurrence: i64,
}

fn message(target: &DocumentTarget) -> String {
    format!(
        "document:{}:{}:{}:{}",
        target.link_id,
        target.reminder_id,
        target.channel.as_str(),
        target.occurrence
    )
}

/// The link's URL.
pub fn url(
    base_url: &str,
    secret: &[u8],
    link_id: i64,
    reminder_id: i64,
    channel: Channel,
    occurrence: DateTime<Utc>,
) -> String {
    let target = DocumentTarget {
        link_id,
        reminder_id,
        channel,
        occurrence: occurrence.timestamp(),
    };
    format!(
        "{base_url}/d/{}.{}.{}.{}.{}",
        target.link_id,
        target.reminder_id,
        target.channel.as_str(),
        target.occurrence,
        tokens::sign(secret, &message(&target))
    )
}

/// What a token names, if its signature holds.
pub fn parse(secret: &[u8], token: &str) -> Option<DocumentTarget> {
    let mut parts = token.splitn(5, '.');
    let target = DocumentTarget {
        link_id: parts.next()?.parse().ok()?,
        reminder_id: parts.next()?.parse().ok()?,
        channel: Channel::parse(parts.next()?).ok()?,
        occurrence: parts.next()?.parse().ok()?,
    };
    tokens::verify(secret, &message(&target), parts.next()?).then_some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_link_and_message_and_cannot_be_altered() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let link = url("https://r.test", b"secret", 7, 42, Channel::Email, at);
        let token = link.strip_prefix("https://r.test/d/").unwrap();
        let target = parse(b"secret", token).unwrap();
        assert_eq!(
            target,
            DocumentTarget {
                link_id: 7,
                reminder_id: 42,
                channel: Channel::Email,
                occurrence: 1_800_000_000
            }
        );
        assert_eq!(parse(b"other", token), None);
        assert_eq!(parse(b"secret", &token.replacen("7.", "8.", 1)), None);
        assert_eq!(parse(b"secret", &token.replace(".email.", ".sms.")), None);
        assert_eq!(parse(b"secret", "7.42.email.1800000000"), None);
    }
}
