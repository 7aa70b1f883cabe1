//! A person's session: the API's access and refresh tokens, kept in `HttpOnly` cookies. An
//! expired access token is renewed with the refresh token on the next page, as an API client
//! would; the renewal's one-time refresh token rotation and reuse detection apply unchanged.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::csrf;
use super::error::WebError;
use crate::api::extract::ClientAddress;
use crate::domain::Actor;
use crate::security::jwt::Claims;
use crate::services::auth::{self, TokenPair};
use crate::state::AppState;

/// The cookie holding the access token.
pub(super) const ACCESS: &str = "console_access";
/// The cookie holding the refresh token.
pub(super) const REFRESH: &str = "console_refresh";

/// The signed-in person on a console page.
pub(super) struct Staff {
    /// Who they are, their business and their role now.
    pub actor: Actor,
    /// Their access token's claims (its session, for signing out).
    pub claims: Claims,
    /// The CSRF token every form of theirs carries.
    pub csrf: String,
}

/// Tokens a renewal issued while this request was handled.
#[derive(Clone)]
struct Renewed(Arc<TokenPair>);

impl FromRequestParts<Arc<AppState>> for Staff {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, WebError> {
        let token = match parts.extensions.get::<Renewed>() {
            Some(Renewed(pair)) => pair.access_token.clone(),
            None => CookieJar::from_headers(&parts.headers)
                .get(ACCESS)
                .map(|cookie| cookie.value().to_owned())
                .ok_or(WebError::SignIn)?,
        };
        let (caller, claims) = auth::authenticate(state, &token)
            .await
            .map_err(|_| WebError::SignIn)?;
        let csrf = csrf::session_token(state, &claims);
        Ok(Self {
            actor: caller.actor,
            claims,
            csrf,
        })
    }
}

/// Renews an expired access token from the refresh cookie before the page is handled, and sets
/// the new pair on the response.
pub(super) async fn renew(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let jar = CookieJar::from_headers(request.headers());
    let current = jar
        .get(ACCESS)
        .is_some_and(|cookie| state.jwt.verify(cookie.value()).is_some());
    let mut renewed = None;
    if !current && let Some(refresh) = jar.get(REFRESH) {
        renewed = auth::refresh(&state, refresh.value())
            .await
            .ok()
            .map(Arc::new);
    }
    if let Some(pair) = &renewed {
        request.extensions_mut().insert(Renewed(Arc::clone(pair)));
    }
    let response = next.run(request).await;
    match renewed {
        Some(pair) => (signed_in(&state, CookieJar::new(), &pair), response).into_response(),
        None => response,
    }
}

fn cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.public_base_url.starts_with("https://"))
        .path("/")
        .build()
}

/// The cookies of a new or renewed session.
pub(super) fn signed_in(state: &AppState, jar: CookieJar, pair: &TokenPair) -> CookieJar {
    jar.add(cookie(state, ACCESS, pair.access_token.clone()))
        .add(cookie(state, REFRESH, pair.refresh_token.clone()))
}

/// The session cookies removed.
pub(super) fn signed_out(state: &AppState, jar: CookieJar) -> CookieJar {
    jar.remove(cookie(state, ACCESS, String::new()))
        .remove(cookie(state, REFRESH, String::new()))
}

/// The API's per-address quota on sign-in and sign-up (`RATE_LIMIT_AUTH_PER_MINUTE`, the same
/// limiter as `/api/v1/auth/*`), answered with the console's 429 page.
pub(super) async fn limit_sign_in(
    State(state): State<Arc<AppState>>,
    ClientAddress(address): ClientAddress,
    request: Request,
    next: Next,
) -> Response {
    let address = address.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    match state.limiters.auth.check(address) {
        Ok(()) => next.run(request).await,
        Err(retry_after_seconds) => WebError::TooMany(retry_after_seconds).into_response(),
    }
}
