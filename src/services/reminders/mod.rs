//! Reminders: writing them (templates and schedules checked up front), assigning clients,
//! pausing, resuming, cancelling, previewing occurrences and sending on demand. The request
//! bodies are in `requests`, their checks in `validate`, the life of a reminder in `lifecycle`
//! and sends on demand in `send`.

mod lifecycle;
pub mod preview;
mod requests;
mod send;
mod validate;

pub use lifecycle::{assign, cancel, create, occurrences, pause, resume, unassign, update};
pub use requests::{
    AssignClientsRequest, ClientDocument, CreateReminderRequest, PaymentSpec, UpdateReminderRequest,
};
pub use send::send_now;
pub use validate::validate_whatsapp_template;

use super::{ServiceError, ServiceResult};
use crate::domain::schedule::Schedule;
use crate::domain::{Actor, ReminderStatus};
use crate::entities::{business, reminder};
pub use crate::repositories::reminders::{ReminderSort, ReminderSortKey};
use crate::repositories::{Paged, businesses, document_links, reminders};
use crate::state::AppState;

/// A reminder with the ids of its clients and of the documents it carries to all of them.
#[derive(Debug, Clone)]
pub struct ReminderWithClients {
    /// The row.
    pub reminder: reminder::Model,
    /// Assigned clients.
    pub client_ids: Vec<i64>,
    /// Documents for every client.
    pub document_ids: Vec<i64>,
}

/// A reminder as lists show it: the row and how many clients it has.
#[derive(Debug, Clone)]
pub struct ReminderSummary {
    pub reminder: reminder::Model,
    pub clients: i64,
}

/// The business's reminders, newest first, with how many clients each has (lighter than
/// [`list`], which carries every client's id).
pub async fn summaries(
    state: &AppState,
    actor: &Actor,
    status: Option<ReminderStatus>,
    limit: u64,
    offset: u64,
) -> ServiceResult<Paged<ReminderSummary>> {
    let page = reminders::list(
        &state.db,
        actor.business,
        status,
        ReminderSort::default(),
        limit,
        offset,
    )
    .await?;
    let ids: Vec<i64> = page.items.iter().map(|r| r.id).collect();
    let counts = reminders::client_counts(&state.db, &ids).await?;
    Ok(Paged {
        items: page
            .items
            .into_iter()
            .map(|reminder| ReminderSummary {
                clients: counts.get(&reminder.id).copied().unwrap_or_default(),
                reminder,
            })
            .collect(),
        total: page.total,
    })
}

/// The stored schedule, validated again (its zone may have been renamed since).
pub fn stored_schedule(row: &reminder::Model) -> Option<Schedule> {
    Schedule::parse(
        &row.schedule,
        row.timezone.parse().unwrap_or(chrono_tz::UTC),
    )
    .ok()
}

pub(super) async fn business_of(state: &AppState, actor: &Actor) -> ServiceResult<business::Model> {
    businesses::find(&state.db, actor.business)
        .await?
        .ok_or(ServiceError::NotFound)
}

pub(super) async fn with_clients(
    state: &AppState,
    reminder: reminder::Model,
) -> ServiceResult<ReminderWithClients> {
    let client_ids = reminders::client_ids(&state.db, reminder.id).await?;
    let document_ids = document_links::shared_of_many(&state.db, &[reminder.id])
        .await?
        .remove(&reminder.id)
        .unwrap_or_default();
    Ok(ReminderWithClients {
        reminder,
        client_ids,
        document_ids,
    })
}

/// The titles of the actor's reminders among `ids`, by id (others' and unknown ids are left
/// out).
pub async fn titles(
    state: &AppState,
    actor: &Actor,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, String>> {
    Ok(reminders::titles(&state.db, actor.business, ids).await?)
}

/// One reminder.
pub async fn get(state: &AppState, actor: &Actor, id: i64) -> ServiceResult<ReminderWithClients> {
    let reminder = reminders::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    with_clients(state, reminder).await
}

/// Reminders of the business.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    status: Option<ReminderStatus>,
    sort: ReminderSort,
    limit: u64,
    offset: u64,
) -> ServiceResult<Paged<ReminderWithClients>> {
    let page = reminders::list(&state.db, actor.business, status, sort, limit, offset).await?;
    let ids: Vec<i64> = page.items.iter().map(|r| r.id).collect();
    let mut assigned = reminders::client_ids_of_many(&state.db, &ids).await?;
    let mut carried = document_links::shared_of_many(&state.db, &ids).await?;
    let items = page
        .items
        .into_iter()
        .map(|reminder| ReminderWithClients {
            client_ids: assigned.remove(&reminder.id).unwrap_or_default(),
            document_ids: carried.remove(&reminder.id).unwrap_or_default(),
            reminder,
        })
        .collect();
    Ok(Paged {
        items,
        total: page.total,
    })
}
