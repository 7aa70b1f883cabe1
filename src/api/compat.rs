//! The original FastAPI service's paths, as aliases of ours, so its clients keep working
//! (docs/MIGRATING.md lists them). Same handlers, so the same answers; not in the OpenAPI
//! document, which describes the canonical paths only. Their JSON bodies may carry fields we
//! do not read, as the original accepted them, whatever `STRICT_VALIDATION` says.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Extension, Router};

use super::extract::LenientFields;
use super::{
    auth, clients, notifications, payments, rate_limit, reminders, sender_identities, users,
};
use crate::state::AppState;

/// The aliases under the API prefix.
pub fn router(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    let api = &state.settings.api_v1_str;
    let at = |path: &str| format!("{api}{path}");
    let sign_in = Router::new()
        .route(&at("/auth/login"), post(auth::issue_token))
        .route(&at("/users/register"), post(auth::register))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(state),
            rate_limit::limit_auth,
        ));
    Router::new()
        .merge(sign_in)
        .route(&at("/auth/me"), get(users::get_me))
        .route(
            &at("/clients/bulk-import"),
            post(clients::import_clients)
                .layer(DefaultBodyLimit::max(state.settings.import_max_bytes)),
        )
        .route(
            &at("/reminders/{id}/send-now"),
            post(reminders::send_reminder),
        )
        // FastAPI's list routes ended in a slash.
        .route(
            &at("/clients/"),
            get(clients::list_clients).post(clients::create_client),
        )
        .route(
            &at("/reminders/"),
            get(reminders::list_reminders).post(reminders::create_reminder),
        )
        .route(
            &at("/users/"),
            get(users::list_users).post(users::create_user),
        )
        .route(
            &at("/notifications/"),
            get(notifications::list_notifications),
        )
        .route(&at("/payments/"), get(payments::list_payments))
        .route(
            &at("/sender-identities/"),
            get(sender_identities::list_identities).post(sender_identities::create_identity),
        )
        .layer(Extension(LenientFields))
}
