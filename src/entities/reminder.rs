//! `reminders`: what to send, to whom, when.

use sea_orm::entity::prelude::*;

use super::Timestamp;

/// A reminder of one business.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub business_id: i64,
    pub title: String,
    /// `deadline`, `payment`, `document`, `appointment` or `custom`.
    pub kind: String,
    /// Comma-separated channel names.
    pub channels: String,
    /// Template of the e-mail subject.
    pub subject: Option<String>,
    /// Template of the message body.
    pub body: String,
    /// JSON `{name, language, parameters}` of an approved WhatsApp template.
    pub whatsapp_template: Option<String>,
    /// JSON of the schedule as given (`once`, `recurring` or `before_due`).
    pub schedule: String,
    /// JSON object of the sender identities it sends from: channel name → identity id.
    pub sender_identity_ids: Option<String>,
    /// E-mail attaches its documents (within `DOCUMENT_MAX_BYTES` in all).
    pub attach_documents: bool,
    /// IANA zone of the schedule.
    pub timezone: String,
    /// Minor units.
    pub payment_amount: Option<i64>,
    /// ISO 4217, lowercase.
    pub payment_currency: Option<String>,
    pub payment_description: Option<String>,
    /// `active`, `paused`, `completed` or `cancelled`.
    pub status: String,
    /// The next occurrence not yet planned; `None` when there is none.
    pub next_run_at: Option<Timestamp>,
    /// The last occurrence planned.
    pub last_run_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
