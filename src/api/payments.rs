//! `/payments` and `/dashboard/summary`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiQuery, Page, PathId};
use super::responses::ListResponse;
use crate::domain::{Actor, Channel, PaymentStatus};
use crate::entities::payment_click;
use crate::repositories::payments::PaymentFilter;
use crate::services::payments::PaymentWithLink;
use crate::services::{dashboard, payments};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_payments))
        .routes(routes!(get_payment))
        .routes(routes!(summary))
}

/// A click on a payment link.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClickResponse {
    pub at: DateTime<Utc>,
    /// The notification whose link was opened.
    pub notification_id: Option<i64>,
    /// The channel of the message whose link was opened.
    pub channel: Option<Channel>,
}

impl From<payment_click::Model> for ClickResponse {
    fn from(click: payment_click::Model) -> Self {
        Self {
            at: *click.clicked_at,
            notification_id: click.notification_id,
            channel: click.channel,
        }
    }
}

/// A payment asked of a client.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentResponse {
    pub id: i64,
    pub reminder_id: i64,
    pub client_id: i64,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217, lowercase.
    pub currency: String,
    pub description: Option<String>,
    /// Where it stands with Stripe.
    pub status: PaymentStatus,
    /// The client's payment link (never expires).
    pub url: String,
    /// Stripe's PaymentIntent id once paid.
    pub provider_ref: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// One payment fetched by id: every click on its links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clicks: Option<Vec<ClickResponse>>,
}

impl From<PaymentWithLink> for PaymentResponse {
    fn from(value: PaymentWithLink) -> Self {
        let p = value.payment;
        Self {
            id: p.id,
            reminder_id: p.reminder_id,
            client_id: p.client_id,
            amount: p.amount,
            currency: p.currency,
            description: p.description,
            status: p.status,
            url: value.url,
            provider_ref: p.provider_ref,
            paid_at: p.paid_at.map(Into::into),
            created_at: *p.created_at,
            clicks: None,
        }
    }
}

/// `GET /payments` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentQuery {
    /// Only payments in this status.
    #[param(value_type = Option<PaymentStatus>)]
    pub status: Option<String>,
    /// Only this client's payments.
    pub client_id: Option<i64>,
    /// Only payments asked for by this reminder.
    pub reminder_id: Option<i64>,
    /// 1 to 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// Default 0.
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub offset: Option<u64>,
}

/// Payments, newest first.
#[utoipa::path(
    get, path = "/payments", tag = "payments", security(("oauth2" = [])), params(PaymentQuery),
    responses((status = 200, body = ListResponse<PaymentResponse>), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
pub(super) async fn list_payments(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<PaymentQuery>,
) -> ApiResult<Json<ListResponse<PaymentResponse>>> {
    let page = Page::new(query.limit, query.offset)?;
    let status = query
        .status
        .map(|status| status.parse::<PaymentStatus>())
        .transpose()
        .map_err(|message| ApiError::invalid("status", message))?;
    let filter = PaymentFilter {
        status,
        client_id: query.client_id,
        reminder_id: query.reminder_id,
    };
    let paged = payments::list(&state, &actor, &filter, page.limit, page.offset).await?;
    Ok(Json(ListResponse::from_page(
        paged,
        page,
        PaymentResponse::from,
    )))
}

/// One payment with the clicks on its links.
#[utoipa::path(
    get, path = "/payments/{id}", tag = "payments", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Payment id")),
    responses((status = 200, body = PaymentResponse), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
async fn get_payment(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<PaymentResponse>> {
    let (payment, clicks) = payments::get(&state, &actor, id).await?;
    let mut response = PaymentResponse::from(payment);
    response.clicks = Some(clicks.into_iter().map(ClickResponse::from).collect());
    Ok(Json(response))
}

/// `GET /dashboard/summary` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// Occurrences (and payments created) at or after (RFC 3339).
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub from: Option<DateTime<Utc>>,
    /// Before (RFC 3339).
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub to: Option<DateTime<Utc>>,
}

/// Notification counts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationCounts {
    pub total: i64,
    pub by_status: BTreeMap<String, i64>,
    pub by_channel: BTreeMap<String, i64>,
}

/// Payment figures; amounts in minor units per currency.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentFigures {
    pub by_status: BTreeMap<String, i64>,
    pub paid: BTreeMap<String, i64>,
    pub outstanding: BTreeMap<String, i64>,
}

/// A reminder coming up.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UpcomingReminder {
    pub reminder_id: i64,
    pub title: String,
    pub at: DateTime<Utc>,
}

/// The dashboard.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SummaryResponse {
    pub notifications: NotificationCounts,
    /// Delivered or read out of sent, delivered, read and failed; null when none.
    pub delivery_rate: Option<f64>,
    pub payments: PaymentFigures,
    /// Document links clients opened (each counted once) in the window.
    pub documents_opened: i64,
    pub upcoming: Vec<UpcomingReminder>,
}

/// Sent, delivered, failed, paid and outstanding, and what comes next.
#[utoipa::path(
    get, path = "/dashboard/summary", tag = "payments", security(("oauth2" = [])), params(SummaryQuery),
    responses((status = 200, body = SummaryResponse), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
async fn summary(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<SummaryQuery>,
) -> ApiResult<Json<SummaryResponse>> {
    let s = dashboard::summary(&state, &actor, query.from, query.to).await?;
    Ok(Json(SummaryResponse {
        notifications: NotificationCounts {
            total: s.total,
            by_status: s.by_status,
            by_channel: s.by_channel,
        },
        delivery_rate: s.delivery_rate,
        payments: PaymentFigures {
            by_status: s.payments_by_status,
            paid: s.paid,
            outstanding: s.outstanding,
        },
        documents_opened: s.documents_opened,
        upcoming: s
            .upcoming
            .into_iter()
            .map(|(reminder_id, title, at)| UpcomingReminder {
                reminder_id,
                title,
                at,
            })
            .collect(),
    }))
}
