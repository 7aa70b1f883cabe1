//! Writing a reminder: what it says, on which channels, when (once, a recurrence built from
//! plain choices, or before a due date), the payment it asks for and its clients — with a
//! preview of the next dates before saving. A preview is a plain form post, so it works
//! without JavaScript.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::csrf;
use super::error::WebError;
use super::form::Fields;
use super::layout::{Chrome, error_for, render};
use super::session::Staff;
use crate::domain::schedule::{Schedule, ScheduleSpec};
use crate::domain::{Channel, FieldError, Money, ReminderKind};
use crate::entities::client;
use crate::services::reminders::{CreateReminderRequest, PaymentSpec};
use crate::services::{self, ServiceError};
use crate::state::AppState;

/// Clients offered for choosing on the form.
const CLIENTS_SHOWN: u64 = 200;
/// Next dates shown by a preview.
const PREVIEW_DATES: usize = 5;

/// What the form holds, as typed.
#[derive(Debug, Default)]
struct Draft {
    title: String,
    kind: String,
    channels: Vec<String>,
    subject: String,
    body: String,
    schedule: String,
    at: String,
    frequency: String,
    interval: String,
    month_day: String,
    weekday: String,
    start: String,
    rrule: String,
    due: String,
    offsets: String,
    timezone: String,
    amount: String,
    currency: String,
    clients: Vec<String>,
}

impl Draft {
    fn read(fields: &Fields) -> Self {
        Self {
            title: fields.get("title"),
            kind: fields.get("kind"),
            channels: fields.all("channel"),
            subject: fields.get("subject"),
            body: fields.get("body"),
            schedule: fields.get("schedule"),
            at: fields.get("at"),
            frequency: fields.get("frequency"),
            interval: fields.get("interval"),
            month_day: fields.get("month_day"),
            weekday: fields.get("weekday"),
            start: fields.get("start"),
            rrule: fields.get("rrule"),
            due: fields.get("due"),
            offsets: fields.get("offsets"),
            timezone: fields.get("timezone"),
            amount: fields.get("amount"),
            currency: fields.get("currency"),
            clients: fields.all("client"),
        }
    }

    /// A new form's defaults: e-mail, monthly on the 15th at 09:00, the business's currency.
    fn blank() -> Self {
        Self {
            kind: "deadline".into(),
            channels: vec!["email".into()],
            schedule: "recurring".into(),
            frequency: "monthly".into(),
            interval: "1".into(),
            month_day: "15".into(),
            weekday: "MO".into(),
            currency: "gbp".into(),
            ..Self::default()
        }
    }

    /// The RRULE the recurrence choices make, unless one was written out.
    fn rule(&self) -> String {
        if !self.rrule.is_empty() {
            return self.rrule.clone();
        }
        let mut rule = match self.frequency.as_str() {
            "daily" => "FREQ=DAILY".to_owned(),
            "weekly" => format!("FREQ=WEEKLY;BYDAY={}", self.weekday),
            "yearly" => "FREQ=YEARLY".to_owned(),
            _ => match self.month_day.as_str() {
                "last" => "FREQ=MONTHLY;BYMONTHDAY=-1".to_owned(),
                day => format!("FREQ=MONTHLY;BYMONTHDAY={day}"),
            },
        };
        if let Ok(interval) = self.interval.parse::<u32>()
            && interval > 1
        {
            rule.push_str(&format!(";INTERVAL={interval}"));
        }
        rule
    }

    fn zone(&self) -> Option<String> {
        Some(self.timezone.clone()).filter(|zone| !zone.is_empty())
    }

    /// The schedule as the API takes it.
    fn spec(&self) -> ScheduleSpec {
        match self.schedule.as_str() {
            "once" => ScheduleSpec::Once {
                at: self.at.clone(),
                timezone: self.zone(),
            },
            "before_due" => ScheduleSpec::BeforeDue {
                due: self.due.clone(),
                offsets: self
                    .offsets
                    .split(',')
                    .map(str::trim)
                    .filter(|offset| !offset.is_empty())
                    .map(str::to_owned)
                    .collect(),
                timezone: self.zone(),
            },
            _ => ScheduleSpec::Recurring {
                rrule: self.rule(),
                start: self.start.clone(),
                timezone: self.zone(),
            },
        }
    }

