//! The HTTP client shared by the Twilio and WhatsApp transports, and what their answers mean.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::ChannelError;

/// One client for all provider calls: connections are pooled per host, TLS is rustls with ring.
pub fn client() -> anyhow::Result<reqwest::Client> {
    crate::security::install_tls_provider();
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(25))
        .user_agent(concat!("reminder-backend/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// `Retry-After` in seconds, when the provider sent one.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

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

/// Whether an HTTP status is worth trying again later.
pub fn transient_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}
