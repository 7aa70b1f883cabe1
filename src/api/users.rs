//! `/users`: the caller and the staff of their business.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, Problem};
use super::extract::{ApiJson, PathId, Session};
use super::paging::{ListWindow, Listed};
use super::responses::{ListResponse, UserResponse};
use crate::domain::{Actor, UserId};
use crate::services::users::{self, CreateUserRequest, UpdateUserRequest, UserSortKey};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(get_me))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user, delete_user))
}

/// The signed-in user, as their access token was last checked: a change made through another
/// node shows within a second.
#[utoipa::path(
    get, path = "/users/me", tag = "users", security(("oauth2" = [])),
    responses(
        (status = 200, description = "The caller's account", body = UserResponse),
        (status = 401, description = "Missing, invalid, expired or revoked access token", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn get_me(session: Session) -> Json<UserResponse> {
    Json(session.user.as_ref().clone().into())
}

/// Lists the staff of the caller's business.
///
/// Every user of the business, active or disabled, oldest first; any signed-in user may list
/// them.
#[utoipa::path(
    get, path = "/users", tag = "users", security(("oauth2" = [])), params(ListWindow<UserSortKey>),
    responses(
        (status = 200, description = "A page of users", body = ListResponse<UserResponse>),
        (status = 401, description = "Missing, invalid, expired or revoked access token", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list_users(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    window: ListWindow<UserSortKey>,
) -> ApiResult<Listed<UserResponse>> {
    let paged = users::list(
        &state,
        &actor,
        window.sort,
        window.page.limit,
        window.page.offset,
    )
    .await?;
    Ok(window.answer(paged, UserResponse::from))
}

/// Adds a user to the caller's business.
///
/// Owners and admins only, and only owners add owners (otherwise 403). The new user signs in
/// with the e-mail and password given; the addition is audited (`user.added`).
#[utoipa::path(
    post, path = "/users", tag = "users", security(("oauth2" = [])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Added", body = UserResponse),
        (status = 403, description = "The caller may not add a user with this role", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An account with this e-mail already exists (in any business)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field, e.g. a password the policy refuses; `errors` names each", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn create_user(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiJson(request): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserResponse>)> {
    let user = users::create(&state, &actor, request).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Changes a user's name, role, status or password.
///
/// Anyone may change their own name and password (the latter with `current_password`).
/// Changing someone else, or anyone's role or `is_active`, takes an owner or admin, and an
/// owner for owners. Role changes, disabling and passwords set for others are audited.
#[utoipa::path(
    patch, path = "/users/{id}", tag = "users", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "User id")),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "The user as changed", body = UserResponse),
        (status = 403, description = "The caller may not change this user or give this role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The change would leave the business without an active owner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field, or `current_password` missing or wrong", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong current passwords; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update_user(
    State(state): State<Arc<AppState>>,
    session: Session,
    PathId(id): PathId,
    ApiJson(request): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<UserResponse>> {
    let user = users::update(
        &state,
        &session.actor,
        session.claims.sid.as_deref(),
        UserId(id),
        request,
    )
    .await?;
    Ok(Json(user.into()))
}

/// Removes a user; their sessions end at once.
///
/// Owners and admins only, and only owners remove owners. Nobody can remove themselves, nor
/// the last active owner (both 409). Audited (`user.removed`).
#[utoipa::path(
    delete, path = "/users/{id}", tag = "users", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "The caller may not remove this user", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn delete_user(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    users::delete(&state, &actor, UserId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
