//! Reminders: writing them (templates and schedules checked up front), assigning clients,
//! pausing, resuming, cancelling, previewing occurrences and sending on demand.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use serde::{Deserialize, Serialize};

use super::audit::{self, Target};
use super::auth::required_text;
use super::outbox::{self, MessageContext};
use super::sender_identities;
use super::{ServiceError, ServiceResult, double_option, is_unique_violation};
use crate::config::Environment;
use crate::domain::schedule::{Schedule, ScheduleSpec};
use crate::domain::{Actor, ChannelSet, ClientId, Money, Validation, template};
use crate::entities::{business, notification, reminder, reminder_occurrence};
use crate::repositories::{
    Paged, businesses, document_links, idempotency, notifications, payments, provider_credentials,
    reminders,
};
use crate::state::AppState;

/// Kinds of reminder.
pub const KINDS: [&str; 5] = ["deadline", "payment", "document", "appointment", "custom"];

/// An approved WhatsApp template and its body parameters (each a template itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WhatsappTemplateSpec {
    /// The template's name as approved by Meta.
    pub name: String,
    /// Its language code, e.g. `en_GB`.
    pub language: String,
    /// Body parameters in order, e.g. `["{{ client.name }}", "{{ due_date }}"]`.
    #[serde(default)]
    pub parameters: Vec<String>,
}

/// The amount a payment reminder asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PaymentSpec {
    /// Minor units (pence, cents).
    pub amount: i64,
    /// ISO 4217 code, e.g. `gbp`.
    pub currency: String,
    /// Shown on the payment page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `POST /reminders`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CreateReminderRequest {
    /// What it is about.
    pub title: String,
    /// `deadline`, `payment`, `document`, `appointment` or `custom` (default).
    #[serde(default)]
    pub kind: Option<String>,
    /// Channels; default the business's default channels.
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    /// E-mail subject template; default the title.
    #[serde(default)]
    pub subject: Option<String>,
    /// Message template (minijinja): `client.*`, `business.*`, `reminder.*`, `due_date`,
    /// `amount`, `payment_link`, `document_link`, `documents` (each with `name` and `link`).
    pub body: String,
    /// WhatsApp template message to send instead of free text.
    #[serde(default)]
    pub whatsapp_template: Option<WhatsappTemplateSpec>,
    /// When.
    pub schedule: ScheduleSpec,
    /// The amount to ask for.
    #[serde(default)]
    pub payment: Option<PaymentSpec>,
    /// Verified sender identities to send from, at most one per channel; channels without one
    /// use the business's default identity, else its account's sender.
    #[serde(default)]
    pub sender_identity_ids: Option<Vec<i64>>,
    /// Documents it carries to every client (`{{ documents }}`, `{{ document_link }}`); a
    /// client's own document is given with `POST /reminders/{id}/clients`.
    #[serde(default)]
    pub document_ids: Option<Vec<i64>>,
    /// E-mail attaches the documents too (within `DOCUMENT_MAX_BYTES` in all).
    #[serde(default)]
    pub attach_documents: Option<bool>,
    /// Clients to remind.
    #[serde(default)]
    pub client_ids: Vec<i64>,
}

/// `PATCH /reminders/{id}`: absent fields stay as they are, `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateReminderRequest {
    /// Title.
    pub title: Option<String>,
    /// Kind.
    pub kind: Option<String>,
    /// Channels.
    pub channels: Option<Vec<String>>,
    /// Subject template.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub subject: Option<Option<String>>,
    /// Body template.
    pub body: Option<String>,
    /// WhatsApp template.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<WhatsappTemplateSpec>)]
    pub whatsapp_template: Option<Option<WhatsappTemplateSpec>>,
    /// A new schedule; the next occurrence is computed from now.
    pub schedule: Option<ScheduleSpec>,
    /// Payment.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<PaymentSpec>)]
    pub payment: Option<Option<PaymentSpec>>,
    /// Sender identities; `[]` goes back to the defaults.
    pub sender_identity_ids: Option<Vec<i64>>,
    /// Documents for every client; `[]` removes them.
    pub document_ids: Option<Vec<i64>>,
    /// E-mail attaches the documents too.
    pub attach_documents: Option<bool>,
}

/// `POST /reminders/{id}/clients`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AssignClientsRequest {
    /// Clients to add.
    #[serde(default)]
    pub client_ids: Vec<i64>,
    /// Clients to add each with their own document (their invoice), or `null` to take it away.
    #[serde(default)]
    pub clients: Vec<ClientDocument>,
}

