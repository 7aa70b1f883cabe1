//! Outbound HTTP shared by the provider transports and the Stripe client: one pooled client
//! (rustls with ring) and what an answer's status and `Retry-After` mean.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// One client for all provider calls: connections are pooled per host, TLS is rustls with ring.
pub fn client() -> anyhow::Result<reqwest::Client> {
    crate::security::install_tls_provider();
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(25))
        .user_agent(concat!("reminder-backend/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// `Retry-After` in seconds, when the far side sent one.
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

/// Whether an HTTP status is worth trying again later.
pub fn transient_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}
