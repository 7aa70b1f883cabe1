//! `/users`: the caller and the staff of their business.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, Problem};
use super::extract::{ApiJson, ApiQuery, Page, PageQuery, PathId, Session};
use super::responses::{ListResponse, UserResponse};
use crate::domain::{Actor, UserId};
use crate::services::users::{self, CreateUserRequest, UpdateUserRequest};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(get_me))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user, delete_user))
}

/// The signed-in user.
#[utoipa::path(
    get, path = "/users/me", tag = "users", security(("oauth2" = [])),
    responses(
        (status = 200, body = UserResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn get_me(
    State(state): State<Arc<AppState>>,
    actor: Actor,
) -> ApiResult<Json<UserResponse>> {
    Ok(Json(users::get(&state, &actor, actor.user).await?.into()))
}

/// Staff of the caller's business.
#[utoipa::path(
    get, path = "/users", tag = "users", security(("oauth2" = [])), params(PageQuery),
    responses(
        (status = 200, body = ListResponse<UserResponse>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list_users(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<UserResponse>>> {
    let page = Page::new(query.limit, query.offset)?;
    let paged = users::list(&state, &actor, page.limit, page.offset).await?;
    Ok(Json(ListResponse::from_page(
        paged,
        page,
        UserResponse::from,
    )))
}

/// Adds a user (owners and admins; only owners add owners).
#[utoipa::path(
    post, path = "/users", tag = "users", security(("oauth2" = [])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, body = UserResponse),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(
    patch, path = "/users/{id}", tag = "users", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "User id")),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, body = UserResponse),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(
    delete, path = "/users/{id}", tag = "users", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
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
