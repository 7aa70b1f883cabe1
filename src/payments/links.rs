//! `{PUBLIC_BASE_URL}/pay/{token}`: a signed link per payment and message. The token names the
//! payment and the notification that carried it (by channel and occurrence, which identify it),
//! so each click is attributed; it never expires, unlike a Checkout Session's own URL.

use chrono::{DateTime, Utc};

use crate::domain::Channel;
use crate::security::tokens;

/// What a payment link names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayTarget {
    pub payment_id: i64,
    /// The message that carried the link, if it came from one.
    pub channel: Option<Channel>,
    /// Its occurrence, as Unix seconds.
    pub occurrence: Option<i64>,
}

fn message(target: &PayTarget) -> String {
    format!(
        "pay:{}:{}:{}",
        target.payment_id,
        target.channel.map(Channel::as_str).unwrap_or("-"),
        target.occurrence.map(|o| o.to_string()).unwrap_or_default()
    )
}

/// The link's token.
pub fn token(secret: &[u8], target: &PayTarget) -> String {
    let signature = tokens::sign(secret, &message(target));
    format!(
        "{}.{}.{}.{signature}",
        target.payment_id,
        target.channel.map(Channel::as_str).unwrap_or("-"),
        target
            .occurrence
            .map(|o| o.to_string())
            .unwrap_or_else(|| "-".into())
    )
}

/// The link for a payment as carried by one message.
pub fn url(
    base_url: &str,
    secret: &[u8],
    payment_id: i64,
    channel: Channel,
    occurrence: DateTime<Utc>,
) -> String {
    let target = PayTarget {
        payment_id,
        channel: Some(channel),
        occurrence: Some(occurrence.timestamp()),
    };
    format!("{base_url}/pay/{}", token(secret, &target))
}

/// The link of a payment not tied to a message (shown in the API).
pub fn plain_url(base_url: &str, secret: &[u8], payment_id: i64) -> String {
    let target = PayTarget {
        payment_id,
        channel: None,
        occurrence: None,
    };
    format!("{base_url}/pay/{}", token(secret, &target))
}

/// What a token names, if its signature holds.
pub fn parse(secret: &[u8], token: &str) -> Option<PayTarget> {
    let mut parts = token.splitn(4, '.');
    let payment_id = parts.next()?.parse().ok()?;
    let channel = match parts.next()? {
        "-" => None,
        name => Some(Channel::parse(name).ok()?),
    };
    let occurrence = match parts.next()? {
        "-" => None,
        value => Some(value.parse().ok()?),
    };
    let target = PayTarget {
        payment_id,
        channel,
        occurrence,
    };
    tokens::verify(secret, &message(&target), parts.next()?).then_some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_payment_and_message_and_cannot_be_altered() {
        let target = PayTarget {
            payment_id: 42,
            channel: Some(Channel::Sms),
            occurrence: Some(1_800_000_000),
        };
        let signed = token(b"secret", &target);
        assert_eq!(parse(b"secret", &signed), Some(target));
        assert_eq!(parse(b"other", &signed), None);
        assert_eq!(parse(b"secret", &signed.replacen("42.", "43.", 1)), None);
        assert_eq!(parse(b"secret", &signed.replace(".sms.", ".email.")), None);
        let plain = PayTarget {
            payment_id: 7,
            channel: None,
            occurrence: None,
        };
        assert_eq!(parse(b"secret", &token(b"secret", &plain)), Some(plain));
    }
}
