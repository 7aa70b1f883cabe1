//! Business rules. The only layer that opens transactions; handlers call these, these call
//! repositories.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod business;
pub mod clients;
pub mod dashboard;
pub mod documents;
mod error;
pub mod import;
pub mod notifications;
pub mod outbox;
pub mod passwords;
mod patch;
pub mod payments;
pub mod privacy;
pub mod provider_tests;
pub mod providers;
pub mod reminders;
pub mod sender_identities;
mod throttle;
pub mod unsubscribe;
pub mod usage;
pub mod users;
pub mod webhooks;

pub use error::{ServiceError, ServiceResult, is_unique_violation};
pub use patch::double_option;