/// A client on a reminder with their own document.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ClientDocument {
    pub client_id: i64,
    /// A document of theirs (or of nobody's); `null` for none.
    pub document_id: Option<i64>,
}

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

/// Reads the stored schedule.
pub fn stored_schedule(row: &reminder::Model) -> Option<Schedule> {
    let spec: ScheduleSpec = serde_json::from_str(&row.schedule).ok()?;
    Schedule::parse(&spec, row.timezone.parse().unwrap_or(chrono_tz::UTC)).ok()
}

fn validate_templates(
    validation: &mut Validation,
    subject: Option<&str>,
    body: Option<&str>,
    whatsapp: Option<&WhatsappTemplateSpec>,
) {
    let sample = MessageContext::sample();
    if let Some(subject) = subject {
        validation.check("subject", template::check(subject, &sample));
    }
    if let Some(body) = body {
        if body.trim().is_empty() {
            validation.push("body", "must not be empty");
        } else {
            validation.check("body", template::check(body, &sample));
        }
    }
    if let Some(whatsapp) = whatsapp {
        validate_whatsapp_template(validation, whatsapp);
    }
}

/// Checks a WhatsApp template: a name, a language and parameters that render.
pub fn validate_whatsapp_template(validation: &mut Validation, whatsapp: &WhatsappTemplateSpec) {
    let sample = MessageContext::sample();
    validation.check("whatsapp_template.name", required_text(&whatsapp.name, 512));
    validation.check(
        "whatsapp_template.language",
        required_text(&whatsapp.language, 20),
    );
    for (index, parameter) in whatsapp.parameters.iter().enumerate() {
        validation.check(
            &format!("whatsapp_template.parameters[{index}]"),
            template::check(parameter, &sample),
        );
    }
}

/// Applies a patch to a row, recording every field error. Returns the parsed schedule when the
/// patch changes it.
fn apply(
    validation: &mut Validation,
    row: &mut reminder::ActiveModel,
    patch: &UpdateReminderRequest,
    business: &business::Model,
    min_gap: Duration,
) -> Option<Schedule> {
    if let Some(title) = &patch.title
        && let Some(title) = validation.check("title", required_text(title, 200))
    {
        row.title = Set(title);
    }
    if let Some(kind) = &patch.kind {
        if KINDS.contains(&kind.as_str()) {
            row.kind = Set(kind.clone());
        } else {
            validation.push(
                "kind",
                format!("{kind:?} is not one of {}", KINDS.join(", ")),
            );
        }
    }
    if let Some(channels) = &patch.channels {
        match ChannelSet::parse(channels) {
            Ok(set) if set.is_empty() => {
                validation.push("channels", "must name at least one channel")
            }
            Ok(set) => row.channels = Set(set.to_stored()),
            Err(message) => validation.push("channels", message),
        }
    }
    validate_templates(
        validation,
        patch.subject.as_ref().and_then(Option::as_deref),
        patch.body.as_deref(),
        patch.whatsapp_template.as_ref().and_then(Option::as_ref),
    );
    if let Some(subject) = &patch.subject {
        row.subject = Set(subject.clone().filter(|s| !s.trim().is_empty()));
    }
    if let Some(body) = &patch.body {
        row.body = Set(body.clone());
    }
    if let Some(attach) = patch.attach_documents {
        row.attach_documents = Set(attach);
    }
    if let Some(whatsapp) = &patch.whatsapp_template {
        row.whatsapp_template = Set(whatsapp
            .as_ref()
            .and_then(|w| serde_json::to_string(w).ok()));
    }
    match &patch.payment {
        Some(Some(payment)) => match Money::new(payment.amount, &payment.currency) {
            Ok(money) => {
                row.payment_amount = Set(Some(money.amount()));
                row.payment_currency = Set(Some(money.currency().to_owned()));
                row.payment_description =
                    Set(payment.description.clone().filter(|d| !d.trim().is_empty()));
            }
            Err((field, message)) => validation.push(&format!("payment.{field}"), message),
        },
        Some(None) => {
            row.payment_amount = Set(None);
            row.payment_currency = Set(None);
            row.payment_description = Set(None);
        }
        None => {}
    }
    let schedule = patch.schedule.as_ref().and_then(|spec| {
        let zone = business.timezone.parse().unwrap_or(chrono_tz::UTC);
        match Schedule::parse(spec, zone) {
            Ok(schedule) => {
                if let Some(gap) = schedule.shortest_gap().filter(|gap| *gap < min_gap) {
                    validation.push(
                        "schedule",
                        format!(
                            "two occurrences are {} s apart; they must be at least {} s apart",
                            gap.num_seconds(),
                            min_gap.num_seconds()
                        ),
                    );
                    return None;
                }
                Some(schedule)
            }
            Err(errors) => {
                for error in errors {
                    validation.push(&error.field, error.message);
                }
                None
            }
        }
    });
    if let Some(schedule) = &schedule {
        row.schedule = Set(serde_json::to_string(&schedule.to_spec()).unwrap_or_default());
        row.timezone = Set(schedule.zone().name().to_owned());
    }
    schedule
}

