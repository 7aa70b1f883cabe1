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
use crate::services::passwords::{self, ResetConfirmation, ResetRequest};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(issue_token))
        .routes(routes!(refresh_token))
        .routes(routes!(logout))
        .routes(routes!(request_password_reset))
        .routes(routes!(confirm_password_reset))
}

/// Registers a business and its owner.
///
/// No sign-in needed: the caller becomes the new business's `owner` and then signs in with
/// `POST /auth/token`. An e-mail already registered is a 409, and each such answer counts
/// against the caller's address like a failed sign-in, so addresses cannot be probed faster
/// than passwords can be guessed.
#[utoipa::path(
    post, path = "/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered: the owner and the business", body = RegisterResponse),
        (status = 409, description = "E-mail already registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field, e.g. a password the policy refuses; `errors` names each", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many refused attempts from this address; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn register(
    State(state): State<Arc<AppState>>,
    ClientAddress(address): ClientAddress,
    ApiJson(request): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<RegisterResponse>)> {
    let (user, business) = auth::register(&state, request, address).await?;
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
    /// `password`, or omitted; any other grant is a 422.
    pub grant_type: Option<String>,
    /// The account's e-mail address (case and surrounding spaces ignored).
    pub username: String,
    /// The account's password.
    pub password: String,
    /// Accepted for OAuth2 password-grant clients and ignored: a token carries its user's role.
    pub scope: Option<String>,
}

impl TokenForm {
    /// A 422 for a grant other than `password` (absent or blank is the password grant).
    pub(super) fn check_grant(&self) -> ApiResult<()> {
        match self.grant_type.as_deref().filter(|g| !g.is_empty()) {
            Some(grant) if grant != "password" => Err(super::error::ApiError::invalid(
                "grant_type",
                "only the password grant is supported",
            )),
            _ => Ok(()),
        }
    }
}

/// Signs in with e-mail and password.
///
/// The OAuth2 password grant, form-encoded: answers an access token for
/// `Authorization: Bearer` and a refresh token. Failures are counted per account and per
/// address (`LOGIN_MAX_FAILURES_PER_ACCOUNT`, `LOGIN_MAX_FAILURES_PER_ADDRESS`); past either
/// limit the answer is a 429 until the window passes. A disabled account is a 401; a
/// `grant_type` other than `password` is a 422.
#[utoipa::path(
    post, path = "/auth/token", tag = "auth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "Wrong e-mail or password, or the account is disabled", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn issue_token(
    State(state): State<Arc<AppState>>,
    ClientAddress(address): ClientAddress,
    ApiForm(form): ApiForm<TokenForm>,
) -> ApiResult<Json<TokenPair>> {
    form.check_grant()?;
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

/// Exchanges a refresh token for a new pair.
///
/// Each refresh token works once. Presenting one a second time revokes every token of that
/// sign-in session (one of its two holders must be an attacker), so the user signs in again.
#[utoipa::path(
    post, path = "/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New pair", body = TokenPair),
        (status = 401, description = "Unknown, expired, revoked or already used, or the account is disabled", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn refresh_token(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<RefreshRequest>,
) -> ApiResult<Json<TokenPair>> {
    Ok(Json(auth::refresh(&state, &request.refresh_token).await?))
}

/// Signs out.
///
/// The access token presented and the whole sign-in session (its refresh tokens) stop working
/// at once, on every node. Other sessions of the same user are not touched.
#[utoipa::path(
    post, path = "/auth/logout", tag = "auth", security(("oauth2" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Missing, invalid, expired or already revoked access token", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn logout(
    State(state): State<Arc<AppState>>,
    session: Session,
) -> ApiResult<axum::http::StatusCode> {
    auth::logout(&state, &session.claims).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Asks for a password-reset token by e-mail.
///
/// The answer is the same 202 whether or not an account uses the address, so it reveals
/// nothing. The token works once, for 30 minutes; one account is sent at most 3 per sign-in
/// window, and requests are limited per caller address like sign-in.
#[utoipa::path(
    post, path = "/auth/password-reset", tag = "auth",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "If an account uses the address, a token was sent to it", body = ResetAccepted),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn request_password_reset(
    State(state): State<Arc<AppState>>,
    ClientAddress(address): ClientAddress,
    ApiJson(request): ApiJson<ResetRequest>,
) -> ApiResult<(StatusCode, Json<ResetAccepted>)> {
    passwords::request_reset(&state, request, address).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ResetAccepted {
            detail: format!(
                "If an account uses this address, a reset token was sent to it. It works once, \
                 for {} minutes.",
                passwords::RESET_LIFETIME_MINUTES
            ),
        }),
    ))
}

/// The answer to a reset request, whatever the address.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ResetAccepted {
    /// What happens next, in words for the user (the same for every address).
    pub detail: String,
}

/// Sets a new password with the token from the e-mail.
///
/// The token works once; every sign-in session of the account ends, so it signs in again with
/// the new password.
#[utoipa::path(
    post, path = "/auth/password-reset/confirm", tag = "auth",
    request_body = ResetConfirmation,
    responses(
        (status = 204, description = "Password set; sign in with it"),
        (status = 422, description = "Token invalid, expired or used, or a password the policy refuses", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn confirm_password_reset(
    State(state): State<Arc<AppState>>,
    ApiJson(confirmation): ApiJson<ResetConfirmation>,
) -> ApiResult<StatusCode> {
    passwords::confirm_reset(&state, confirmation).await?;
    Ok(StatusCode::NO_CONTENT)
}
