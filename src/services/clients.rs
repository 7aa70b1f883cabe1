//! Clients of a business: validation shared by the API and the CSV import, and CRUD.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, IntoActiveModel, Set};
use serde::Deserialize;

use serde_json::json;

use super::audit::{self, Target};
use super::auth::required_text;
use super::{ServiceError, ServiceResult, double_option, is_unique_violation};
use crate::domain::{
    Actor, BusinessId, ChannelSet, ClientId, CountryCode, Email, PhoneE164, TimeZone, Validation,
};
use crate::entities::client;
use crate::repositories::list_totals::TotalKey;
use crate::repositories::{Paged, businesses, clients};

pub use crate::repositories::clients::{ClientSort, ClientSortKey};
use crate::state::AppState;

/// Per-channel opt-outs; absent ones stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct OptOutsPatch {
    /// `true`: send no more e-mail (as after the unsubscribe link); `false` opts back in.
    pub email: Option<bool>,
    /// `true`: send no more SMS (as after a STOP reply); `false` opts back in.
    pub sms: Option<bool>,
    /// `true`: send no more WhatsApp messages; `false` opts back in.
    pub whatsapp: Option<bool>,
}

/// `POST /clients`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CreateClientRequest {
    /// The client's name, 1 to 200 characters (`{{ client.name }}` in templates).
    pub name: String,
    /// E-mail address, stored lowercased; unique within the business. Omit for none.
    pub email: Option<String>,
    /// Phone number in any common notation, stored in E.164; a number without a country code
    /// is read in the business's `default_country`. Omit for none.
    pub phone: Option<String>,
    /// The client agreed to WhatsApp messages; default `false` (WhatsApp is then skipped).
    #[serde(default)]
    pub whatsapp_opt_in: bool,
    /// Channels the client prefers (`email`, `sms`, `whatsapp`, no repeats): a reminder reaches
    /// them on those of its channels they prefer, or on all of them when they prefer none.
    /// Default `[]`: no preference.
    #[serde(default)]
    pub preferred_channels: Vec<String>,
    /// IANA time zone, e.g. `Europe/Paris`, for their dates and quiet hours; default the
    /// business's.
    pub timezone: Option<String>,
    /// The firm's own reference (e.g. a client number), up to 191 characters; unique within the
    /// business.
    pub external_ref: Option<String>,
    /// Opt-outs already known; default none.
    #[serde(default)]
    pub opted_out: Option<OptOutsPatch>,
}

/// `PATCH /clients/{id}`: absent fields stay as they are, `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateClientRequest {
    /// A new name, 1 to 200 characters.
    pub name: Option<String>,
    /// A new e-mail address (unique within the business); `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// A new phone number in any common notation, stored in E.164; `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// Whether the client agrees to WhatsApp messages.
    pub whatsapp_opt_in: Option<bool>,
    /// The channels the client prefers, replacing the list; `[]` for no preference.
    pub preferred_channels: Option<Vec<String>>,
    /// IANA time zone for their dates and quiet hours; `null` goes back to the business's.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub timezone: Option<Option<String>>,
    /// The firm's own reference, up to 191 characters and unique within the business; `null`
    /// removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub external_ref: Option<Option<String>>,
    /// Opt-outs to change; channels not named stay as they are.
    pub opted_out: Option<OptOutsPatch>,
}

impl From<CreateClientRequest> for UpdateClientRequest {
    fn from(request: CreateClientRequest) -> Self {
        Self {
            name: Some(request.name),
            email: request.email.map(Some),
            phone: request.phone.map(Some),
            whatsapp_opt_in: Some(request.whatsapp_opt_in),
            preferred_channels: Some(request.preferred_channels),
            timezone: request.timezone.map(Some),
            external_ref: request.external_ref.map(Some),
            opted_out: request.opted_out,
        }
    }
}

/// A blank optional text counts as absent.
fn non_blank(value: &str) -> Option<&str> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then_some(trimmed)
}

