//! `/reminders/preview` and `/reminders/{id}/preview`: what a draft or a saved reminder would
//! send one client, and when, without saving or sending anything.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::super::error::{ApiError, ApiResult, Problem};
use super::super::extract::{ApiJson, ApiQuery, PathId, parse_json};
use crate::domain::{Actor, Channel, ClientId, FieldError, WhatsappTemplate};
use crate::services::reminders::CreateReminderRequest;
use crate::services::reminders::preview::{self, Preview};
use crate::state::AppState;

/// `POST /reminders/preview`: a draft reminder, as `POST /reminders` takes it, and the client to
/// show it for.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PreviewReminderRequest {
    /// The id of the business's client to render the messages for (assigned to the draft or
    /// not).
    pub client_id: i64,
    /// The draft: every field of `POST /reminders`, checked as it checks them.
    #[serde(flatten)]
    pub draft: CreateReminderRequest,
}

impl PreviewReminderRequest {
    /// Reads the body's fields: `client_id`, then the draft as `POST /reminders` reads its body
    /// (unknown fields refused when `strict`). Both are read, so one 422 names every field at
    /// fault. (serde's `flatten` would let unknown fields of the draft pass unseen.)
    fn read(mut fields: Map<String, Value>, strict: bool) -> Result<Self, ApiError> {
        let client_id = match fields.remove("client_id") {
            None => Err(FieldError::new("client_id", "is required")),
            Some(value) => serde_json::from_value::<i64>(value)
                .map_err(|_| FieldError::new("client_id", "must be a client's id (an integer)")),
        };
        let draft = serde_json::to_vec(&fields)
            .map_err(|error| ApiError::Internal(error.into()))
            .and_then(|body| parse_json::<CreateReminderRequest>(&body, strict));
        match (client_id, draft) {
            (Ok(client_id), Ok(draft)) => Ok(Self { client_id, draft }),
            (Ok(_), Err(error)) => Err(error),
            (Err(missing), Err(ApiError::Validation(mut errors))) => {
                errors.insert(0, missing);
                Err(ApiError::Validation(errors))
            }
            (Err(missing), _) => Err(ApiError::Validation(vec![missing])),
        }
    }
}

/// `GET /reminders/{id}/preview` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// The id of the business's client to render the messages for (assigned to the reminder
    /// or not); required.
    #[param(required = true)]
    pub client_id: Option<i64>,
}

/// What a reminder would send one client, and when. Nothing was saved or sent to make it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReminderPreviewResponse {
    /// The client the messages are rendered for.
    pub client_id: i64,
    /// The IANA zone the client's dates are shown in (`due_date` in the messages): the
    /// client's, else the schedule's.
    pub timezone: String,
    /// The next occurrences from now, earliest first, at most 5, as RFC 3339 UTC instants
    /// (`2027-01-15T09:00:00Z`); empty when the schedule has none left.
    pub occurrences: Vec<DateTime<Utc>>,
    /// One message per channel of the reminder, as it would be written for the first of those
    /// occurrences (a before-due schedule's speak of its due date).
    pub messages: Vec<PreviewMessageResponse>,
    /// The links the messages carry.
    pub links: PreviewLinksResponse,
}

/// One channel's message in a preview.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PreviewMessageResponse {
    /// The channel it would go on.
    pub channel: Channel,
    /// Why the client would not get it on this channel: `not_preferred` (they prefer another
    /// of the reminder's channels), `no_address`, `opted_out` or `no_whatsapp_opt_in`; `null`
    /// when they would.
    pub skip_reason: Option<String>,
    /// The e-mail subject as rendered; `null` on SMS and WhatsApp, and when the templates do
    /// not render.
    pub subject: Option<String>,
    /// The text as rendered; `null` when the templates do not render (see `error`).
    pub body: Option<String>,
    /// WhatsApp: the approved template sent instead of the body, with its parameters rendered;
    /// `null` on other channels and without one.
    pub whatsapp_template: Option<WhatsappTemplate>,
    /// What keeps the templates from rendering for this client (a saved reminder's template
    /// stored before templates were checked, for instance); `null` when they render.
    pub error: Option<String>,
}

