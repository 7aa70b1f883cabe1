//! A one-time message carried across a redirect, for an action whose outcome is more than a
//! fixed notice (a provider's answer to a test, whether a code went out): the form posts, the
//! answer sets it in a cookie and redirects, and the page shows it once and removes it, so a
//! reload repeats nothing. The cookie is signed for the session: another session's (or a
//! forged) message is not shown.

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use secrecy::ExposeSecret;

use super::session::Staff;
use crate::security::tokens;
use crate::state::AppState;

/// The cookie's name.
const NAME: &str = "console_flash";
/// The longest text kept, in characters (a cookie holds about 4 kB).
const MAX_TEXT: usize = 600;

/// What an action did, for the page it redirects to.
#[derive(Debug, Clone)]
pub(super) struct Flash {
    /// What it is about on the page (e.g. `twilio`, `identity-7`), to show it there.
    pub scope: String,
    /// True for a success, false for a refusal or failure to explain.
    pub ok: bool,
    /// What happened, in words.
    pub text: String,
}

/// The signature of a flash's body, bound to the session through its form token.
fn signature(state: &AppState, staff: &Staff, body: &str) -> String {
    tokens::sign(
        state.settings.secret_key.expose_secret().as_bytes(),
        &format!("console-flash:{}:{body}", staff.csrf),
    )
}

/// The cookie, kept for the page at `path` only.
fn cookie(state: &AppState, path: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((NAME, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.public_base_url.starts_with("https://"))
        .path(path)
        .build()
}

/// `jar` with `flash` set for the page at `path`.
pub(super) fn put(
    state: &AppState,
    staff: &Staff,
    jar: CookieJar,
    path: &'static str,
    flash: &Flash,
) -> CookieJar {
    let text: String = flash.text.chars().take(MAX_TEXT).collect();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("scope", &flash.scope)
        .append_pair("ok", if flash.ok { "1" } else { "0" })
        .append_pair("text", &text)
        .finish();
    let sig = signature(state, staff, &body);
    jar.add(cookie(state, path, format!("{body}&sig={sig}")))
}

/// The flash set for the page at `path`, if any (a badly signed one is dropped), and `jar`
/// with it removed.
pub(super) fn take(
    state: &AppState,
    staff: &Staff,
    jar: CookieJar,
    path: &'static str,
) -> (CookieJar, Option<Flash>) {
    let Some(value) = jar.get(NAME).map(|cookie| cookie.value().to_owned()) else {
        return (jar, None);
    };
    let jar = jar.remove(cookie(state, path, String::new()));
    let Some((body, sig)) = value.rsplit_once("&sig=") else {
        return (jar, None);
    };
    if !tokens::same(&signature(state, staff, body), sig) {
        return (jar, None);
    }
    let mut flash = Flash {
        scope: String::new(),
        ok: false,
        text: String::new(),
    };
    for (name, value) in form_urlencoded::parse(body.as_bytes()) {
        match name.as_ref() {
            "scope" => flash.scope = value.into_owned(),
            "ok" => flash.ok = value == "1",
            "text" => flash.text = value.into_owned(),
            _ => {}
        }
    }
    (jar, Some(flash))
}
