//! `GET /clients/{id}/export`: everything held about a client, as JSON (data portability).
//! Erasure is `DELETE /clients/{id}?erase=true`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::documents::{DocumentLinkResponse, DocumentResponse};
use super::error::{ApiResult, Problem};
use super::extract::PathId;
use super::payments::{ClickResponse, PaymentResponse};
use super::responses::{AttemptResponse, ClientResponse, NotificationResponse};
use crate::domain::{Actor, ClientId, ReminderStatus};
use crate::repositories::privacy::Held;
use crate::services::documents::LinkWithOpens;
use crate::services::{payments, privacy};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(export_client))
}

/// A reminder the client is assigned to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AssignedReminder {
    /// The reminder's id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Where it stands: `active`, `paused`, `completed` or `cancelled`.
    pub status: ReminderStatus,
}

/// A document link a client was sent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SentDocumentLink {
    /// The document the link opens.
    pub document_id: i64,
    /// The link and its opens, inlined into this object.
    #[serde(flatten)]
    pub link: DocumentLinkResponse,
}

/// Everything held about a client.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientExport {
    /// The client as held now.
    pub client: ClientResponse,
    /// The reminders they are assigned to.
    pub reminders: Vec<AssignedReminder>,
    /// Every message, with its attempts.
    pub notifications: Vec<NotificationResponse>,
    /// Every payment asked, with the clicks on its links.
    pub payments: Vec<PaymentResponse>,
    /// The client's own documents.
    pub documents: Vec<DocumentResponse>,
    /// The links to documents they were sent, with each open.
    pub document_links: Vec<SentDocumentLink>,
    /// When this export was made (UTC).
    pub exported_at: DateTime<Utc>,
}

/// Exports everything held about a client, as JSON.
///
/// For data-portability requests: the client, their reminders, every message with its
/// attempts, their payments with clicks, their own documents and the document links they
/// were sent. Owners and admins only, as for erasure; each export is audited
/// (`client.exported`).
#[utoipa::path(
    get, path = "/clients/{id}/export", tag = "clients", security(("oauth2" = [])),
    params(("id" = i64, Path, description = "Client id")),
    responses(
        (status = 200, description = "Everything held about the client", body = ClientExport),
        (status = 403, description = "The caller is a member, not an owner or admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client in the caller's business", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn export_client(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    PathId(id): PathId,
) -> ApiResult<Json<ClientExport>> {
    let held = privacy::export(&state, &actor, ClientId(id)).await?;
    Ok(Json(ClientExport::from_held(&state, held)))
}

impl ClientExport {
    /// Everything in `held`, as the API answers it (the console's download is the same).
    pub fn from_held(state: &AppState, held: Held) -> Self {
        Self {
            client: held.client.into(),
            reminders: held
                .reminders
                .into_iter()
                .map(|r| AssignedReminder {
                    id: r.id,
                    title: r.title,
                    status: r.status,
                })
                .collect(),
            notifications: held
                .notifications
                .into_iter()
                .map(|(row, attempts)| {
                    let mut response = NotificationResponse::from(row);
                    response.attempts =
                        Some(attempts.into_iter().map(AttemptResponse::from).collect());
                    response
                })
                .collect(),
            payments: held
                .payments
                .into_iter()
                .map(|(row, clicks)| {
                    let mut response = PaymentResponse::from(payments::with_link(state, row));
                    response.clicks = Some(clicks.into_iter().map(ClickResponse::from).collect());
                    response
                })
                .collect(),
            documents: held.documents.into_iter().map(Into::into).collect(),
            document_links: held
                .document_links
                .into_iter()
                .map(|(link, opens)| SentDocumentLink {
                    document_id: link.document_id,
                    link: LinkWithOpens { link, opens }.into(),
                })
                .collect(),
            exported_at: state.clock.now(),
        }
    }
}
