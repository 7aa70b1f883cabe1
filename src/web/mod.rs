//! The staff console: server-rendered pages at `/` over the same services as the API, for the
//! people of a firm. Templates are checked at compile time (askama, `templates/`); the style
//! sheet is embedded in the binary (`static/`); every core action is a plain form post, so the
//! console works without JavaScript. Pages carry a strict Content-Security-Policy (no inline
//! script or style).
//!
//! A person's session is the API's: signing in issues the same access and refresh tokens
//! (`services::auth`), kept in `HttpOnly` cookies and renewed like an API client would, so
//! signing out, a password change or a disabled account ends it everywhere. Every form carries
//! a CSRF token tied to the session, and a cross-site `Origin` is refused.

mod assets;
mod auth;
mod charts;
mod client_pages;
mod clients;
mod csrf;
mod dashboard;
mod document;
mod documents;
mod error;
mod export;
mod flash;
mod form;
mod import;
mod layout;
mod messages;
mod payments;
mod reminder_form;
mod reminders;
mod session;
mod settings;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;

/// What every console page may load: its own style sheet and images, nothing else.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The whole service as a browser and an API client meet it: the API (`crate::api::app`) with
/// the console's routes and the client-facing pages, every error a browser reaches shown as a
/// page.
pub fn app(state: &Arc<AppState>) -> Router {
    crate::api::app(Arc::clone(state), router(state))
        .layer(axum::middleware::from_fn(error::pages_for_browsers))
}

/// The console's routes, with their content policy (the other security headers are the
/// service's own, set for every answer) and session renewal; its fallback answers every path
/// nothing else does.
fn router(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    let signing_in = Router::new()
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/signup", get(auth::signup_page).post(auth::signup))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(state),
            session::limit_sign_in,
        ));
    Router::new()
        .merge(signing_in)
        .route("/", get(auth::home))
        .route("/logout", post(auth::logout))
        .route("/dashboard", get(dashboard::page))
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/new", get(clients::new_page))
        .route(
            "/clients/import",
            get(import::form)
                .post(import::submit)
                .layer(import::upload_limit()),
        )
        .route("/clients/{id}", get(clients::show).post(clients::save))
        .route("/clients/{id}/edit", get(clients::edit_page))
        .route(
            "/clients/{id}/erase",
            get(clients::erase_page).post(clients::erase),
        )
        .route("/clients/{id}/export", get(export::download))
        .route(
            "/documents",
            get(documents::list)
                .post(documents::upload)
                .layer(documents::upload_limit(state)),
        )
        .route("/documents/{id}", get(document::show).post(document::save))
        .route("/documents/{id}/content", get(documents::download))
        .route(
            "/documents/{id}/delete",
            get(document::delete_page).post(document::delete),
        )
        .route(
            "/documents/{id}/links/{link_id}/revoke",
            post(document::revoke),
        )
        .route("/reminders", get(reminders::list))
        .route(
            "/reminders/new",
            get(reminder_form::new_page).post(reminder_form::create),
        )
        .route("/reminders/{id}", post(reminder_form::save))
        .route("/reminders/{id}/edit", get(reminder_form::edit_page))
        .route("/reminders/{id}/{action}", post(reminders::act))
        .route("/messages", get(messages::list))
        .route("/messages/{id}", get(messages::show))
        .route("/messages/{id}/resend", post(messages::resend))
        .route("/payments", get(payments::list))
        .route("/settings", get(settings::show))
        .route("/settings/business", post(settings::update_business))
        .route("/settings/staff", post(settings::add_staff))
        .route("/settings/staff/{id}", post(settings::update_staff))
        .route("/settings/caps", post(settings::update_caps))
        .route("/settings/providers", get(settings::providers::show))
        .route(
            "/settings/providers/{provider}/{action}",
            post(settings::providers::act),
        )
        .route(
            "/settings/identities",
            get(settings::identities::show).post(settings::identities::add),
        )
        .route(
            "/settings/identities/{id}/{action}",
            post(settings::identities::act),
        )
        // Renewal is for pages only: a style sheet fetched beside a page must not spend the
        // same one-time refresh token a second time.
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(state),
            session::renew,
        ))
        // Pages send their origin with their forms (the CSRF check reads it): `same-origin`
        // instead of the service's `no-referrer`, under which browsers post `Origin: null`.
        .route_layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .merge(client_pages::router())
        .route("/static/console.css", get(assets::style_sheet))
        .fallback(error::not_found)
        // A document opened from a link keeps the sandboxing policy it was answered with.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
}
