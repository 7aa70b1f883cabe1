//! ORM models, one file per table. Plain data: rules live in services, scoping in repositories.

pub mod business;
pub mod client;
pub mod login_throttle;
pub mod refresh_token;
pub mod user;