/// Validates `changes` and writes them into `row`, recording every field error.
pub fn apply_changes(
    validation: &mut Validation,
    row: &mut client::ActiveModel,
    changes: &UpdateClientRequest,
    region: Option<CountryCode>,
) {
    if let Some(name) = &changes.name
        && let Some(name) = validation.check("name", required_text(name, 200))
    {
        row.name = Set(name);
    }
    if let Some(email) = &changes.email {
        match email.as_deref().and_then(non_blank) {
            Some(text) => {
                if let Some(email) = validation.check("email", Email::parse(text)) {
                    row.email = Set(Some(email.as_str().to_owned()));
                }
            }
            None => row.email = Set(None),
        }
    }
    if let Some(phone) = &changes.phone {
        match phone.as_deref().and_then(non_blank) {
            Some(text) => {
                if let Some(phone) = validation.check("phone", PhoneE164::parse(text, region)) {
                    row.phone = Set(Some(phone.as_str().to_owned()));
                }
            }
            None => row.phone = Set(None),
        }
    }
    if let Some(opt_in) = changes.whatsapp_opt_in {
        row.whatsapp_opt_in = Set(opt_in);
    }
    if let Some(channels) = &changes.preferred_channels
        && let Some(set) = validation.check("preferred_channels", ChannelSet::parse(channels))
    {
        row.preferred_channels = Set(set);
    }
    if let Some(zone) = &changes.timezone {
        match zone.as_deref().and_then(non_blank) {
            Some(text) => {
                if let Some(zone) = validation.check("timezone", TimeZone::parse(text)) {
                    row.timezone = Set(Some(zone.name().to_owned()));
                }
            }
            None => row.timezone = Set(None),
        }
    }
    if let Some(reference) = &changes.external_ref {
        match reference.as_deref().and_then(non_blank) {
            Some(text) => {
                if let Some(text) = validation.check("external_ref", required_text(text, 191)) {
                    row.external_ref = Set(Some(text));
                }
            }
            None => row.external_ref = Set(None),
        }
    }
    if let Some(opted_out) = &changes.opted_out {
        if let Some(value) = opted_out.email {
            row.opted_out_email = Set(value);
        }
        if let Some(value) = opted_out.sms {
            row.opted_out_sms = Set(value);
        }
        if let Some(value) = opted_out.whatsapp {
            row.opted_out_whatsapp = Set(value);
        }
    }
}

