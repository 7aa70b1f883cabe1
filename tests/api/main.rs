//! Black-box tests: each starts the real server on a random port over a fresh database and
//! speaks HTTP to it, on SQLite and — when configured — on MySQL/MariaDB and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

mod support;

mod attacks;
mod audit;
mod auth;
mod browser;
mod business;
mod cli;
mod clients;
mod compat;
mod console;
mod conventions;
mod delivery;
mod documents;
mod email;
mod fan_out;
mod hardening;
mod harness;
mod health;
mod import;
mod inbox;
mod layers;
mod lists;
mod metrics;
mod migrations;
mod occurrences;
mod original_import;
mod outage;
mod payments;
mod previews;
mod privacy;
mod provider_tests;
mod providers;
mod reliability;
mod reminders;
mod restart;
mod scale;
mod secrets;
mod sender_identities;
mod sms;
mod templates;
mod usage;
mod users;
mod whatsapp;
