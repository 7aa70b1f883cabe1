//! Checking what a reminder is written with: every field error collected in one pass (title,
//! kind, channels, templates, payment, schedule), then what needs the database (clients, sender
//! identities, provider accounts in production).

use chrono::{DateTime, Duration, Utc};
use sea_orm::Set;

use super::super::auth::required_text;
use super::super::messages::MessageContext;
use super::super::sender_identities;
use super::super::{ServiceError, ServiceResult};
use super::UpdateReminderRequest;
use crate::config::Environment;
use crate::domain::schedule::{Schedule, ScheduleSpec};
use crate::domain::{
    Actor, ChannelSet, Money, Provider, ReminderKind, Validation, WhatsappTemplate, template,
};
use crate::entities::{business, reminder};
use crate::repositories::{provider_credentials, reminders};
use crate::state::AppState;

pub(super) fn validate_templates(
    validation: &mut Validation,
    subject: Option<&str>,
    body: Option<&str>,
    whatsapp: Option<&WhatsappTemplate>,
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
pub fn validate_whatsapp_template(validation: &mut Validation, whatsapp: &WhatsappTemplate) {
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
pub(super) fn apply(
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
    if let Some(kind) = &patch.kind
        && let Some(kind) = validation.check("kind", kind.parse::<ReminderKind>())
    {
        row.kind = Set(kind);
    }
    if let Some(channels) = &patch.channels {
        match ChannelSet::parse(channels) {
            Ok(set) if set.is_empty() => {
                validation.push("channels", "must name at least one channel")
            }
            Ok(set) => row.channels = Set(set),
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
        row.whatsapp_template = Set(whatsapp.clone());
    }
    match &patch.payment {
        Some(Some(payment)) => match Money::new(payment.amount, &payment.currency) {
            Ok(money) => {
                row.payment_amount = Set(Some(money.amount()));
                row.payment_currency = Set(Some(money.currency().to_owned()));
                row.payment_description =
                    Set(payment.description.clone().filter(|d| !d.trim().is_empty()));
            }
            Err(problems) => {
                for (field, message) in problems {
                    validation.push(&format!("payment.{field}"), message);
                }
            }
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
        row.schedule = Set(schedule.to_spec());
        row.timezone = Set(schedule.zone().name().to_owned());
    }
    schedule
}

/// The next occurrence from now, or a 422 naming the schedule when it has none.
pub(super) fn first_run(schedule: &Schedule, now: DateTime<Utc>) -> ServiceResult<DateTime<Utc>> {
    schedule.next_after(now).ok_or_else(|| {
        let field = match schedule.to_spec() {
            ScheduleSpec::Once(_) => "schedule.at",
            ScheduleSpec::Recurring(_) => "schedule.start",
            ScheduleSpec::BeforeDue(_) => "schedule.due",
        };
        ServiceError::invalid(
            field,
            "is in the past: the schedule has no future occurrence",
        )
    })
}

pub(super) async fn check_clients(
    state: &AppState,
    actor: &Actor,
    ids: &[i64],
) -> ServiceResult<Vec<i64>> {
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

/// In production, each channel of the reminder (and a payment it asks for) needs a provider
/// account, the business's own or the platform's: a reminder that could never be delivered is
/// refused now, not failed later.
pub(super) async fn check_channels_configured(
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
        && !accounts.iter().any(|row| row.provider == Provider::Stripe)
    {
        validation.push(
            "payment",
            "Stripe is not configured: add a Stripe account in the business's provider settings (providers.stripe)",
        );
    }
    // Only channels being set now: an unchanged reminder stays editable.
    let sea_orm::ActiveValue::Set(channels) = &row.channels else {
        return Ok(());
    };
    for channel in channels.iter() {
        if !super::super::accounts::configured(channel, &accounts, &state.settings) {
            validation.push(
                "channels",
                format!(
                    "{} is not configured: add its provider account in the business's provider settings (providers)",
                    channel.as_str()
                ),
            );
        }
    }
    Ok(())
}

/// Checks and sets the sender identities a patch names, against the reminder's channels.
pub(super) async fn check_senders(
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
        sea_orm::ActiveValue::Set(channels) | sea_orm::ActiveValue::Unchanged(channels) => {
            channels.clone()
        }
        sea_orm::ActiveValue::NotSet => ChannelSet::default(),
    };
    let stored =
        sender_identities::for_reminder(state, actor.business, ids, &channels, validation).await?;
    row.sender_identity_ids = Set(stored);
    Ok(())
}