/// A new client row of the business with every flag off, ready for [`apply_changes`].
pub fn blank_row(business: BusinessId) -> client::ActiveModel {
    let now = Utc::now();
    client::ActiveModel {
        business_id: Set(business.0),
        name: Set(String::new()),
        email: Set(None),
        phone: Set(None),
        whatsapp_opt_in: Set(false),
        preferred_channels: Set(ChannelSet::default()),
        timezone: Set(None),
        external_ref: Set(None),
        opted_out_email: Set(false),
        opted_out_sms: Set(false),
        opted_out_whatsapp: Set(false),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
}

/// The business's region for national phone numbers.
pub async fn phone_region(
    db: &impl ConnectionTrait,
    business: BusinessId,
) -> ServiceResult<Option<CountryCode>> {
    Ok(businesses::find(db, business)
        .await?
        .and_then(|b| b.default_country)
        .and_then(|code| CountryCode::parse(&code).ok()))
}

/// 409 when another client of the business already has this e-mail or reference.
async fn ensure_unique(
    db: &impl ConnectionTrait,
    business: BusinessId,
    row: &client::ActiveModel,
    except: Option<i64>,
) -> ServiceResult<()> {
    let others = |found: Vec<client::Model>| found.into_iter().any(|c| Some(c.id) != except);
    if let Some(Some(email)) = row.email.try_as_ref()
        && others(clients::find_by_emails(db, business, std::slice::from_ref(email)).await?)
    {
        return Err(ServiceError::Conflict(
            "Another client of this business has this e-mail.".into(),
        ));
    }
    if let Some(Some(reference)) = row.external_ref.try_as_ref()
        && others(
            clients::find_by_external_refs(db, business, std::slice::from_ref(reference)).await?,
        )
    {
        return Err(ServiceError::Conflict(
            "Another client of this business has this external_ref.".into(),
        ));
    }
    Ok(())
}

fn conflict_or(error: sea_orm::DbErr) -> ServiceError {
    if is_unique_violation(&error) {
        ServiceError::Conflict(
            "Another client of this business has this e-mail or external_ref.".into(),
        )
    } else {
        error.into()
    }
}

/// Clients of the actor's business; `search` matches name, e-mail or phone. With `after`, the
/// page continues after that client in `sort`'s order (keyset paging).
pub async fn list(
    state: &AppState,
    actor: &Actor,
    search: Option<&str>,
    sort: ClientSort,
    limit: u64,
    offset: u64,
    after: Option<i64>,
) -> ServiceResult<Paged<client::Model>> {
    let anchor = match after {
        Some(id) => Some(
            clients::find(&state.db, actor.business, ClientId(id))
                .await?
                .ok_or_else(|| ServiceError::invalid("after", "is not a client of the business"))?,
        ),
        None => None,
    };
    let filter = search.map(str::trim).unwrap_or_default().to_owned();
    let total = state
        .list_totals
        .get_or_count(
            TotalKey::new(actor.business, "clients", filter),
            clients::count(&state.db, actor.business, search),
        )
        .await?;
    let items = clients::page(
        &state.db,
        actor.business,
        search,
        sort,
        limit,
        offset,
        anchor.as_ref(),
    )
    .await?;
    Ok(Paged { items, total })
}

/// The names of the actor's clients among `ids`, by id (others' and unknown ids are left out).
pub async fn names(
    state: &AppState,
    actor: &Actor,
    ids: &[i64],
) -> ServiceResult<HashMap<i64, String>> {
    Ok(clients::find_many(&state.db, actor.business, ids)
        .await?
        .into_iter()
        .map(|client| (client.id, client.name))
        .collect())
}

/// One client of the actor's business.
pub async fn get(state: &AppState, actor: &Actor, id: ClientId) -> ServiceResult<client::Model> {
    clients::find(&state.db, actor.business, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// The business's clients among `ids`, by name (ids of other businesses' clients find
/// nothing).
pub async fn many(
    state: &AppState,
    actor: &Actor,
    ids: &[i64],
) -> ServiceResult<Vec<client::Model>> {
    let mut found = clients::find_many(&state.db, actor.business, ids).await?;
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// The statuses of the reminders a client of the business is on, one per reminder.
pub async fn reminder_statuses(
    state: &AppState,
    actor: &Actor,
    id: ClientId,
) -> ServiceResult<Vec<crate::domain::ReminderStatus>> {
    Ok(crate::repositories::reminders::statuses_of_client(&state.db, actor.business, id).await?)
}

/// Adds a client.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    request: CreateClientRequest,
) -> ServiceResult<client::Model> {
    create_from(state, actor, request.into()).await
}

/// Adds a client with the fields `request` sets (a name among them); the others take their
/// defaults.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0))]
pub async fn create_from(
    state: &AppState,
    actor: &Actor,
    request: UpdateClientRequest,
) -> ServiceResult<client::Model> {
    let region = phone_region(&state.db, actor.business).await?;
    let mut row = blank_row(actor.business);
    let mut validation = Validation::new();
    if request.name.is_none() {
        validation.push("name", "is required");
    }
    apply_changes(&mut validation, &mut row, &request, region);
    validation.finish().map_err(ServiceError::Validation)?;
    ensure_unique(&state.db, actor.business, &row, None).await?;
    let created = clients::insert(&state.db, row).await.map_err(conflict_or)?;
    state.list_totals.forget_all();
    Ok(created)
}

/// Changes a client.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, client_id = id.0))]
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: ClientId,
    request: UpdateClientRequest,
) -> ServiceResult<client::Model> {
    let current = get(state, actor, id).await?;
    let region = phone_region(&state.db, actor.business).await?;
    let mut row = current.clone().into_active_model();
    let mut validation = Validation::new();
    apply_changes(&mut validation, &mut row, &request, region);
    validation.finish().map_err(ServiceError::Validation)?;
    if !row.is_changed() {
        return Ok(current);
    }
    ensure_unique(&state.db, actor.business, &row, Some(current.id)).await?;
    row.updated_at = Set(Utc::now().into());
    let updated = clients::update(&state.db, row).await.map_err(conflict_or)?;
    // A search by the old name or address no longer finds the client.
    state.list_totals.forget_all();
    Ok(updated)
}

/// Deletes a client.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0, client_id = id.0))]
pub async fn delete(state: &AppState, actor: &Actor, id: ClientId) -> ServiceResult<()> {
    let txn = crate::db::begin_write(&state.db).await?;
    // Their own documents go with them; objects in a bucket are removed once this commits.
    let documents = crate::repositories::privacy::erase_documents(&txn, actor.business, id).await?;
    if !clients::delete(&txn, actor.business, id).await? {
        return Err(ServiceError::NotFound);
    }
    // Their messages went with them, leaving no change for the dashboard's counts to find.
    crate::repositories::message_hours::forget(&txn, actor.business).await?;
    audit::record(
        &txn,
        actor,
        "client.deleted",
        Target::client(id.0),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    state.list_totals.forget_all();
    for document in &documents {
        state.documents.remove_object(document).await;
    }
    Ok(())
}
