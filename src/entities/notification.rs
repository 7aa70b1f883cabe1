//! `notifications`: the durable outbox, one message to one client on one channel for one
//! occurrence.

use sea_orm::entity::prelude::*;

use super::Timestamp;
use crate::domain::{Channel, DocumentIds, NotificationStatus, Trigger, WhatsappTemplate};

/// A notification and its delivery state.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub business_id: i64,
    pub reminder_id: i64,
    pub client_id: i64,
    pub channel: Channel,
    pub occurrence_at: Timestamp,
    pub trigger: Trigger,
    pub status: NotificationStatus,
    /// The address or number it was sent to.
    pub recipient: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub attempt_count: i32,
    /// When it may next be tried.
    pub next_attempt_at: Timestamp,
    /// While `sending`: when the claim lapses and another node may take it.
    pub lease_until: Option<Timestamp>,
    /// While `sending`: the claim that holds it.
    pub claim_token: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub sent_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
    /// WhatsApp only: the template it sends, rendered for its client.
    pub whatsapp_template: Option<WhatsappTemplate>,
    /// When someone at the firm marked it read in their inbox.
    pub inbox_read_at: Option<Timestamp>,
    /// The sender identity its reminder named for this channel, if any.
    pub sender_identity_id: Option<i64>,
    /// When the client first opened a document link it carried.
    pub document_opened_at: Option<Timestamp>,
    /// E-mail: the documents it attaches.
    pub attachment_ids: Option<DocumentIds>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
