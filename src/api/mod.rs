//! The HTTP API: routers per resource, extractors, the problem format, OpenAPI and the
//! middleware every request passes through.

pub mod audit;
pub mod auth;
pub mod business;
pub mod clients;
mod compat;
pub mod documents;
pub mod error;
pub mod extract;
mod field_errors;
pub mod health;
mod middleware;
pub mod notifications;
mod openapi;
pub mod paging;
pub mod payments;
pub mod privacy;
pub mod rate_limit;
pub mod reminders;
pub mod responses;
pub mod sender_identities;
pub mod users;
pub mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use utoipa::OpenApi;
use utoipa::openapi::security::{Flow, OAuth2, Password, Scopes, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Reminder App",
        description = "Reminders by e-mail, SMS and WhatsApp with Stripe payment links. \
                       Errors are RFC 9457 application/problem+json."
    ),
    tags(
        (name = "auth", description = "Sign-up, sign-in and tokens"),
        (name = "users", description = "Staff of a business"),
        (name = "business", description = "The caller's business"),
        (name = "clients", description = "Clients of a business"),
        (name = "documents", description = "Files clients open from a link in their reminder"),
        (name = "sender-identities", description = "Addresses and numbers a business sends from, verified by a code"),
        (name = "reminders", description = "Reminders, their schedules and clients"),
        (name = "notifications", description = "Every message sent, with its attempts"),
        (name = "payments", description = "Payments asked of clients"),
        (name = "dashboard", description = "What was sent, delivered, failed, paid and outstanding"),
        (name = "webhooks", description = "Provider callbacks, verified by their signatures"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
struct ApiDoc;

/// The OpenAPI document and the routes it describes, with the API nested under `API_V1_STR`.
pub fn routes(state: &Arc<AppState>) -> (Router<Arc<AppState>>, utoipa::openapi::OpenApi) {
    let settings = &state.settings;
    let api = OpenApiRouter::new()
        .merge(auth::router().layer(axum::middleware::from_fn_with_state(
            Arc::clone(state),
            rate_limit::limit_auth,
        )))
        .merge(users::router())
        .merge(business::router())
        .merge(sender_identities::router())
        .merge(clients::router(settings.import_max_bytes))
        .merge(documents::router(settings.document_max_bytes))
        .merge(reminders::router())
        .merge(notifications::router())
        .merge(payments::router())
        .merge(privacy::router())
        .merge(audit::router())
        .merge(
            webhooks::router().layer(axum::middleware::from_fn_with_state(
                Arc::clone(state),
                rate_limit::limit_webhooks,
            )),
        );
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(&settings.api_v1_str, api)
        .merge(health::router())
        .split_for_parts();
    let token_url = format!("{}/auth/token", settings.api_v1_str);
    openapi
        .components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::new([Flow::Password(Password::new(
                token_url,
                Scopes::new(),
            ))])),
        );
    (router, openapi::refine(openapi))
}

/// Only `/health` and `/ready`, for worker processes.
pub fn health_only(state: Arc<AppState>) -> Router {
    let (router, _) = OpenApiRouter::new()
        .merge(health::router())
        .split_for_parts();
    let router = router.fallback(middleware::route_not_found);
    middleware::wrap(router, &state.settings).with_state(state)
}

/// The API, its docs, the original's paths and `console` (the staff console's and the client
/// pages' routes, built by the layer above, whose fallback answers unknown paths) with the
/// middleware, ready to serve.
pub fn app(state: Arc<AppState>, console: Router<Arc<AppState>>) -> Router {
    let (router, openapi) = routes(&state);
    let docs = SwaggerUi::new("/docs")
        .url("/openapi.json", openapi)
        .config(utoipa_swagger_ui::Config::default().persist_authorization(true));
    let router = router
        .merge(docs)
        .merge(compat::router(&state))
        .merge(console)
        .layer(axum::middleware::from_fn_with_state(
            compat::Dispatch::new(&state),
            compat::dispatch,
        ))
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes));
    middleware::wrap(router, &state.settings).with_state(state)
}
