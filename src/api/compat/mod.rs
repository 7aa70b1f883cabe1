//! The original FastAPI service's API (branch `plus_tests`), translated: its paths, request
//! bodies, answers and error envelope, over our services. docs/MIGRATING.md ("Paths") lists
//! each path and what differs from the original.
//!
//! Two kinds of paths. Those only the original has (`/auth/login`, `/users/register`, the list
//! routes ending in a slash, `/clients/bulk-import`, `/reminders/{id}/send-now`, the `PUT`s)
//! always answer as it did. Those both APIs share (`/clients/{id}`, `/reminders/{id}`, …)
//! answer as the original did to a token signed in through its `/auth/login` ([`dispatch`]),
//! and as ours to everyone else. Neither is in the OpenAPI document. JSON bodies may carry
//! fields the original did not read, as it accepted them, whatever `STRICT_VALIDATION` says.

mod auth;
mod clients;
mod envelope;
mod notifications;
mod reminders;
mod sender_identities;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{Extensions, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use tower::ServiceExt;

use super::error::ApiError;
use super::extract::{LenientFields, Page};
use super::{payments, rate_limit, users};
use crate::domain::BusinessId;
use crate::security::jwt::ORIGINAL_API;
use crate::state::AppState;

/// The paths only the original has, answering as it did.
pub fn router(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    let api = &state.settings.api_v1_str;
    let at = |path: &str| format!("{api}{path}");
    let sign_in = Router::new()
        .route(&at("/auth/login"), post(auth::login))
        .route(&at("/users/register"), post(auth::register_user))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(state),
            rate_limit::limit_auth,
        ));
    let translated = Router::new()
        .merge(sign_in)
        .route(&at("/auth/me"), get(auth::read_me))
        .route(
            &at("/clients/"),
            get(clients::list_clients).post(clients::create_client),
        )
        .route(
            &at("/clients/bulk-import"),
            post(clients::bulk_import)
                .layer(DefaultBodyLimit::max(state.settings.import_max_bytes)),
        )
        .route(
            &at("/clients/{id}"),
            axum::routing::put(clients::update_client),
        )
        .route(
            &at("/reminders/"),
            get(reminders::list_reminders).post(reminders::create_reminder),
        )
        .route(
            &at("/reminders/{id}"),
            axum::routing::put(reminders::update_reminder),
        )
        .route(&at("/reminders/{id}/send-now"), post(reminders::send_now))
        .route(
            &at("/notifications/"),
            get(notifications::list_notifications),
        )
        .route(
            &at("/sender-identities/"),
            get(sender_identities::list_identities).post(sender_identities::create_identity),
        )
        .route(
            &at("/sender-identities/{id}"),
            axum::routing::put(sender_identities::update_identity),
        );
    // Not the original's (it had no such lists): ours, under the slash FastAPI's lists had.
    let ours = Router::new()
        .route(&at("/users/"), get(users::list_users))
        .route(&at("/payments/"), get(payments::list_payments));
    Router::new()
        .merge(translated.layer(axum::middleware::from_fn(envelope::translate_errors)))
        .merge(ours)
        .layer(Extension(LenientFields))
}

/// The paths both APIs share, as the original answered them; [`dispatch`] sends requests here.
fn shared_router(state: &Arc<AppState>) -> Router {
    let api = &state.settings.api_v1_str;
    let at = |path: &str| format!("{api}{path}");
    Router::new()
        .route(&at("/auth/logout"), post(auth::logout))
        .route(
            &at("/clients/{id}"),
            get(clients::read_client)
                .put(clients::update_client)
                .delete(clients::delete_client),
        )
        .route(
            &at("/reminders/{id}"),
            get(reminders::read_reminder)
                .put(reminders::update_reminder)
                .delete(reminders::delete_reminder),
        )
        .route(
            &at("/notifications/{id}"),
            get(notifications::read_notification),
        )
        .route(
            &at("/notifications/{id}/resend"),
            post(notifications::resend_notification),
        )
        .route(
            &at("/sender-identities/{id}"),
            get(sender_identities::read_identity)
                .put(sender_identities::update_identity)
                .delete(sender_identities::delete_identity),
        )
        .layer(axum::middleware::from_fn(envelope::translate_errors))
        .layer(Extension(LenientFields))
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes))
        .with_state(Arc::clone(state))
}

/// What [`dispatch`] needs: the state (to read tokens) and the shared paths' router.
#[derive(Clone)]
pub struct Dispatch {
    state: Arc<AppState>,
    shared: Router,
}

impl Dispatch {
    /// The dispatcher of this app.
    pub fn new(state: &Arc<AppState>) -> Self {
        Self {
            state: Arc::clone(state),
            shared: shared_router(state),
        }
    }
}

