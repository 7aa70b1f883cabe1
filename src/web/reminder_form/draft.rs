//! The reminder form as typed: read from a post, filled from a saved reminder, and turned into
//! the API's create and change requests (so every rule is the API's).

use crate::domain::schedule::{BeforeDueSchedule, OnceSchedule, RecurringSchedule, ScheduleSpec};
use crate::domain::{Channel, FieldError, Money};
use crate::entities::reminder;
use crate::services::reminders::{CreateReminderRequest, PaymentSpec, UpdateReminderRequest};

use super::super::form::Fields;

/// What the form holds, as typed.
#[derive(Debug, Default)]
pub(super) struct Draft {
    pub title: String,
    pub kind: String,
    pub channels: Vec<String>,
    pub subject: String,
    pub body: String,
    pub schedule: String,
    pub at: String,
    pub frequency: String,
    pub interval: String,
    pub month_day: String,
    pub weekday: String,
    pub start: String,
    pub rrule: String,
    pub due: String,
    pub offsets: String,
    pub timezone: String,
    pub amount: String,
    pub currency: String,
    /// The sender identity chosen per channel (`sender_email` …), empty for the default.
    pub senders: Vec<(Channel, String)>,
    /// Documents carried to every client.
    pub documents: Vec<String>,
    /// E-mails attach the documents as files too.
    pub attach: bool,
    /// Chosen clients.
    pub clients: Vec<String>,
    /// What the client list is searched for.
    pub client_query: String,
    /// The client the message is previewed for.
    pub preview_client: String,
}

impl Draft {
    pub fn read(fields: &Fields) -> Self {
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
            senders: Channel::ALL
                .iter()
                .map(|channel| (*channel, fields.get(&format!("sender_{channel}"))))
                .collect(),
            documents: fields.all("document"),
            attach: fields.get("attach") == "on",
            clients: fields.all("client"),
            client_query: fields.get("client_query"),
            preview_client: fields.get("preview_client"),
        }
    }

    /// A new form's defaults: e-mail, monthly on the 15th at 09:00, the business's currency.
    pub fn blank() -> Self {
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

    /// The form filled from a saved reminder; its recurrence is shown as the rule it is.
    pub fn saved(row: &reminder::Model, clients: &[i64], documents: &[i64]) -> Self {
        let mut draft = Self {
            title: row.title.clone(),
            kind: row.kind.to_string(),
            channels: row.channels.iter().map(|c| c.to_string()).collect(),
            subject: row.subject.clone().unwrap_or_default(),
            body: row.body.clone(),
            timezone: row.timezone.clone(),
            senders: Channel::ALL
                .iter()
                .map(|channel| {
                    let id = row
                        .sender_identity_ids
                        .as_ref()
                        .and_then(|senders| senders.get(*channel));
                    (*channel, id.map(|id| id.to_string()).unwrap_or_default())
                })
                .collect(),
            documents: documents.iter().map(i64::to_string).collect(),
            attach: row.attach_documents,
            clients: clients.iter().map(i64::to_string).collect(),
            ..Self::blank()
        };
        match &row.schedule {
            ScheduleSpec::Once(OnceSchedule { at, .. }) => {
                draft.schedule = "once".into();
                draft.at = at.clone();
            }
            ScheduleSpec::Recurring(RecurringSchedule { rrule, start, .. }) => {
                draft.schedule = "recurring".into();
                draft.rrule = rrule.clone();
                draft.start = start.clone();
            }
            ScheduleSpec::BeforeDue(BeforeDueSchedule { due, offsets, .. }) => {
                draft.schedule = "before_due".into();
                draft.due = due.clone();
                draft.offsets = offsets.join(", ");
            }
        }
        if let (Some(amount), Some(currency)) = (row.payment_amount, &row.payment_currency)
            && let Ok(money) = Money::new(amount, currency)
        {
            draft.amount = money.major();
            draft.currency = money.currency().to_owned();
        }
        draft
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
    pub fn spec(&self) -> ScheduleSpec {
        match self.schedule.as_str() {
            "once" => ScheduleSpec::Once(OnceSchedule {
                at: self.at.clone(),
                timezone: self.zone(),
            }),
            "before_due" => ScheduleSpec::BeforeDue(BeforeDueSchedule {
                due: self.due.clone(),
                offsets: self
                    .offsets
                    .split(',')
                    .map(str::trim)
                    .filter(|offset| !offset.is_empty())
                    .map(str::to_owned)
                    .collect(),
                timezone: self.zone(),
            }),
            _ => ScheduleSpec::Recurring(RecurringSchedule {
                rrule: self.rule(),
                start: self.start.clone(),
                timezone: self.zone(),
            }),
        }
    }

    /// Ids among `values`; what does not read as one is left out (the service checks the rest).
    fn ids(values: &[String]) -> Vec<i64> {
        values.iter().filter_map(|id| id.parse().ok()).collect()
    }

    /// The chosen clients' ids.
    pub fn client_ids(&self) -> Vec<i64> {
        Self::ids(&self.clients)
    }

    /// The chosen documents' ids.
    pub fn document_ids(&self) -> Vec<i64> {
        Self::ids(&self.documents)
    }

    fn sender_ids(&self) -> Vec<i64> {
        self.senders
            .iter()
            .filter_map(|(_, id)| id.parse().ok())
            .collect()
    }

    /// The payment asked for; an amount that does not read is an error of its own.
    fn payment(&self, errors: &mut Vec<FieldError>) -> Option<PaymentSpec> {
        if self.amount.is_empty() {
            return None;
        }
        match Money::parse_major(&self.amount, &self.currency) {
            Ok(money) => Some(PaymentSpec {
                amount: money.amount(),
                currency: money.currency().to_owned(),
                description: None,
            }),
            Err(problems) => {
                errors.extend(
                    problems.into_iter().map(|(field, message)| {
                        FieldError::new(format!("payment.{field}"), message)
                    }),
                );
                None
            }
        }
    }

    /// The request the API's create takes, with the form's own errors.
    pub fn request(&self) -> (CreateReminderRequest, Vec<FieldError>) {
        let mut errors = Vec::new();
        let payment = self.payment(&mut errors);
        let request = CreateReminderRequest {
            title: self.title.clone(),
            kind: Some(self.kind.clone()),
            channels: Some(self.channels.clone()),
            subject: Some(self.subject.clone()).filter(|s| !s.is_empty()),
            body: self.body.clone(),
            whatsapp_template: None,
            schedule: self.spec(),
            payment,
            sender_identity_ids: Some(self.sender_ids()),
            document_ids: Some(self.document_ids()),
            attach_documents: Some(self.attach),
            client_ids: self.client_ids(),
        };
        (request, errors)
    }

    /// The change the API's update takes: every field the form shows, as it now reads.
    pub fn patch(&self) -> (UpdateReminderRequest, Vec<FieldError>) {
        let mut errors = Vec::new();
        let payment = self.payment(&mut errors);
        let amount_read = errors.is_empty();
        let patch = UpdateReminderRequest {
            title: Some(self.title.clone()),
            kind: Some(self.kind.clone()),
            channels: Some(self.channels.clone()),
            subject: Some(Some(self.subject.clone()).filter(|s| !s.is_empty())),
            body: Some(self.body.clone()),
            whatsapp_template: None,
            schedule: Some(self.spec()),
            // An amount that does not read leaves the payment as it is (the error is shown).
            payment: amount_read.then_some(payment),
            sender_identity_ids: Some(self.sender_ids()),
            document_ids: Some(self.document_ids()),
            attach_documents: Some(self.attach),
        };
        (patch, errors)
    }
}
