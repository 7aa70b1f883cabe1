//! Cross-site request forgery: every form posts a token the attacker's page cannot know — for
//! a signed-in person an HMAC of their session id, before sign-in a random value also set as a
//! cookie (double submit) — and a post whose `Origin` names another site is refused whatever
//! it carries.

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use secrecy::ExposeSecret;

use super::error::WebError;
use crate::security::jwt::Claims;
use crate::security::tokens;
use crate::state::AppState;

/// The cookie holding the token of the sign-in and sign-up forms.
const ANONYMOUS: &str = "console_csrf";

/// The form token of a signed-in session.
pub(super) fn session_token(state: &AppState, claims: &Claims) -> String {
    let session = claims.sid.as_deref().unwrap_or(&claims.jti);
    tokens::sign(
        state.settings.secret_key.expose_secret().as_bytes(),
        &format!("console-csrf:{session}"),
    )
}

/// Checks a signed-in person's form post: its token and its origin.
pub(super) fn check_session(
    state: &AppState,
    claims: &Claims,
    headers: &HeaderMap,
    given: &str,
) -> Result<(), WebError> {
    check_origin(state, headers)?;
    if tokens::same(&session_token(state, claims), given) {
        Ok(())
    } else {
        Err(WebError::Forged)
    }
}

/// The token of a sign-in or sign-up form: the cookie's, or a new one set on the response.
pub(super) fn anonymous_token(jar: CookieJar) -> (CookieJar, String) {
    if let Some(existing) = jar.get(ANONYMOUS) {
        let token = existing.value().to_owned();
        return (jar, token);
    }
    let token = tokens::random_token();
    let cookie = Cookie::build((ANONYMOUS, token.clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .build();
    (jar.add(cookie), token)
}

/// Checks a sign-in or sign-up post: the field must match the cookie, and the origin be ours.
pub(super) fn check_anonymous(
    state: &AppState,
    jar: &CookieJar,
    headers: &HeaderMap,
    given: &str,
) -> Result<(), WebError> {
    check_origin(state, headers)?;
    match jar.get(ANONYMOUS) {
        Some(cookie) if !given.is_empty() && tokens::same(cookie.value(), given) => Ok(()),
        _ => Err(WebError::Forged),
    }
}

/// A post's `Origin`, when the browser sends one, must be this service: the public base URL's
/// origin or the host the request was sent to.
fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), WebError> {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let public = state.settings.public_base_url.trim_end_matches('/');
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    let same_host = host.is_some_and(|host| {
        origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host))
    });
    if origin.eq_ignore_ascii_case(public) || same_host {
        Ok(())
    } else {
        Err(WebError::Forged)
    }
}
