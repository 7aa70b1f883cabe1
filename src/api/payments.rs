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
use super::extract::{ApiQuery, PathId};
use super::paging::{ListWindow, Listed};
use super::responses::ListResponse;
use crate::domain::{Actor, Channel, PaymentStatus};
use crate::entities::payment_click;
use crate::repositories::payments::PaymentFilter;
use crate::services::payments::{PaymentSortKey, PaymentWithLink};
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
    /// When the link was opened (UTC).
    pub at: DateTime<Utc>,
    /// The notification whose link was opened; `null` for the payment's own `url`, or when
    /// the notification cannot be found.
    pub notification_id: Option<i64>,
    /// The channel of the message whose link was opened; `null` for the payment's own `url`.
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

/// A payment asked of a client: one per reminder that asks for payment and client.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentResponse {
    /// The payment's id.
    pub id: i64,
    /// The reminder that asks for it.
    pub reminder_id: i64,
    /// The client asked to pay.
    pub client_id: i64,
    /// Amount in minor units of `currency` (pence, cents; whole units for zero-decimal
    /// currencies such as `jpy`).
    pub amount: i64,
    /// ISO 4217 code, lowercase, e.g. `gbp`.
    pub currency: String,
    /// Shown to the client on the Stripe payment page; `null` for none.
    pub description: Option<String>,
    /// `open`, `paid`, `expired` (its Checkout Session lapsed; the next click makes a new
    /// one), `failed` or `refunded`.
    pub status: PaymentStatus,
    /// The client's payment link; it never expires (each click leads to a live Stripe
    /// Checkout page, or says it is already paid).
    pub url: String,
    /// Stripe's PaymentIntent id (`pi_…`) once paid; `null` before.
    pub provider_ref: Option<String>,
    /// When Stripe reported it paid (UTC); `null` until then.
    pub paid_at: Option<DateTime<Utc>>,
    /// When it was first asked for (UTC).
    pub created_at: DateTime<Utc>,
    /// Every click on its links, oldest first; only when fetched by id (absent from lists).
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
    /// Only payments in this status: `open`, `paid`, `expired`, `failed` or `refunded`.
    #[param(value_type = Option<PaymentStatus>)]
    pub status: Option<String>,
    /// Only this client's payments.
    pub client_id: Option<i64>,
    /// Only payments asked for by this reminder.
    pub reminder_id: Option<i64>,
}

/// Lists the business's payments, newest first.
#[utoipa::path(
    get, path = "/payments", tag = "payments", security(("oauth2" = [])), params(PaymentQuery, ListWindow<PaymentSortKey>),
    responses(
        (status = 200, description = "A page of payments", body = ListResponse<PaymentResponse>),
        (status = 422, description = "Unknown `status`, or `limit` or `offset` out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list_payments(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiQuery(query): ApiQuery<PaymentQuery>,
    window: ListWindow<PaymentSortKey>,
) -> ApiResult<Listed<PaymentResponse>> {
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
    let paged = payments::list(
        &state,
        &actor,
        &filter,
        window.sort,
        window.page.limit,
        window.page.offset,
    )
    .await?;
    Ok(window.answer(paged, PaymentResponse::from))
}

/// One payment with the clicks on its links.
#[utoipa::path(
    get, path = "/payments/{id}", tag = "payments", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Payment id")),
    responses(
        (status = 200, description = "The payment, with `clicks`", body = PaymentResponse),
        (status = 404, description = "No such payment in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
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
    /// Count notification occurrences, payments created and document opens at or after this
    /// instant (RFC 3339); default: no lower bound.
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub from: Option<DateTime<Utc>>,
    /// The same, before this instant (RFC 3339; exclusive); default: no upper bound.
    #[serde(
        default,
        deserialize_with = "crate::domain::date_range::optional_in_range"
    )]
    pub to: Option<DateTime<Utc>>,
}

/// Notifications whose occurrence falls in the window, counted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationCounts {
    /// All of them.
    pub total: i64,
    /// Per status (`pending`, `sent`, `delivered`, `failed`, …); statuses with none are left
    /// out.
    pub by_status: BTreeMap<String, i64>,
    /// Per channel (`email`, `sms`, `whatsapp`); channels with none are left out.
    pub by_channel: BTreeMap<String, i64>,
    /// Handed to a provider: `sent`, `delivered` and `read` ones, on every channel.
    pub sent: i64,
    /// Of the sent ones, those their provider reported `delivered` or `read`. Only SMS and
    /// WhatsApp report delivery; an e-mail sent over SMTP stays `sent`.
    pub delivered: i64,
    /// Failed for good (`failed`), on every channel.
    pub failed: i64,
}

/// Payments created in the window; amounts in minor units per lowercase currency code.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentFigures {
    /// How many payments per status (`open`, `paid`, …); statuses with none are left out.
    pub by_status: BTreeMap<String, i64>,
    /// Sum paid per currency, e.g. `{"gbp": 12500}`.
    pub paid: BTreeMap<String, i64>,
    /// Sum still owed per currency: open, expired, failed and refunded payments.
    pub outstanding: BTreeMap<String, i64>,
}

/// A reminder coming up.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UpcomingReminder {
    /// The reminder's id.
    pub reminder_id: i64,
    /// Its title.
    pub title: String,
    /// When its next occurrence falls due (UTC).
    pub at: DateTime<Utc>,
}

/// The dashboard's figures for the window asked for.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SummaryResponse {
    /// Notifications by occurrence in the window.
    pub notifications: NotificationCounts,
    /// The share (0 to 1) of notifications delivered or read, out of those sent (delivered and
    /// read included) or failed, counting only channels that report delivery (SMS and
    /// WhatsApp). `null` when there is none — when only e-mails went, say: SMTP never reports
    /// delivery, so an e-mail's is unknown, not failed. A message still awaiting its report
    /// counts as not delivered yet.
    pub delivery_rate: Option<f64>,
    /// Payments created in the window.
    pub payments: PaymentFigures,
    /// Document links clients opened (each counted once) in the window.
    pub documents_opened: i64,
    /// The next 10 active reminders due, soonest first, whatever the window.
    pub upcoming: Vec<UpcomingReminder>,
}

/// Summarises what was sent, delivered, failed, paid and opened, and what comes next.
///
/// Figures cover `[from, to)` (all time by default): notifications by occurrence, payments by
/// creation, document opens by when they happened.
#[utoipa::path(
    get, path = "/dashboard/summary", tag = "dashboard", security(("oauth2" = [])), params(SummaryQuery),
    responses(
        (status = 200, description = "The figures", body = SummaryResponse),
        (status = 422, description = "`from` or `to` is not an RFC 3339 date-time between 1970 and 9999", body = Problem, content_type = "application/problem+json"),
    )
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
            sent: s.sent,
            delivered: s.delivered,
            failed: s.failed,
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
