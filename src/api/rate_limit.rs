//! Requests per minute per client address on the routes attackers hammer: sign-in and sign-up
//! (`/auth/*`) and provider webhooks. Beyond the quota: 429 with `Retry-After`. Per process; the
//! per-account sign-in lockout in the database is what holds across nodes.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::ApiError;
use super::extract::ClientAddress;
use crate::startup::AppState;

/// Addresses remembered before those back at full quota are dropped.
const FORGET_ABOVE: usize = 10_000;

/// One quota per client address.
pub struct AddressLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl AddressLimiter {
    /// `per_minute` requests a minute, the whole minute's worth allowed in a burst.
    pub fn per_minute(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    /// `Err(seconds to wait)` when the address is over its quota.
    fn check(&self, address: IpAddr) -> Result<(), u64> {
        // Addresses whose quota has refilled are forgotten, so memory stays bounded however
        // many addresses (or forged X-Forwarded-For values) pass by.
        if self.limiter.len() >= FORGET_ABOVE {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&address).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }
}

/// The limiters of the process.
pub struct Limiters {
    pub auth: AddressLimiter,
    pub webhooks: AddressLimiter,
}

async fn limit(
    limiter: &AddressLimiter,
    address: ClientAddress,
    request: Request,
    next: Next,
) -> Response {
    let address = address.0.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    match limiter.check(address) {
        Ok(()) => next.run(request).await,
        Err(retry_after_seconds) => ApiError::TooManyRequests {
            retry_after_seconds,
        }
        .into_response(),
    }
}

/// Middleware for `/auth/*`.
pub async fn limit_auth(
    State(state): State<Arc<AppState>>,
    address: ClientAddress,
    request: Request,
    next: Next,
) -> Response {
    limit(&state.limiters.auth, address, request, next).await
}

/// Middleware for `/webhooks/*`.
pub async fn limit_webhooks(
    State(state): State<Arc<AppState>>,
    address: ClientAddress,
    request: Request,
    next: Next,
) -> Response {
    limit(&state.limiters.webhooks, address, request, next).await
}
