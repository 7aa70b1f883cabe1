//! A client's data as a file: what `GET /api/v1/clients/{id}/export` answers, downloaded from
//! the client's page by owners and admins (data-portability requests), audited as the API's.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::error::{PathId, WebError};
use super::session::Staff;
use crate::api::privacy::ClientExport;
use crate::domain::ClientId;
use crate::services;
use crate::state::AppState;

/// `GET /clients/{id}/export`: everything held about the client, as a JSON attachment
/// (indented, for people to read); owners and admins only, as the service decides.
pub(super) async fn download(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    PathId(id): PathId,
) -> Result<Response, WebError> {
    let held = services::privacy::export(&state, &staff.actor, ClientId(id)).await?;
    let export = ClientExport::from_held(&state, held);
    let body = serde_json::to_vec_pretty(&export)
        .map_err(|error| WebError::Internal(format!("client export: {error}")))?;
    let disposition = format!(
        "attachment; filename=\"client-{id}-{}.json\"",
        export.exported_at.format("%Y-%m-%d")
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition)
            .map_err(|error| WebError::Internal(format!("client export: {error}")))?,
    );
    // Personal data: kept by no cache.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}
