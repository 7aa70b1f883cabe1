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

/// The caller's business and its settings.
///
/// Any signed-in user may read it. Provider accounts show only whether they are configured
/// and their non-secret settings, never a secret.
#[utoipa::path(
    get, path = "/business", tag = "business", security(("oauth2" = [])),
    responses(
        (status = 200, description = "The business", body = BusinessResponse),
        (status = 401, description = "Missing, invalid, expired or revoked access token", body = Problem, content_type = "application/problem+json"),
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

/// Changes the business's settings and provider accounts.
///
/// Owners and admins only. Absent fields stay as they are and `null` clears an optional one;
/// every invalid field is listed in one 422 and nothing is saved. Provider changes are audited
/// (`providers.changed`, naming the fields set, never their values).
#[utoipa::path(
    patch, path = "/business", tag = "business", security(("oauth2" = [])),
    request_body = UpdateBusinessRequest,
    responses(
        (status = 200, description = "The business as changed", body = BusinessResponse),
        (status = 403, description = "The caller is a member: owners and admins only", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field; `errors` names each (e.g. `providers.twilio.account_sid`)", body = Problem, content_type = "application/problem+json"),
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

/// Tests one of the business's own provider accounts.
///
/// Sends a test message through its `smtp`, `twilio` or `whatsapp` account to `to`, or checks
/// its Stripe secret key, and reports what the provider answered: a refusal is a 200 with
/// `ok: false`, not an error. Owners and admins only; audited (`providers.tested`).
#[utoipa::path(
    post, path = "/business/providers/{provider}/test", tag = "business", security(("oauth2" = [])),
    params(("provider" = crate::domain::Provider, Path, description = "`smtp`, `twilio`, `whatsapp` or `stripe`")),
    request_body = ProviderTestRequest,
    responses(
        (status = 200, description = "What the provider answered, accepted or not", body = ProviderTestResult),
        (status = 403, description = "The caller is a member: owners and admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not one of the four provider names", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The provider is not set up for the business, its secrets cannot be opened, or `to` is not a valid address or number", body = Problem, content_type = "application/problem+json"),
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
    /// Start of the period, inclusive (RFC 3339); default the start of this month (UTC).
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// End of the period, exclusive (RFC 3339); default the start of next month (UTC).
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

/// Messages sent per channel in a period, with the monthly caps.
///
/// Counts the sends providers accepted in `[from, to)`, by when they were sent (this calendar
/// month, UTC, by default), and SMS parts as the provider reported them. Caps apply per
/// calendar month whatever period is asked for.
#[utoipa::path(
    get, path = "/business/usage", tag = "business", security(("oauth2" = [])), params(UsageQuery),
    responses(
        (status = 200, description = "Usage per channel", body = Usage),
        (status = 422, description = "`from` or `to` is not an RFC 3339 date-time between 1970 and 9999", body = Problem, content_type = "application/problem+json"),
    )
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
