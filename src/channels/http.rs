//! What a failed request to a provider's HTTP API means for the message.

use super::ChannelError;

/// A request that failed before an answer came. Refused connections never reached the
/// provider, so trying again is safe; a request sent without an answer may have been
/// delivered, and neither Twilio nor Meta takes an idempotency key, so sending again could
/// reach the client twice: such a message fails with `unconfirmed` and is left to a person.
pub fn request_failed(provider: &str, error: &reqwest::Error) -> ChannelError {
    if error.is_connect() {
        ChannelError::Transient {
            code: "connection_failed".into(),
            message: format!("could not reach {provider}"),
            retry_after: None,
        }
    } else {
        ChannelError::Permanent {
            code: "unconfirmed".into(),
            message: format!(
                "{provider} did not answer after the request was sent; it may have been delivered, so it is not sent again automatically"
            ),
        }
    }
}