/// The links a previewed message carries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PreviewLinksResponse {
    /// `{PUBLIC_BASE_URL}/pay/…`, standing for the payment link made for each message when it
    /// is written (`{{ payment_link }}`); `null` when the reminder asks for no payment.
    pub payment: Option<String>,
    /// The documents the messages carry (`{{ documents }}`), each with a link standing for the
    /// one made for each message; empty for none.
    pub documents: Vec<PreviewDocumentResponse>,
    /// The client's own one-click unsubscribe link, as e-mails carry it
    /// (`{{ unsubscribe_link }}`).
    pub unsubscribe: String,
}

/// A document a previewed message carries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PreviewDocumentResponse {
    /// The document's file name, e.g. `invoice.pdf`.
    pub name: String,
    /// `{PUBLIC_BASE_URL}/d/…`, standing for the link made for each message.
    pub link: String,
}

impl From<Preview> for ReminderPreviewResponse {
    fn from(preview: Preview) -> Self {
        Self {
            client_id: preview.client.id,
            timezone: preview.zone.name().to_owned(),
            occurrences: preview.dates,
            messages: preview
                .messages
                .into_iter()
                .map(|message| {
                    let (subject, body, whatsapp_template, error) = match message.rendered {
                        Ok(rendered) => (
                            rendered.subject,
                            Some(rendered.body),
                            rendered.whatsapp_template,
                            None,
                        ),
                        Err(error) => (None, None, None, Some(error)),
                    };
                    PreviewMessageResponse {
                        channel: message.channel,
                        skip_reason: message.skip_reason.map(str::to_owned),
                        subject,
                        body,
                        whatsapp_template,
                        error,
                    }
                })
                .collect(),
            links: PreviewLinksResponse {
                payment: preview.links.payment,
                documents: preview
                    .links
                    .documents
                    .into_iter()
                    .map(|document| PreviewDocumentResponse {
                        name: document.name,
                        link: document.link,
                    })
                    .collect(),
                unsubscribe: preview.links.unsubscribe,
            },
        }
    }
}

/// Previews a draft reminder for one client: what it would send and when.
///
/// The body is `POST /reminders`'s plus `client_id`. The draft is checked as creating it would
/// be, with the same 422 (templates included: an unknown variable or filter is named with its
/// line and column), then rendered for that client of the business. Nothing is saved and
/// nothing is sent; payment and document links are made for each message when it is written,
/// so `…` stands for them here.
#[utoipa::path(
    post, path = "/reminders/preview", tag = "reminders", security(("oauth2" = [])),
    request_body = PreviewReminderRequest,
    responses(
        (status = 200, description = "The messages the client would get and the next occurrences", body = ReminderPreviewResponse),
        (status = 404, description = "No such client in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`client_id` is missing, or `POST /reminders` would refuse the draft; `errors` names each field", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn preview_draft(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    ApiJson(fields): ApiJson<Map<String, Value>>,
) -> ApiResult<Json<ReminderPreviewResponse>> {
    let request = PreviewReminderRequest::read(fields, state.settings.strict_validation)?;
    let preview =
        preview::draft(&state, &actor, &request.draft, ClientId(request.client_id)).await?;
    Ok(Json(preview.into()))
}

/// Previews a saved reminder for one client: what it would send and when.
///
/// The client may be any of the business's, assigned to the reminder or not. Nothing is saved
/// and nothing is sent; payment and document links are made for each message when it is
/// written, so `…` stands for them here.
#[utoipa::path(
    get, path = "/reminders/{id}/preview", tag = "reminders", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Reminder id"), PreviewQuery),
    responses(
        (status = 200, description = "The messages the client would get and the next occurrences", body = ReminderPreviewResponse),
        (status = 404, description = "No such reminder or client in the caller's business", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The reminder's stored schedule no longer reads", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`client_id` is missing or not an integer", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn preview_saved(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<PreviewQuery>,
) -> ApiResult<Json<ReminderPreviewResponse>> {
    let client_id = query
        .client_id
        .ok_or_else(|| ApiError::invalid("client_id", "is required"))?;
    let preview = preview::saved(&state, &actor, id, ClientId(client_id)).await?;
    Ok(Json(preview.into()))
}
