//! Value types that validate themselves when parsed; no I/O. Parse once at the edge, then trust
//! the type.

mod channel;
pub mod date_range;
mod email;
mod money;
mod phone;
pub mod provider_ids;
pub mod quiet_hours;
mod role;
pub mod schedule;
mod status;
mod stored;
mod stored_json;
pub mod template;
mod timezone;
mod validation;

pub use channel::{Channel, ChannelSet};
pub use email::{Email, Mailbox};
pub use money::Money;
pub use phone::{CountryCode, PhoneE164};
pub use role::Role;
pub use status::{
    AttemptOutcome, NotificationStatus, OccurrenceOutcome, PaymentStatus, Provider, ReminderKind,
    ReminderStatus, Trigger,
};
pub use stored_json::{
    DocumentIds, ProviderSettings, SendersByChannel, UsageCaps, WhatsappTemplate,
};
pub use timezone::TimeZone;
pub use validation::{FieldError, Validation};

/// The id of a business: every repository call is scoped by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BusinessId(pub i64);

/// The id of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(pub i64);

/// The id of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientId(pub i64);

/// Who is acting: an authenticated user, their business and their current role.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    /// The user.
    pub user: UserId,
    /// Their business: everything the request touches is scoped by it.
    pub business: BusinessId,
    /// Their role now (read from the database, not from the token).
    pub role: Role,
}
