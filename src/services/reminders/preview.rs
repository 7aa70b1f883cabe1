//! Previews: what a reminder — a draft or a saved one — would send one of the business's
//! clients, and when, without saving or sending anything. The same rules as writing and
//! sending it: a draft is checked as `create` checks it, and the messages are rendered by
//! `services::messages`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{Set, TryIntoModel};

use super::super::messages::{self, PreviewLinks, PreviewMessage};
use super::super::unsubscribe::Links;
use super::super::{ServiceError, ServiceResult};
use super::lifecycle::{CheckedDraft, check_new};
use super::{CreateReminderRequest, business_of, stored_schedule};
use crate::domain::schedule::Schedule;
use crate::domain::{Actor, ClientId};
use crate::entities::{business, client, reminder};
use crate::repositories::{clients, document_links, reminders};
use crate::state::AppState;

/// How many next dates a preview lists.
pub const PREVIEW_DATES: usize = 5;

/// What a reminder would send a client.
#[derive(Debug)]
pub struct Preview {
    /// The client it is shown for.
    pub client: client::Model,
    /// The zone the client's dates are shown in: theirs, else the schedule's.
    pub zone: Tz,
    /// The next occurrences from now (at most [`PREVIEW_DATES`]).
    pub dates: Vec<DateTime<Utc>>,
    /// The message on each of the reminder's channels, for the first of those dates (or the
    /// due date of a before-due schedule).
    pub messages: Vec<PreviewMessage>,
    /// The links the messages carry.
    pub links: PreviewLinks,
}

/// Previews a reminder not yet written, for one of the business's clients; a draft that
/// `create` would refuse is refused with the same errors, and a client not of the business is
/// not found.
pub async fn draft(
    state: &AppState,
    actor: &Actor,
    request: &CreateReminderRequest,
    client_id: ClientId,
) -> ServiceResult<Preview> {
    let business = business_of(state, actor).await?;
    let CheckedDraft {
        mut row,
        schedule,
        document_ids,
        ..
    } = check_new(state, actor, &business, request).await?;
    row.id = Set(0);
    if row.sender_identity_ids.is_not_set() {
        row.sender_identity_ids = Set(None);
    }
    let reminder = row
        .try_into_model()
        .map_err(|error| ServiceError::Internal(error.into()))?;
    render(
        state,
        actor,
        &business,
        &reminder,
        &schedule,
        &document_ids,
        client_id,
    )
    .await
}

/// Previews a saved reminder for one of the business's clients (assigned to it or not); a
/// reminder or client not of the business is not found.
pub async fn saved(
    state: &AppState,
    actor: &Actor,
    id: i64,
    client_id: ClientId,
) -> ServiceResult<Preview> {
    let business = business_of(state, actor).await?;
    let reminder = reminders::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let schedule = stored_schedule(&reminder)
        .ok_or_else(|| ServiceError::Conflict("The reminder's schedule no longer reads.".into()))?;
    let document_ids = document_links::shared_of_many(&state.db, &[reminder.id])
        .await?
        .remove(&reminder.id)
        .unwrap_or_default();
    render(
        state,
        actor,
        &business,
        &reminder,
        &schedule,
        &document_ids,
        client_id,
    )
    .await
}

async fn render(
    state: &AppState,
    actor: &Actor,
    business: &business::Model,
    reminder: &reminder::Model,
    schedule: &Schedule,
    document_ids: &[i64],
    client_id: ClientId,
) -> ServiceResult<Preview> {
    let client = clients::find(&state.db, actor.business, client_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let carried = document_links::documents(&state.db, document_ids).await?;
    let names: Vec<String> = document_ids
        .iter()
        .filter_map(|id| carried.get(id))
        .filter(|document| document.business_id == actor.business.0)
        .map(|document| document.name.clone())
        .collect();
    let now = state.clock.now();
    let dates = schedule.occurrences(now, None, PREVIEW_DATES);
    let due = schedule
        .due_at()
        .or_else(|| dates.first().copied())
        .unwrap_or(now);
    let zone = client
        .timezone
        .as_deref()
        .and_then(|name| name.parse().ok())
        .unwrap_or_else(|| schedule.zone());
    let (messages, links) =
        messages::preview(business, reminder, &client, due, &names, &Links::of(state));
    Ok(Preview {
        client,
        zone,
        dates,
        messages,
        links,
    })
}
