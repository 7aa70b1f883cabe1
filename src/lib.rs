//! Reminder App: a multi-tenant backend with which businesses keep their clients and send them
//! reminders by e-mail, SMS and WhatsApp, with Stripe payment links.
//!
//! Layers: [`startup`] → [`web`] (the staff console) → [`api`] (HTTP) → [`services`] (rules, transactions) → [`state`] →
//! [`channels`] (transports) → [`repositories`] (queries scoped by business) → [`entities`]
//! (tables); [`domain`] holds validated values used by all. A module imports only lower layers
//! (`docs/ARCHITECTURE.md`, checked by `tests/api/layers.rs`).

pub mod api;
pub mod channels;
pub mod clock;
pub mod config;
pub mod db;
pub mod documents;
pub mod domain;
pub mod entities;
pub mod fresh_cache;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod migration;
pub mod original;
pub mod payments;
pub mod repositories;
pub mod scheduler;
pub mod security;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod token_cache;
pub mod web;
