//! The bodies `POST /reminders`, `PATCH /reminders/{id}` and `POST /reminders/{id}/clients`
//! take.

use serde::{Deserialize, Serialize};

use super::super::double_option;
use crate::domain::schedule::ScheduleSpec;
use crate::domain::{ReminderKind, WhatsappTemplate};

/// The amount a payment reminder asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PaymentSpec {
    /// Amount in minor units (pence, cents; whole units for zero-decimal currencies such as
    /// `jpy`), 1 to 9999999999.
    pub amount: i64,
    /// ISO 4217 code, e.g. `gbp`; stored lowercase.
    pub currency: String,
    /// Shown to the client on the Stripe payment page; omit (or blank) for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `POST /reminders`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CreateReminderRequest {
    /// What it is about, 1 to 200 characters; shown to staff, `{{ reminder.title }}` in
    /// templates, and the e-mail subject when `subject` is absent.
    pub title: String,
    /// Its category: `deadline`, `payment`, `document`, `appointment` or `custom` (the
    /// default). Checked with the other fields, so one answer lists every error.
    #[serde(default)]
    #[schema(value_type = Option<ReminderKind>)]
    pub kind: Option<String>,
    /// The channels to send on (`email`, `sms`, `whatsapp`; no repeats), at least one;
    /// default the business's `default_channels`.
    #[serde(default)]
    #[schema(value_type = Option<Vec<crate::domain::Channel>>)]
    pub channels: Option<Vec<String>>,
    /// E-mail subject, a template like `body` and checked as it is; absent or blank uses the
    /// title.
    /// Variables: `amount`, `business.email_from`, `business.name`, `business.timezone`,
    /// `client.email`, `client.external_ref`, `client.name`, `client.phone`, `document_link`,
    /// `documents`, `documents[].link`, `documents[].name`, `due_date`, `due_date_iso`,
    /// `payment_link`, `reminder.kind`, `reminder.title`, `unsubscribe_link`.
    #[serde(default)]
    pub subject: Option<String>,
    /// Message template (minijinja), not empty, e.g. `Hi {{ client.name }}, {{ amount }} is due
    /// on {{ due_date }}: {{ payment_link }}`.
    /// Variables: `amount`, `business.email_from`, `business.name`, `business.timezone`,
    /// `client.email`, `client.external_ref`, `client.name`, `client.phone`, `document_link`,
    /// `documents`, `documents[].link`, `documents[].name`, `due_date`, `due_date_iso`,
    /// `payment_link`, `reminder.kind`, `reminder.title`, `unsubscribe_link`.
    /// `documents` is a list, e.g. `{% for d in documents %}{{ d.name }}: {{ d.link }}{% endfor %}`;
    /// `amount`, `payment_link` and the document variables are empty when the reminder has none.
    /// Checked when saved: an unknown variable or attribute (`client.first_name`), filter, test or
    /// function is a 422 naming it with its line and column, even under a guard such as
    /// `{% if … %}` or `| default(…)`.
    pub body: String,
    /// An approved WhatsApp template its WhatsApp messages send instead of the body as free
    /// text (Meta requires one outside the 24-hour reply window); default the business's.
    #[serde(default)]
    pub whatsapp_template: Option<WhatsappTemplate>,
    /// When it goes: `once` at a local time, `recurring` by an RRULE, or `before_due` offsets.
    pub schedule: ScheduleSpec,
    /// A payment to ask of each client: each gets a payment link (`{{ payment_link }}`), and
    /// a client who has paid gets no more messages from it. Omit for none.
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
    /// E-mails attach the documents as files too, up to `DOCUMENT_MAX_BYTES` in all per
    /// message (the rest stay links); default `false`.
    #[serde(default)]
    pub attach_documents: Option<bool>,
    /// Ids of the business's clients to remind; default none (add them later with
    /// `POST /reminders/{id}/clients`).
    #[serde(default)]
    pub client_ids: Vec<i64>,
}

