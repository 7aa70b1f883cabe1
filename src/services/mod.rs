//! Business rules. Handlers call these, these call repositories. A request's transaction
//! begins here (the scheduler and the importer begin their own units of work; repositories never
//! begin one — docs/ARCHITECTURE.md, "Where transactions begin").

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod business;
pub mod clients;
pub mod dashboard;
pub mod documents;
mod error;
pub mod import;
pub mod messages;
pub mod notifications;
pub mod occurrences;
pub mod passwords;
mod patch;
pub mod payments;
pub mod privacy;
pub mod provider_checks;
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
