//! `/auth`: sign-up, sign-in (OAuth2 password form) and refresh.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, Problem};
use super::extract::{ApiForm, ApiJson, ClientAddress, Session};
use super::responses::RegisterResponse;
use crate::services::auth::{self, RegisterRequest, TokenPair};
use crate::startup::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(issue_token))
        .routes(routes!(refresh_token))
        .routes(routes!(logout))
}

/// Creates a business and its owner.
#[utoipa::path(
    post, path = "/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered", body = RegisterResponse),
        (status = 409, description = "E-mail already registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn register(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<RegisterResponse>)> {
    let (user, business) = auth::register(&state, request).await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisterResponse {
            user: user.into(),
            business: business.into(),
        }),
    ))
}

/// OAuth2 password grant, form-encoded.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TokenForm {
    /// `password` (optional).
    pub grant_type: Option<String>,
    /// The account's e-mail.
    pub username: String,
    /// The password.
    pub password: String,
    /// Ignored.
    pub scope: Option<String>,
}

/// Signs in: e-mail and password for an access token and a refresh token.
#[utoipa::path(
    post, path = "/auth/token", tag = "auth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "Wrong e-mail or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn issue_token(
    State(state): State<Arc<AppState>>,
    ClientAddress(address): ClientAddress,
    ApiForm(form): ApiForm<TokenForm>,
) -> ApiResult<Json<TokenPair>> {
    if let Some(grant) = form.grant_type.as_deref().filter(|g| !g.is_empty())
        && grant != "password"
    {
        return Err(super::error::ApiError::invalid(
            "grant_type",
            "only the password grant is supported",
        ));
    }
    Ok(Json(
        auth::login(&state, &form.username, form.password, address).await?,
    ))
}

/// `POST /auth/refresh`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RefreshRequest {
    /// The refresh token from the last pair; it works once.
    pub refresh_token: String,
}

/// Exchanges a refresh token for a new pair; the old one stops working.
#[utoipa::path(
    post, path = "/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New pair", body = TokenPair),
        (status = 401, description = "Unknown, expired or already used", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn refresh_token(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<RefreshRequest>,
) -> ApiResult<Json<TokenPair>> {
    Ok(Json(auth::refresh(&state, &request.refresh_token).await?))
}

/// Signs out: the access token presented and the whole sign-in session (its refresh tokens)
/// stop working at once, on every node.
#[utoipa::path(
    post, path = "/auth/logout", tag = "auth", security(("oauth2" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
async fn logout(
    State(state): State<Arc<AppState>>,
    session: Session,
) -> ApiResult<axum::http::StatusCode> {
    auth::logout(&state, &session.claims).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
