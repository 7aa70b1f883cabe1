//! Data access per aggregate. Every function that reads or writes a tenant's rows takes its
//! `BusinessId` first and filters by it, so another business's row is simply not found.

pub mod audit;
pub mod businesses;
pub mod clients;
pub mod document_links;
pub mod documents;
pub mod idempotency;
pub mod list_totals;
pub mod login_throttle;
pub mod message_hours;
pub mod notifications;
pub mod password_resets;
pub mod payments;
pub mod privacy;
pub mod provider_credentials;
pub mod refresh_tokens;
pub mod reminders;
pub mod revoked_tokens;
pub mod sender_identities;
pub mod sort;
pub mod users;
pub mod webhook_events;

/// Rows of one page and the total that matched.
#[derive(Debug)]
pub struct Paged<T> {
    /// This page.
    pub items: Vec<T>,
    /// All matching rows.
    pub total: u64,
}