/// The next occurrence from now, or a 422 naming the schedule when it has none.
fn first_run(schedule: &Schedule, now: DateTime<Utc>) -> ServiceResult<DateTime<Utc>> {
    schedule.next_after(now).ok_or_else(|| {
        let field = match schedule.to_spec() {
            ScheduleSpec::Once { .. } => "schedule.at",
            ScheduleSpec::Recurring { .. } => "schedule.start",
            ScheduleSpec::BeforeDue { .. } => "schedule.due",
        };
        ServiceError::invalid(
            field,
            "is in the past: the schedule has no future occurrence",
        )
    })
}

async fn check_clients(state: &AppState, actor: &Actor, ids: &[i64]) -> ServiceResult<Vec<i64>> {
    let mut wanted: Vec<i64> = ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let found = reminders::existing_client_ids(&state.db, actor.business, &wanted).await?;
    let missing: Vec<String> = wanted
        .iter()
        .filter(|id| !found.contains(id))
        .map(i64::to_string)
        .collect();
    if !missing.is_empty() {
        return Err(ServiceError::invalid(
            "client_ids",
            format!("no such clients: {}", missing.join(", ")),
        ));
    }
    Ok(wanted)
}

async fn business_of(state: &AppState, actor: &Actor) -> ServiceResult<business::Model> {
    businesses::find(&state.db, actor.business)
        .await?
        .ok_or(ServiceError::NotFound)
}

