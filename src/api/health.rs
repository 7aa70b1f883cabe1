//! `/health` (the process answers), `/ready` (the database answers, and this node's scheduler,
//! if it runs one, is passing) and `/metrics` (Prometheus).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use chrono::Utc;
use sea_orm::DbErr;

use super::error::{ApiError, ApiResult, Problem};
use crate::repositories::notifications;
use crate::state::AppState;

/// A loop may take this long between passes (a batch of slow sends) before `/ready` fails.
const HEARTBEAT_GRACE_SECONDS: f64 = 120.0;

/// Routes of this module (outside the API prefix).
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
        .routes(routes!(metrics_text))
}

/// A health answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthResponse {
    /// Always `ok`; a failing check answers a problem instead.
    pub status: &'static str,
}

/// Liveness: the process answers.
///
/// Checks nothing else; for a load balancer's liveness probe. No sign-in.
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, description = "The process is up", body = HealthResponse)))]
async fn health() -> Json<HealthResponse> {
    Json(HealthResponse { status: "ok" })
}

/// How long readiness waits for the database: during an outage the pool would otherwise keep
/// trying to connect for its whole acquire timeout, longer than a probe waits.
const DATABASE_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Readiness: the database answers and this node's scheduler is passing.
///
/// 503 when the database cannot be reached (or does not answer within 2 s) or, on a node that
/// runs the scheduler, a loop has not passed for four poll intervals (at least 120 s). No
/// sign-in.
#[utoipa::path(
    get, path = "/ready", tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = HealthResponse),
        (status = 503, description = "The database is unreachable or the scheduler has stopped passing", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn ready(State(state): State<Arc<AppState>>) -> ApiResult<Json<HealthResponse>> {
    tokio::time::timeout(DATABASE_CHECK_TIMEOUT, state.db.ping())
        .await
        .unwrap_or_else(|_| Err(DbErr::Custom("no answer in time".into())))
        .map_err(|error| {
            tracing::warn!(error = %error, "readiness check: database unreachable");
            ApiError::Unavailable("The database is unreachable.".into())
        })?;
    if let Some(last) = state.heartbeat.oldest() {
        let limit = (state.settings.scheduler.poll_seconds * 4.0).max(HEARTBEAT_GRACE_SECONDS);
        let age = Utc::now().timestamp() - last;
        if age as f64 > limit {
            tracing::warn!(
                age_seconds = age,
                "readiness check: scheduler heartbeat stale"
            );
            return Err(ApiError::Unavailable(
                "The scheduler of this node has stopped passing.".into(),
            ));
        }
    }
    Ok(Json(HealthResponse { status: "ok" }))
}

/// Prometheus metrics of this process, with the queue read now.
///
/// Includes `notifications_due`, `notifications_scheduled` and
/// `notifications_oldest_due_seconds`, read from the database at each scrape.
#[utoipa::path(
    get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String))
)]
async fn metrics_text(State(state): State<Arc<AppState>>) -> ApiResult<impl IntoResponse> {
    let now = state.clock.now();
    let (due, later, oldest) = notifications::queue_depth(&state.db, now).await?;
    metrics::gauge!("notifications_due").set(due as f64);
    metrics::gauge!("notifications_scheduled").set(later as f64);
    let lag = oldest.map_or(0.0, |at| (now - at).num_milliseconds() as f64 / 1000.0);
    metrics::gauge!("notifications_oldest_due_seconds").set(lag.max(0.0));
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        crate::metrics::handle().render(),
    ))
}
