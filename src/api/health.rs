//! `/health` (the process answers) and `/ready` (the database answers too).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, Problem};
use crate::startup::AppState;

/// Routes of this module (outside the API prefix).
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
}

/// A health answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthResponse {
    /// `ok`.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = HealthResponse)))]
async fn health() -> Json<HealthResponse> {
    Json(HealthResponse { status: "ok" })
}

/// The process is up and its database answers.
#[utoipa::path(
    get, path = "/ready", tag = "health",
    responses(
        (status = 200, body = HealthResponse),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
async fn ready(State(state): State<Arc<AppState>>) -> ApiResult<Json<HealthResponse>> {
    state.db.ping().await.map_err(|error| {
        tracing::warn!(error = %error, "readiness check: database unreachable");
        ApiError::Unavailable("The database is unreachable.".into())
    })?;
    Ok(Json(HealthResponse { status: "ok" }))
}
