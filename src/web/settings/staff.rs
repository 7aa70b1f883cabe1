//! The business's staff on the overview: a person added with a first password and a role, a
//! role changed, sign-in disabled or enabled — through `services::users`, as `/users`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::{Typed, answer};
use crate::domain::{Role, UserId};
use crate::services;
use crate::services::users::{CreateUserRequest, UpdateUserRequest};
use crate::state::AppState;
use crate::web::csrf;
use crate::web::error::{PathId, WebError};
use crate::web::form::Fields;
use crate::web::session::Staff;

/// `POST /settings/staff`: adds a person with a first password and a role.
pub(in crate::web) async fn add_staff(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields = Fields::parse(&body);
    csrf::check_session(&state, &staff.claims, &headers, &fields.get("csrf"))?;
    let role = fields.get("role").parse::<Role>().ok();
    let newcomer = (
        fields.get("email"),
        fields.get("full_name"),
        fields.get("role"),
    );
    let request = CreateUserRequest {
        email: newcomer.0.clone(),
        full_name: newcomer.1.clone(),
        password: fields.get("password"),
        role,
    };
    let result = services::users::create(&state, &staff.actor, request)
        .await
        .map(|_| ());
    let typed = Typed {
        newcomer,
        ..Typed::default()
    };
    answer(&state, &staff, result, typed, "staff").await
}

/// `POST /settings/staff/{id}`: a new role, or sign-in disabled or enabled again.
pub(in crate::web) async fn update_staff(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    PathId(id): PathId,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields = Fields::parse(&body);
    csrf::check_session(&state, &staff.claims, &headers, &fields.get("csrf"))?;
    let request = UpdateUserRequest {
        role: fields.get("role").parse::<Role>().ok(),
        is_active: match fields.get("active").as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        ..UpdateUserRequest::default()
    };
    let session = staff.claims.sid.as_deref();
    let result = services::users::update(&state, &staff.actor, session, UserId(id), request)
        .await
        .map(|_| ());
    answer(&state, &staff, result, Typed::default(), "staff").await
}
