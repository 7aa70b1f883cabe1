//! `/business`: the caller's business and its settings.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, Problem};
use super::extract::ApiJson;
use super::responses::BusinessResponse;
use crate::domain::Actor;
use crate::services::business::{self, UpdateBusinessRequest};
use crate::startup::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(get_business, update_business))
}

/// The caller's business.
#[utoipa::path(
    get, path = "/business", tag = "business", security(("oauth2" = [])),
    responses(
        (status = 200, body = BusinessResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_business(
    State(state): State<Arc<AppState>>,
    actor: Actor,
) -> ApiResult<Json<BusinessResponse>> {
    Ok(Json(business::get(&state, &actor).await?.into()))
}

/// Changes name, time zone, default channels or sender (owners and admins).
#[utoipa::path(
    patch, path = "/business", tag = "business", security(("oauth2" = [])),
    request_body = UpdateBusinessRequest,
    responses(
        (status = 200, body = BusinessResponse),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update_business(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiJson(request): ApiJson<UpdateBusinessRequest>,
) -> ApiResult<Json<BusinessResponse>> {
    Ok(Json(
        business::update(&state, &actor, request).await?.into(),
    ))
}
