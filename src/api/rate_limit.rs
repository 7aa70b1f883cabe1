//! Requests per minute per client address on the routes attackers hammer: sign-in and sign-up
//! (`/auth/*`) and provider webhooks. Beyond the quota: 429 with `Retry-After`. Per process; the
//! per-account sign-in lockout in the database is what holds across nodes.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::extract::ClientAddress;
use crate::limits::AddressLimiter;
use crate::state::AppState;

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