/// `PATCH /reminders/{id}`: absent fields stay as they are, `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateReminderRequest {
    /// A new title, 1 to 200 characters.
    pub title: Option<String>,
    /// Its category: `deadline`, `payment`, `document`, `appointment` or `custom`.
    #[schema(value_type = Option<ReminderKind>)]
    pub kind: Option<String>,
    /// The channels to send on, in order (no repeats); at least one.
    #[schema(value_type = Option<Vec<crate::domain::Channel>>)]
    pub channels: Option<Vec<String>>,
    /// The e-mail subject as a template, checked as `body` is; `null` or empty uses the title.
    /// Variables: `amount`, `business.email_from`, `business.name`, `business.timezone`,
    /// `client.email`, `client.external_ref`, `client.name`, `client.phone`, `document_link`,
    /// `documents`, `documents[].link`, `documents[].name`, `due_date`, `due_date_iso`,
    /// `payment_link`, `reminder.kind`, `reminder.title`, `unsubscribe_link`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub subject: Option<Option<String>>,
    /// The message as a template (minijinja), not empty.
    /// Variables: `amount`, `business.email_from`, `business.name`, `business.timezone`,
    /// `client.email`, `client.external_ref`, `client.name`, `client.phone`, `document_link`,
    /// `documents`, `documents[].link`, `documents[].name`, `due_date`, `due_date_iso`,
    /// `payment_link`, `reminder.kind`, `reminder.title`, `unsubscribe_link`.
    /// Checked as on create: an unknown variable, filter, test or function is a 422 naming it with
    /// its line and column.
    pub body: Option<String>,
    /// An approved WhatsApp template to send instead of the body; `null` goes back to the
    /// business's.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<WhatsappTemplate>)]
    pub whatsapp_template: Option<Option<WhatsappTemplate>>,
    /// A new schedule; the next occurrence is computed from now, and a `completed` reminder
    /// becomes `active` again.
    pub schedule: Option<ScheduleSpec>,
    /// The amount to ask each client for; `null` stops asking (payments already made stay).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<PaymentSpec>)]
    pub payment: Option<Option<PaymentSpec>>,
    /// Verified sender identities to send from, at most one per channel of the reminder;
    /// `[]` goes back to the defaults.
    pub sender_identity_ids: Option<Vec<i64>>,
    /// Documents for every client, replacing the list; `[]` removes them.
    pub document_ids: Option<Vec<i64>>,
    /// Whether e-mails attach the documents as files too.
    pub attach_documents: Option<bool>,
}

/// `POST /reminders/{id}/clients`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AssignClientsRequest {
    /// Ids of the business's clients to add; those already assigned stay.
    #[serde(default)]
    pub client_ids: Vec<i64>,
    /// Clients to add each with their own document (their invoice), or with `document_id`
    /// `null` to take it away. With `client_ids`, at least one client in all.
    #[serde(default)]
    pub clients: Vec<ClientDocument>,
}

/// A client on a reminder with their own document.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ClientDocument {
    /// The client to add (or keep) on the reminder.
    pub client_id: i64,
    /// A document of theirs, or one for everyone, that this reminder carries to them alone;
    /// `null` for none.
    pub document_id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use utoipa::PartialSchema;

    use super::*;
    use crate::services::messages::MessageContext;

    /// The variables of a context as the schema lists them: dotted paths to each value, a
    /// list's item fields as `list[].field`.
    fn variables(value: &Value, prefix: &str, found: &mut Vec<String>) {
        match value {
            Value::Object(fields) => {
                for (key, inner) in fields {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    variables(inner, &path, found);
                }
            }
            Value::Array(items) => {
                found.push(prefix.to_owned());
                if let Some(Value::Object(fields)) = items.first() {
                    for key in fields.keys() {
                        found.push(format!("{prefix}[].{key}"));
                    }
                }
            }
            _ => found.push(prefix.to_owned()),
        }
    }

    #[test]
    fn the_template_fields_list_every_variable_a_message_has() {
        let sample = serde_json::to_value(MessageContext::sample()).unwrap();
        let mut found = Vec::new();
        variables(&sample, "", &mut found);
        found.sort();
        let listing = format!(
            "Variables: {}.",
            found
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let create = serde_json::to_value(CreateReminderRequest::schema()).unwrap();
        let update = serde_json::to_value(UpdateReminderRequest::schema()).unwrap();
        for (schema, field) in [
            (&create, "subject"),
            (&create, "body"),
            (&update, "subject"),
            (&update, "body"),
        ] {
            let description = schema["properties"][field]["description"]
                .as_str()
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                description.contains(&listing),
                "{field}: {description:?} lacks {listing:?}"
            );
        }
    }
}
