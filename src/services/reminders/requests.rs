//! The bodies `POST /reminders`, `PATCH /reminders/{id}` and `POST /reminders/{id}/clients`
//! take.

use serde::{Deserialize, Serialize};

use super::super::double_option;
use crate::domain::schedule::ScheduleSpec;
use crate::domain::{ReminderKind, WhatsappTemplate};

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
    /// What it is about; default `custom`. Checked with the other fields, so one answer lists
    /// every error.
    #[serde(default)]
    #[schema(value_type = Option<ReminderKind>)]
    pub kind: Option<String>,
    /// The channels to send on, in order; default the business's default channels.
    #[serde(default)]
    #[schema(value_type = Option<Vec<crate::domain::Channel>>)]
    pub channels: Option<Vec<String>>,
    /// E-mail subject template; default the title.
    #[serde(default)]
    pub subject: Option<String>,
    /// Message template (minijinja): `client.*`, `business.*`, `reminder.*`, `due_date`,
    /// `amount`, `payment_link`, `document_link`, `documents` (each with `name` and `link`).
    pub body: String,
    /// WhatsApp template message to send instead of free text.
    #[serde(default)]
    pub whatsapp_template: Option<WhatsappTemplate>,
    /// When it goes: `once` at a local time, `recurring` by an RRULE, or `before_due` offsets.
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
    /// A new title, 1 to 200 characters.
    pub title: Option<String>,
    /// What it is about.
    #[schema(value_type = Option<ReminderKind>)]
    pub kind: Option<String>,
    /// The channels to send on, in order; at least one.
    #[schema(value_type = Option<Vec<crate::domain::Channel>>)]
    pub channels: Option<Vec<String>>,
    /// The e-mail subject as a template; `null` or empty uses the title.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub subject: Option<Option<String>>,
    /// The message as a template (minijinja); must render with the sample client.
    pub body: Option<String>,
    /// WhatsApp template.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<WhatsappTemplate>)]
    pub whatsapp_template: Option<Option<WhatsappTemplate>>,
    /// A new schedule; the next occurrence is computed from now.
    pub schedule: Option<ScheduleSpec>,
    /// The amount to ask each client for; `null` stops asking (payments already made stay).
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
