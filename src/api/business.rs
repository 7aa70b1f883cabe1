//! `/business`: the caller's business and its settings.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, Problem};
use super::extract::ApiJson;
use super::responses::BusinessResponse;
use crate::domain::{Actor, BusinessId};
use crate::entities::business as business_entity;
use crate::services::business::{self, UpdateBusinessRequest};
use crate::services::provider_checks::{self, ProviderTestRequest, ProviderTestResult};
use crate::services::providers;
use crate::services::usage::{self, Usage};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(get_business, update_business))
        .routes(routes!(test_provider))
        .routes(routes!(get_usage))
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
    let found = business::get(&state, &actor).await?;
    with_providers(&state, found).await
}

/// The business with its provider accounts as shown (never a secret).
async fn with_providers(
    state: &AppState,
    found: business_entity::Model,
) -> ApiResult<Json<BusinessResponse>> {
    let id = BusinessId(found.id);
    let mut response = BusinessResponse::from(found);
    response.providers = providers::views(&state.db, id).await?;
    Ok(Json(response))
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
    let saved = business::update(&state, &actor, request).await?;
    with_providers(&state, saved).await
}

/// Sends a test message through one of the business's own provider accounts (`smtp`,
/// `twilio`, `whatsapp`), or checks its Stripe key, and says what the provider answered.
#[utoipa::path(
    post, path = "/business/providers/{provider}/test", tag = "business", security(("oauth2" = [])),
    params(("provider" = String, Path, description = "`smtp`, `twilio`, `whatsapp` or `stripe`")),
    request_body = ProviderTestRequest,
    responses(
        (status = 200, body = ProviderTestResult),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
async fn test_provider(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    axum::extract::Path(provider): axum::extract::Path<String>,
    ApiJson(request): ApiJson<ProviderTestRequest>,
) -> ApiResult<Json<ProviderTestResult>> {
    Ok(Json(
        provider_checks::test(&state, &actor, &provider, request).await?,
    ))
}

/// `GET /business/usage` query.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// Start (RFC 3339); default the start of this month (UTC).
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// End (RFC 3339); default the start of next month.
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

/// Messages sent per channel in a period (SMS parts as the provider reported them), with the
/// monthly caps.
#[utoipa::path(
    get, path = "/business/usage", tag = "business", security(("oauth2" = [])), params(UsageQuery),
    responses((status = 200, body = Usage), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn get_usage(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    super::extract::ApiQuery(query): super::extract::ApiQuery<UsageQuery>,
) -> ApiResult<Json<Usage>> {
    Ok(Json(
        usage::usage(&state, &actor, query.from, query.to).await?,
    ))
}