    /// The request the API would take; an amount that does not read is an error of its own.
    fn request(&self) -> (CreateReminderRequest, Vec<FieldError>) {
        let mut errors = Vec::new();
        let payment = if self.amount.is_empty() {
            None
        } else {
            match Money::parse_major(&self.amount, &self.currency) {
                Ok(money) => Some(PaymentSpec {
                    amount: money.amount(),
                    currency: money.currency().to_owned(),
                    description: None,
                }),
                Err((field, message)) => {
                    errors.push(FieldError::new(format!("payment.{field}"), message));
                    None
                }
            }
        };
        let request = CreateReminderRequest {
            title: self.title.clone(),
            kind: Some(self.kind.clone()),
            channels: Some(self.channels.clone()),
            subject: Some(self.subject.clone()).filter(|s| !s.is_empty()),
            body: self.body.clone(),
            whatsapp_template: None,
            schedule: self.spec(),
            payment,
            sender_identity_ids: None,
            document_ids: None,
            attach_documents: None,
            client_ids: self
                .clients
                .iter()
                .filter_map(|id| id.parse().ok())
                .collect(),
        };
        (request, errors)
    }
}

/// The reminder form.
#[derive(Template)]
#[template(path = "reminder_form.html")]
struct ReminderFormPage {
    chrome: Chrome,
    draft: Draft,
    kinds: &'static [ReminderKind],
    channels: [Channel; 3],
    clients: Vec<client::Model>,
    /// The business has more clients than the form lists.
    more_clients: bool,
    errors: Vec<FieldError>,
    /// The next dates, after a preview.
    preview: Option<Vec<String>>,
}

impl ReminderFormPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }

    fn has_channel(&self, channel: &Channel) -> bool {
        self.draft.channels.iter().any(|c| c == channel.as_str())
    }

    fn has_client(&self, id: &i64) -> bool {
        self.draft.clients.iter().any(|c| *c == id.to_string())
    }
}

async fn page(
    state: &AppState,
    staff: &Staff,
    chrome: Chrome,
    draft: Draft,
    errors: Vec<FieldError>,
    preview: Option<Vec<String>>,
) -> Result<Html<String>, WebError> {
    let listed = services::clients::list(state, &staff.actor, None, CLIENTS_SHOWN, 0).await?;
    let more_clients = listed.total > CLIENTS_SHOWN;
    let clients = listed.items;
    render(&ReminderFormPage {
        chrome,
        draft,
        kinds: ReminderKind::ALL,
        channels: Channel::ALL,
        clients,
        more_clients,
        errors,
        preview,
    })
}

/// `GET /reminders/new`.
pub(super) async fn new_page(
    State(state): State<Arc<AppState>>,
    staff: Staff,
) -> Result<Html<String>, WebError> {
    let chrome = Chrome::of(&state, &staff, "reminders").await?;
    page(&state, &staff, chrome, Draft::blank(), Vec::new(), None).await
}

/// `POST /reminders/new`: `intent=preview` shows the next dates in the schedule's zone;
/// otherwise the reminder is created with the API's rules and its errors shown by their fields.
pub(super) async fn submit(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields = Fields::parse(&body);
    csrf::check_session(&state, &staff.claims, &headers, &fields.get("csrf"))?;
    let draft = Draft::read(&fields);
    let chrome = Chrome::of(&state, &staff, "reminders").await?;
    if fields.get("intent") == "preview" {
        let (preview, errors) = match Schedule::parse(&draft.spec(), chrome.zone()) {
            Ok(schedule) => {
                let shown = schedule.zone();
                let dates = schedule
                    .occurrences(state.clock.now(), None, PREVIEW_DATES)
                    .into_iter()
                    .map(|at| {
                        at.with_timezone(&shown)
                            .format("%A %-d %B %Y, %H:%M %Z")
                            .to_string()
                    })
                    .collect();
                (Some(dates), Vec::new())
            }
            Err(errors) => (None, errors),
        };
        return Ok(page(&state, &staff, chrome, draft, errors, preview)
            .await?
            .into_response());
    }
    let (request, mut errors) = draft.request();
    if errors.is_empty() {
        match services::reminders::create(&state, &staff.actor, request).await {
            Ok(_) => return Ok(Redirect::to("/reminders?notice=created").into_response()),
            Err(ServiceError::Validation(found)) => errors = found,
            Err(other) => return Err(other.into()),
        }
    }
    let html = page(&state, &staff, chrome, draft, errors, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}