/// Sends a request on a path both APIs share to the original's answer when its bearer token
/// was signed in through the original's `/auth/login`; every other request goes on to ours.
/// The token is only read here; the handler authenticates it as every handler does.
pub async fn dispatch(State(dispatch): State<Dispatch>, request: Request, next: Next) -> Response {
    let api = &dispatch.state.settings.api_v1_str;
    let original = is_shared(request.method(), api, request.uri().path())
        && request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .and_then(|(_, token)| dispatch.state.jwt.verify(token.trim()))
            .is_some_and(|claims| claims.api.as_deref() == Some(ORIGINAL_API));
    if !original {
        return next.run(request).await;
    }
    // A fresh start for the shared router: the path parameters our router matched would add
    // to its own. Only the peer's address carries over (the body limit is the shared router's).
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .copied();
    let (mut parts, body) = request.into_parts();
    parts.extensions = Extensions::new();
    if let Some(peer) = peer {
        parts.extensions.insert(peer);
    }
    match dispatch
        .shared
        .oneshot(Request::from_parts(parts, body))
        .await
    {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Whether `method path` is one of the paths both APIs share that the original answered
/// otherwise (ids are digits: `/clients/import` and the like stay ours).
fn is_shared(method: &Method, api: &str, path: &str) -> bool {
    let Some(rest) = path
        .strip_prefix(api)
        .and_then(|rest| rest.strip_prefix('/'))
    else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let id = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let read_write_delete = [Method::GET, Method::PUT, Method::DELETE].contains(method);
    match parts.as_slice() {
        ["auth", "logout"] => method == Method::POST,
        ["clients" | "reminders" | "sender-identities", n] => read_write_delete && id(n),
        ["notifications", n] => method == Method::GET && id(n),
        ["notifications", n, "resend"] => method == Method::POST && id(n),
        _ => false,
    }
}

/// The largest `limit` the original's lists take here: its default page tenfold (it had no
/// cap).
pub(super) const MAX_LIMIT: u64 = 1000;

/// `(limit, offset)` of the original's `?skip=&limit=` (`limit` default 100), checked: a limit
/// above [`MAX_LIMIT`] or a skip past anything real is a 422.
pub(super) fn window(skip: Option<u64>, limit: Option<u64>) -> Result<(u64, u64), ApiError> {
    let limit = limit.unwrap_or(100);
    if limit > MAX_LIMIT {
        return Err(ApiError::invalid(
            "query.limit",
            format!("must be at most {MAX_LIMIT}"),
        ));
    }
    let skip = skip.unwrap_or(0);
    if skip > Page::MAX_OFFSET {
        return Err(ApiError::invalid(
            "query.skip",
            format!("must be at most {}", Page::MAX_OFFSET),
        ));
    }
    Ok((limit, skip))
}

/// The `user_id` the original showed on a business's rows: its first owner (the original's one
/// user per firm), or the caller when none is left.
pub(super) async fn firm_user_id(
    state: &AppState,
    business: BusinessId,
    caller: i64,
) -> Result<i64, ApiError> {
    Ok(crate::services::users::first_owner_id(state, business)
        .await?
        .unwrap_or(caller))
}

/// An error of our services with its fields named as the original named them (`names`: ours,
/// theirs).
pub(super) fn renamed(error: impl Into<ApiError>, names: &[(&str, &str)]) -> ApiError {
    match error.into() {
        ApiError::Validation(errors) => ApiError::Validation(
            errors
                .into_iter()
                .map(|mut error| {
                    if let Some((_, theirs)) = names.iter().find(|(ours, _)| *ours == error.field) {
                        error.field = (*theirs).to_owned();
                    }
                    error
                })
                .collect(),
        ),
        other => other,
    }
}

/// The original's answer to a delete: `{"detail": "… deleted successfully"}`.
pub(super) fn deleted(what: &str) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "detail": format!("{what} deleted successfully") }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_numeric_ids_of_the_shared_paths_are_the_originals() {
        let shared = |method: Method, path: &str| is_shared(&method, "/api/v1", path);
        assert!(shared(Method::GET, "/api/v1/clients/12"));
        assert!(shared(Method::DELETE, "/api/v1/sender-identities/3"));
        assert!(shared(Method::POST, "/api/v1/notifications/4/resend"));
        assert!(!shared(Method::POST, "/api/v1/clients/import"));
        assert!(!shared(Method::GET, "/api/v1/notifications/count"));
        assert!(!shared(Method::PATCH, "/api/v1/clients/12"));
        assert!(!shared(Method::GET, "/api/v1/clients/12/extra"));
        assert!(!shared(Method::GET, "/other/clients/12"));
    }
}
