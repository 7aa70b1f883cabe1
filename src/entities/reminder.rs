//! `reminders`: what to send, to whom, when.

use sea_orm::entity::prelude::*;

use super::Timestamp;
use crate::domain::schedule::ScheduleSpec;
use crate::domain::{ChannelSet, ReminderKind, ReminderStatus, SendersByChannel, WhatsappTemplate};

/// A reminder of one business.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub business_id: i64,
    pub title: String,
    pub kind: ReminderKind,
    pub channels: ChannelSet,
    /// Template of the e-mail subject.
    pub subject: Option<String>,
    /// Template of the message body.
    pub body: String,
    /// An approved WhatsApp template it sends instead of the body, with templated parameters.
    pub whatsapp_template: Option<WhatsappTemplate>,
    /// The schedule as given (`once`, `recurring` or `before_due`).
    pub schedule: ScheduleSpec,
    /// The sender identities it sends from, per channel.
    pub sender_identity_ids: Option<SendersByChannel>,
    /// E-mail attaches its documents (within `DOCUMENT_MAX_BYTES` in all).
    pub attach_documents: bool,
    /// IANA zone of the schedule.
    pub timezone: String,
    /// Minor units.
    pub payment_amount: Option<i64>,
    /// ISO 4217, lowercase.
    pub payment_currency: Option<String>,
    pub payment_description: Option<String>,
    pub status: ReminderStatus,
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
