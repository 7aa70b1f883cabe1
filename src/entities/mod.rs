//! ORM models, one file per table. Plain data: rules live in services, scoping in repositories.

pub mod audit_entry;
pub mod business;
pub mod client;
pub mod dispatch_claim;
pub mod document;
pub mod document_content;
pub mod document_link;
pub mod document_open;
pub mod idempotency_key;
pub mod login_throttle;
pub mod message_hour;
pub mod message_hours_state;
pub mod notification;
pub mod notification_attempt;
pub mod password_reset;
pub mod payment;
pub mod payment_click;
pub mod provider_credential;
pub mod refresh_token;
pub mod reminder;
pub mod reminder_client;
pub mod reminder_document;
pub mod reminder_occurrence;
pub mod revoked_token;
pub mod sender_identity;
mod timestamp;
pub mod user;
pub mod webhook_event;

pub use timestamp::Timestamp;
