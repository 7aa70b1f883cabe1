//! Sign-up (`POST /users/register`), sign-in (`POST /auth/login`, with the e-mail or the
//! username), the caller (`GET /auth/me`) and sign-out, as the original answered them.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::super::auth::TokenForm;
use super::super::error::{ApiError, ApiResult};
use super::super::extract::{ApiForm, ApiJson, ClientAddress, Session};
use crate::entities::user;
use crate::services::auth::{self, OriginalProfile, RegisterRequest, TokenPair};
use crate::services::business;
use crate::state::AppState;

/// The original's `UserCreate`.
#[derive(Debug, Deserialize)]
pub(super) struct UserCreate {
    /// 3 to 191 characters (the original took 255), unique; signs in like the e-mail.
    username: String,
    email: String,
    /// Our policy applies: 10 characters or more (the original took 8).
    password: String,
    first_name: Option<String>,
    last_name: Option<String>,
    /// The business's name; default the person's name, else the username.
    business_name: Option<String>,
    /// Up to 20 characters, kept as a contact number.
    phone_number: Option<String>,
    /// Only `true`: a new account is active here.
    #[serde(default = "active")]
    is_active: bool,
}

fn active() -> bool {
    true
}

/// The original's `User`.
#[derive(Debug, Serialize)]
pub(super) struct OriginalUser {
    id: i64,
    /// The username, or the e-mail for an account that has none (it signs in with it).
    username: String,
    email: String,
    /// The full name up to its first space.
    first_name: Option<String>,
    /// The full name after its first space.
    last_name: Option<String>,
    /// The name of the user's business.
    business_name: Option<String>,
    phone_number: Option<String>,
    is_active: bool,
    /// Always `false`: there is no platform superuser here.
    is_superuser: bool,
    created_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
}

impl OriginalUser {
    fn of(user: user::Model, business_name: String) -> Self {
        let (first, last) = match user.full_name.split_once(' ') {
            Some((first, last)) => (Some(first.to_owned()), Some(last.trim().to_owned())),
            None => (Some(user.full_name.clone()), None),
        };
        Self {
            id: user.id,
            username: user.username.unwrap_or_else(|| user.email.clone()),
            email: user.email,
            first_name: first.filter(|name| !name.is_empty()),
            last_name: last.filter(|name| !name.is_empty()),
            business_name: Some(business_name),
            phone_number: user.phone,
            is_active: user.is_active,
            is_superuser: false,
            created_at: *user.created_at,
            updated_at: Some(*user.updated_at),
        }
    }
}

fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|text| !text.is_empty())
}

/// `POST /users/register`: a business and its owner, from the original's body; 201 with the
/// original's `User`.
pub(super) async fn register_user(
    State(state): State<Arc<AppState>>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<UserCreate>,
) -> ApiResult<(StatusCode, Json<OriginalUser>)> {
    if !body.is_active {
        return Err(ApiError::invalid(
            "is_active",
            "a new account is active here; disable it afterwards with PATCH /users/{id}",
        ));
    }
    let person = [
        non_blank(body.first_name.as_deref()),
        non_blank(body.last_name.as_deref()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let full_name = if person.is_empty() {
        body.username.trim().to_owned()
    } else {
        person
    };
    let business_name =
        non_blank(body.business_name.as_deref()).map_or_else(|| full_name.clone(), str::to_owned);
    let request = RegisterRequest {
        business_name,
        email: body.email,
        password: body.password,
        full_name,
        timezone: None,
    };
    let profile = OriginalProfile {
        username: Some(body.username),
        phone: body.phone_number,
    };
    let (owner, business) = auth::register_with_profile(&state, request, profile, address).await?;
    Ok((
        StatusCode::CREATED,
        Json(OriginalUser::of(owner, business.name)),
    ))
}

/// `POST /auth/login`: the OAuth2 password form with the e-mail or the username; the token
/// pair (the original's `Token` plus `expires_in`), its access token marked for the original's
/// answers on the paths both APIs share.
pub(super) async fn login(
    State(state): State<Arc<AppState>>,
    ClientAddress(address): ClientAddress,
    ApiForm(form): ApiForm<TokenForm>,
) -> ApiResult<Json<TokenPair>> {
    form.check_grant()?;
    Ok(Json(
        auth::login_original(&state, &form.username, form.password, address).await?,
    ))
}

/// `GET /auth/me`: the caller as the original's `User`.
pub(super) async fn read_me(
    State(state): State<Arc<AppState>>,
    session: Session,
) -> ApiResult<Json<OriginalUser>> {
    let business = business::get(&state, &session.actor).await?;
    Ok(Json(OriginalUser::of(
        session.user.as_ref().clone(),
        business.name,
    )))
}

/// `POST /auth/logout`: as ours (the token and its session end), answered as the original did.
pub(super) async fn logout(
    State(state): State<Arc<AppState>>,
    session: Session,
) -> ApiResult<Json<Value>> {
    auth::logout(&state, &session.claims).await?;
    Ok(Json(json!({ "detail": "Successfully logged out" })))
}
