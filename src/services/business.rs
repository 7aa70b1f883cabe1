//! The caller's business and its settings.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use serde::Deserialize;

use super::audit::{self, Target};
use super::auth::required_text;
use super::providers::{self, ProvidersPatch};
use super::reminders::validate_whatsapp_template;
use super::usage::UsageCaps;
use super::{ServiceError, ServiceResult, double_option};
use crate::domain::quiet_hours::{QuietHours, QuietHoursSpec};
use crate::domain::{
    Actor, ChannelSet, CountryCode, Mailbox, TimeZone, Validation, WhatsappTemplate,
};
use crate::entities::business;
use crate::repositories::businesses;
use crate::state::AppState;

/// `PATCH /business`: absent fields stay as they are; `null` clears an optional one.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateBusinessRequest {
    /// The firm's name, 1 to 200 characters; shown in messages and as the e-mail sender name.
    pub name: Option<String>,
    /// IANA time zone, e.g. `Europe/London`, for schedules and clients without one of their
    /// own. Existing reminders keep the zone they were written in.
    pub timezone: Option<String>,
    /// Channels a new reminder sends on when it names none: `email`, `sms`, `whatsapp`, in
    /// order, at least one, no repeats.
    pub default_channels: Option<Vec<String>>,
    /// The firm's e-mail address, bare (`desk@firm.example`) or as an RFC 5322 mailbox with
    /// the name to show (`Firm Name <desk@firm.example>`): the sender when the SMTP account
    /// names none (without a name, the firm's name is shown), and the Reply-To of its e-mails;
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email_from: Option<Option<String>>,
    /// ISO 3166 alpha-2 code (e.g. `GB`) for reading phone numbers written without a country
    /// code; `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub default_country: Option<Option<String>>,
    /// Daily window, in each client's time zone, in which SMS and WhatsApp wait until it ends,
    /// e.g. `{"start": "21:00", "end": "08:00"}` (it may cross midnight); `null` for none.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<QuietHoursSpec>)]
    pub quiet_hours: Option<Option<QuietHoursSpec>>,
    /// WhatsApp template for reminders that name none (Meta accepts only approved templates
    /// outside the 24-hour window); `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<WhatsappTemplate>)]
    pub whatsapp_template: Option<Option<WhatsappTemplate>>,
    /// Monthly caps per channel (`{"sms": 1000}`, each 0 or more; a channel left out is
    /// unlimited); beyond them sends wait for next month. `null` removes every cap.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<UsageCaps>)]
    pub usage_caps: Option<Option<UsageCaps>>,
    /// The business's own provider accounts: settings given are merged over those stored, a
    /// provider set to `null` is removed, and secrets are write-only.
    pub providers: Option<ProvidersPatch>,
}

/// The actor's business.
pub async fn get(state: &AppState, actor: &Actor) -> ServiceResult<business::Model> {
    businesses::find(&state.db, actor.business)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Changes settings; owners and admins only.
#[tracing::instrument(skip_all, fields(business_id = actor.business.0))]
pub async fn update(
    state: &AppState,
    actor: &Actor,
    request: UpdateBusinessRequest,
) -> ServiceResult<business::Model> {
    if !actor.role.can_manage() {
        return Err(ServiceError::Forbidden(
            "Only owners and admins change business settings.".into(),
        ));
    }
    let current = get(state, actor).await?;
    let mut validation = Validation::new();
    let mut row = current.clone().into_active_model();
    if let Some(name) = &request.name
        && let Some(name) = validation.check("name", required_text(name, 200))
    {
        row.name = Set(name);
    }
    if let Some(zone) = &request.timezone
        && let Some(zone) = validation.check("timezone", TimeZone::parse(zone))
    {
        row.timezone = Set(zone.name().to_owned());
    }
    if let Some(channels) = &request.default_channels {
        let parsed = ChannelSet::parse(channels).and_then(|set| {
            if set.is_empty() {
                Err("must name at least one channel".to_owned())
            } else {
                Ok(set)
            }
        });
        if let Some(set) = validation.check("default_channels", parsed) {
            row.default_channels = Set(set);
        }
    }
    match &request.email_from {
        Some(Some(address)) => {
            if let Some(mailbox) = validation.check("email_from", Mailbox::parse(address)) {
                row.email_from = Set(Some(mailbox.to_string()));
            }
        }
        Some(None) => row.email_from = Set(None),
        None => {}
    }
    match &request.default_country {
        Some(Some(code)) => {
            if let Some(code) = validation.check("default_country", CountryCode::parse(code)) {
                row.default_country = Set(Some(code.to_string()));
            }
        }
        Some(None) => row.default_country = Set(None),
        None => {}
    }
    match &request.quiet_hours {
        Some(Some(spec)) => match QuietHours::parse(spec) {
            Ok(hours) => {
                let spec = hours.to_spec();
                row.quiet_hours_start = Set(Some(spec.start));
                row.quiet_hours_end = Set(Some(spec.end));
            }
            Err((field, message)) => validation.push(&format!("quiet_hours.{field}"), message),
        },
        Some(None) => {
            row.quiet_hours_start = Set(None);
            row.quiet_hours_end = Set(None);
        }
        None => {}
    }
    match &request.whatsapp_template {
        Some(Some(spec)) => {
            validate_whatsapp_template(&mut validation, spec);
            row.whatsapp_template = Set(Some(spec.clone()));
        }
        Some(None) => row.whatsapp_template = Set(None),
        None => {}
    }
    match &request.usage_caps {
        Some(Some(caps)) => {
            for (name, cap) in [
                ("email", caps.email),
                ("sms", caps.sms),
                ("whatsapp", caps.whatsapp),
            ] {
                if cap.is_some_and(|cap| cap < 0) {
                    validation.push(&format!("usage_caps.{name}"), "must be 0 or more");
                }
            }
            row.usage_caps = Set((!caps.is_empty()).then(|| caps.clone()));
        }
        Some(None) => row.usage_caps = Set(None),
        None => {}
    }
    let providers = match &request.providers {
        Some(patch) => Some(
            providers::plan(
                &state.db,
                &state.secrets,
                actor.business,
                patch,
                state.settings.allow_private_provider_hosts,
                &mut validation,
            )
            .await
            .map_err(ServiceError::Internal)?,
        ),
        None => None,
    };
    validation.finish().map_err(ServiceError::Validation)?;
    let txn = crate::db::begin_write(&state.db).await?;
    if let Some(planned) = providers {
        audit::record(
            &txn,
            actor,
            "providers.changed",
            Target::business(actor.business.0),
            planned.summary(),
        )
        .await?;
        providers::write(&txn, actor.business, planned).await?;
        tracing::info!(business_id = actor.business.0, "provider accounts changed");
    }
    let saved = if row.is_changed() {
        row.updated_at = Set(Utc::now().into());
        businesses::update(&txn, row).await?
    } else {
        current
    };
    txn.commit().await?;
    Ok(saved)
}