async fn with_clients(
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

/// In production, each channel of the reminder (and a payment it asks for) needs a provider
/// account, the business's own or the platform's: a reminder that could never be delivered is
/// refused now, not failed later.
async fn check_channels_configured(
    state: &AppState,
    actor: &Actor,
    row: &reminder::ActiveModel,
    validation: &mut Validation,
) -> ServiceResult<()> {
    if state.settings.environment != Environment::Production {
        return Ok(());
    }
    let accounts = provider_credentials::list(&state.db, actor.business).await?;
    // A payment being asked for needs a Stripe account, the business's or the platform's.
    if let sea_orm::ActiveValue::Set(Some(_)) = &row.payment_amount
        && state.settings.providers.stripe_secret_key.is_none()
        && !accounts.iter().any(|row| row.provider == "stripe")
    {
        validation.push(
            "payment",
            "Stripe is not configured: add providers.stripe with PATCH /business",
        );
    }
    // Only channels being set now: an unchanged reminder stays editable.
    let sea_orm::ActiveValue::Set(stored) = &row.channels else {
        return Ok(());
    };
    for channel in ChannelSet::from_stored(stored).iter() {
        if !super::accounts::configured(channel, &accounts, &state.settings) {
            validation.push(
                "channels",
                format!(
                    "{} is not configured: add its provider account with PATCH /business (providers)",
                    channel.as_str()
                ),
            );
        }
    }
    Ok(())
}

/// Checks and sets the sender identities a patch names, against the reminder's channels.
async fn check_senders(
    state: &AppState,
    actor: &Actor,
    row: &mut reminder::ActiveModel,
    patch: &UpdateReminderRequest,
    validation: &mut Validation,
) -> ServiceResult<()> {
    let Some(ids) = &patch.sender_identity_ids else {
        return Ok(());
    };
    let channels = match &row.channels {
        sea_orm::ActiveValue::Set(stored) | sea_orm::ActiveValue::Unchanged(stored) => {
            ChannelSet::from_stored(stored)
        }
        sea_orm::ActiveValue::NotSet => ChannelSet::default(),
    };
    let stored =
        sender_identities::for_reminder(state, actor.business, ids, &channels, validation).await?;
    row.sender_identity_ids = Set(stored);
    Ok(())
}

/// Creates a reminder and assigns its clients.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0))]
pub async fn create(
    state: &AppState,
    actor: &Actor,
    request: CreateReminderRequest,
) -> ServiceResult<ReminderWithClients> {
    let business = business_of(state, actor).await?;
    let now = state.clock.now();
    let mut row = reminder::ActiveModel {
        business_id: Set(actor.business.0),
        kind: Set("custom".into()),
        channels: Set(business.default_channels.clone()),
        subject: Set(None),
        whatsapp_template: Set(None),
        attach_documents: Set(false),
        payment_amount: Set(None),
        payment_currency: Set(None),
        payment_description: Set(None),
        status: Set("active".into()),
        last_run_at: Set(None),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    };
    let patch = UpdateReminderRequest {
        title: Some(request.title),
        kind: request.kind,
        channels: request.channels,
        subject: request.subject.map(Some),
        body: Some(request.body),
        whatsapp_template: request.whatsapp_template.map(Some),
        schedule: Some(request.schedule),
        payment: request.payment.map(Some),
        sender_identity_ids: request.sender_identity_ids,
        document_ids: request.document_ids,
        attach_documents: request.attach_documents,
    };
    let mut validation = Validation::new();
    let min_gap = Duration::seconds(state.settings.scheduler.min_occurrence_interval_seconds);
    let schedule = apply(&mut validation, &mut row, &patch, &business, min_gap);
    check_channels_configured(state, actor, &row, &mut validation).await?;
    check_senders(state, actor, &mut row, &patch, &mut validation).await?;
    let document_ids = match &patch.document_ids {
        Some(ids) => {
            super::documents::check_shared(state, actor.business, ids, &mut validation).await?
        }
        None => Vec::new(),
    };
    validation.finish().map_err(ServiceError::Validation)?;
    let schedule = schedule.ok_or_else(|| ServiceError::invalid("schedule", "is required"))?;
    row.next_run_at = Set(Some(first_run(&schedule, now)?.into()));
    let client_ids = check_clients(state, actor, &request.client_ids).await?;

    let txn = crate::db::begin_write(&state.db).await?;
    let saved = reminders::insert(&txn, row).await?;
    reminders::assign(&txn, actor.business, saved.id, &client_ids, now).await?;
    payments::ensure(&txn, &saved, &client_ids, now).await?;
    document_links::set_shared(&txn, actor.business, saved.id, &document_ids, now).await?;
    txn.commit().await?;
    state.wake_planner();
    tracing::info!(
        reminder_id = saved.id,
        clients = client_ids.len(),
        "reminder created"
    );
    Ok(ReminderWithClients {
        reminder: saved,
        client_ids,
        document_ids,
    })
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
    status: Option<&str>,
    limit: u64,
    offset: u64,
) -> ServiceResult<Paged<ReminderWithClients>> {
    let page = reminders::list(&state.db, actor.business, status, limit, offset).await?;
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

/// Changes a reminder; a new schedule restarts from now, and revives a completed reminder.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, reminder_id = id))]
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    patch: UpdateReminderRequest,
) -> ServiceResult<ReminderWithClients> {
    let business = business_of(state, actor).await?;
    let current = reminders::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if current.status == "cancelled" {
        return Err(ServiceError::Conflict(
            "A cancelled reminder cannot be changed.".into(),
        ));
    }
    let now = state.clock.now();
    let mut row = current.clone().into_active_model();
    let mut validation = Validation::new();
    let min_gap = Duration::seconds(state.settings.scheduler.min_occurrence_interval_seconds);
    let schedule = apply(&mut validation, &mut row, &patch, &business, min_gap);
    check_channels_configured(state, actor, &row, &mut validation).await?;
    check_senders(state, actor, &mut row, &patch, &mut validation).await?;
    let document_ids = match &patch.document_ids {
        Some(ids) => {
            Some(super::documents::check_shared(state, actor.business, ids, &mut validation).await?)
        }
        None => None,
    };
    validation.finish().map_err(ServiceError::Validation)?;
    if let Some(schedule) = schedule {
        row.next_run_at = Set(Some(first_run(&schedule, now)?.into()));
        if current.status == "completed" {
            row.status = Set("active".into());
        }
    }
    if !row.is_changed() && document_ids.is_none() {
        return with_clients(state, current).await;
    }
    row.updated_at = Set(now.into());
    let payment_changed = patch.payment.is_some();
    let txn = crate::db::begin_write(&state.db).await?;
    if let Some(ids) = &document_ids {
        document_links::set_shared(&txn, actor.business, id, ids, now).await?;
    }
    let saved = reminders::update(&txn, row).await?;
    if payment_changed {
        // A new amount applies to what is still owed; newly asked-for payments are created.
        payments::reprice(&txn, &saved, now).await?;
        let assigned = reminders::client_ids_of_many(&txn, &[saved.id]).await?;
        let client_ids = assigned.get(&saved.id).cloned().unwrap_or_default();
        payments::ensure(&txn, &saved, &client_ids, now).await?;
    }
    txn.commit().await?;
    state.wake_planner();
    with_clients(state, saved).await
}

async fn set_status(
    state: &AppState,
    actor: &Actor,
    id: i64,
    allowed_from: &[&str],
    to: &str,
) -> ServiceResult<ReminderWithClients> {
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let current = reminders::find(&txn, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if current.status == to {
        txn.commit().await?;
        return with_clients(state, current).await;
    }
    if !allowed_from.contains(&current.status.as_str()) {
        return Err(ServiceError::Conflict(format!(
            "A {} reminder cannot become {to}.",
            current.status
        )));
    }
    let mut row = current.clone().into_active_model();
    row.status = Set(to.to_owned());
    row.updated_at = Set(now.into());
    match to {
        "active" => {
            // Occurrences that passed while paused are not sent.
            let next = stored_schedule(&current).and_then(|s| s.next_after(now));
            row.next_run_at = Set(next.map(Into::into));
            if next.is_none() {
                row.status = Set("completed".into());
            }
        }
        "paused" => {
            notifications::cancel_pending(&txn, actor.business, id, "paused", now).await?;
        }
        _ => {
            row.next_run_at = Set(None);
            notifications::cancel_pending(&txn, actor.business, id, "reminder_cancelled", now)
                .await?;
        }
    }
    let saved = reminders::update(&txn, row).await?;
    txn.commit().await?;
    state.wake_planner();
    tracing::info!(reminder_id = id, status = %saved.status, "reminder status changed");
    with_clients(state, saved).await
}

/// Stops future occurrences; queued notifications are cancelled.
pub async fn pause(state: &AppState, actor: &Actor, id: i64) -> ServiceResult<ReminderWithClients> {
    set_status(state, actor, id, &["active"], "paused").await
}

/// Restarts from the next occurrence after now.
pub async fn resume(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> ServiceResult<ReminderWithClients> {
    set_status(state, actor, id, &["paused"], "active").await
}

/// Cancels for good, keeping the history.
pub async fn cancel(state: &AppState, actor: &Actor, id: i64) -> ServiceResult<()> {
    set_status(
        state,
        actor,
        id,
        &["active", "paused", "completed"],
        "cancelled",
    )
    .await?;
    audit::record(
        &state.db,
        actor,
        "reminder.cancelled",
        Target::reminder(id),
        serde_json::json!({}),
    )
    .await
}

/// Adds clients to a reminder.
pub async fn assign(
    state: &AppState,
    actor: &Actor,
    id: i64,
    request: AssignClientsRequest,
) -> ServiceResult<ReminderWithClients> {
    let reminder = reminders::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if reminder.status == "cancelled" {
        return Err(ServiceError::Conflict(
            "A cancelled reminder cannot be changed.".into(),
        ));
    }
    let mut wanted = request.client_ids.clone();
    wanted.extend(request.clients.iter().map(|c| c.client_id));
    if wanted.is_empty() {
        return Err(ServiceError::invalid(
            "client_ids",
            "must name at least one client",
        ));
    }
    let ids = check_clients(state, actor, &wanted).await?;
    super::documents::check_own(state, actor.business, &request.clients).await?;
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    reminders::assign(&txn, actor.business, id, &ids, now).await?;
    payments::ensure(&txn, &reminder, &ids, now).await?;
    for given in &request.clients {
        document_links::set_own(&txn, id, given.client_id, given.document_id).await?;
    }
    txn.commit().await?;
    with_clients(state, reminder).await
}

/// Removes a client from a reminder.
pub async fn unassign(
    state: &AppState,
    actor: &Actor,
    id: i64,
    client: ClientId,
) -> ServiceResult<()> {
    reminders::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if reminders::unassign(&state.db, actor.business, id, client).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// The next `limit` occurrences (none for a completed or cancelled reminder).
pub async fn occurrences(
    state: &AppState,
    actor: &Actor,
    id: i64,
    limit: usize,
) -> ServiceResult<(String, Vec<DateTime<chrono_tz::Tz>>)> {
    let reminder = reminders::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let schedule = stored_schedule(&reminder)
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("stored schedule unreadable")))?;
    let zone = schedule.zone();
    let items = if matches!(reminder.status.as_str(), "completed" | "cancelled") {
        Vec::new()
    } else {
        let after = reminder.next_run_at.map_or(state.clock.now(), |next| {
            *next - chrono::Duration::microseconds(1)
        });
        schedule
            .occurrences(after.max(state.clock.now()), None, limit)
            .into_iter()
            .map(|t| t.with_timezone(&zone))
            .collect()
    };
    Ok((zone.name().to_owned(), items))
}

/// Sends a reminder to its clients now. With an idempotency key, a repeated call answers with
/// the notifications of the first instead of sending again.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, reminder_id = id))]
pub async fn send_now(
    state: &AppState,
    actor: &Actor,
    id: i64,
    idempotency_key: Option<&str>,
) -> ServiceResult<Vec<notification::Model>> {
    let scope = format!("reminder_send:{id}");
    if let Some(key) = idempotency_key {
        if key.is_empty() || key.len() > 191 {
            return Err(ServiceError::invalid(
                "Idempotency-Key",
                "must be 1 to 191 characters",
            ));
        }
        if let Some(ids) = idempotency::find_ids(&state.db, actor.business, &scope, key).await? {
            return Ok(notifications::find_many(&state.db, actor.business, &ids).await?);
        }
    }
    let business = business_of(state, actor).await?;
    let reminder = reminders::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if reminder.status == "cancelled" {
        return Err(ServiceError::Conflict(
            "A cancelled reminder cannot be sent.".into(),
        ));
    }
    let clients = reminders::clients(&state.db, actor.business, id).await?;
    if clients.is_empty() {
        return Err(ServiceError::invalid(
            "client_ids",
            "the reminder has no clients to send to",
        ));
    }
    let now = state.clock.now().trunc_subsecs(6);

    let txn = crate::db::begin_write(&state.db).await?;
    if let Some(key) = idempotency_key
        && let Err(error) = idempotency::insert(&txn, actor.business, &scope, key, now).await
    {
        if is_unique_violation(&error) {
            // The same key is in use by a call that has not finished: answer from it when it
            // has, else say so rather than answer with nothing.
            drop(txn);
            return match idempotency::find_ids(&state.db, actor.business, &scope, key).await? {
                Some(ids) if !ids.is_empty() => {
                    Ok(notifications::find_many(&state.db, actor.business, &ids).await?)
                }
                _ => Err(ServiceError::Conflict(
                    "A request with this Idempotency-Key is still in progress; try again.".into(),
                )),
            };
        }
        return Err(error.into());
    }
    let links = super::unsubscribe::Links::of(state);
    let client_ids: Vec<i64> = clients.iter().map(|c| c.id).collect();
    let payments = payments::ensure(&txn, &reminder, &client_ids, now).await?;
    let own = document_links::own_of_many(&txn, &[reminder.id]).await?;
    let mut carried = super::documents::carried(
        &txn,
        &[(&reminder, clients.as_slice())],
        &own,
        state.settings.document_max_bytes,
        now,
    )
    .await?;
    let rows = outbox::build(
        &business,
        &reminder,
        &clients,
        &payments,
        &carried.remove(&reminder.id).unwrap_or_default(),
        outbox::Occurrence {
            at: now,
            trigger: "manual",
            now,
        },
        &links,
    );
    outbox::record_created(&rows);
    let count = i32::try_from(rows.len()).unwrap_or(i32::MAX);
    notifications::insert_new(&txn, rows).await?;
    reminders::record_occurrences(
        &txn,
        vec![reminder_occurrence::ActiveModel {
            business_id: Set(actor.business.0),
            reminder_id: Set(id),
            occurrence_at: Set(now.into()),
            outcome: Set("manual".into()),
            notification_count: Set(count),
            created_at: Set(now.into()),
            ..Default::default()
        }],
    )
    .await?;
    let created = notifications::of_occurrence(&txn, actor.business, id, now).await?;
    audit::record(
        &txn,
        actor,
        "reminder.sent_manually",
        Target::reminder(id),
        serde_json::json!({"notifications": created.len()}),
    )
    .await?;
    if let Some(key) = idempotency_key {
        let ids: Vec<i64> = created.iter().map(|n| n.id).collect();
        idempotency::store_ids(&txn, actor.business, &scope, key, &ids).await?;
    }
    txn.commit().await?;
    state.wake_dispatcher();
    tracing::info!(notifications = created.len(), "reminder sent on demand");
    Ok(created)
}
