//! Reminder App: a multi-tenant backend with which businesses keep their clients and send them
//! reminders by e-mail, SMS and WhatsApp, with Stripe payment links.
//!
//! Layers: [`api`] (HTTP) → [`services`] (rules, transactions) → [`repositories`] (queries scoped
//! by business) → [`entities`] (tables). [`domain`] holds validated values used by all.

pub mod api;
pub mod channels;
pub mod clock;
pub mod config;
pub mod db;
pub mod documents;
pub mod domain;
pub mod entities;
pub mod metrics;
pub mod migration;
pub mod original;
pub mod payments;
pub mod repositories;
pub mod scheduler;
pub mod security;
pub mod services;
pub mod startup;
pub mod telemetry;
