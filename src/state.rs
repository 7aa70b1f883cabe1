//! What every request handler, service and scheduler loop shares: the pool, settings, keys,
//! transports, clocks and signals of one process. It depends on nothing above it, so every
//! layer may take it.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::channels::Channels;
use crate::channels::pacer::Pacer;
use crate::clock::Clock;
use crate::config::Settings;
use crate::limits::Limiters;
use crate::payments::stripe::StripeClient;
use crate::repositories::list_totals::ListTotals;
use crate::security::crypto::SecretBox;
use crate::security::jwt::JwtKeys;
use crate::token_cache::TokenCache;

/// What every request handler, service and scheduler loop shares.
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// Settings, read once at start.
    pub settings: Arc<Settings>,
    /// Access-token keys.
    pub jwt: JwtKeys,
    /// Access tokens checked in the last second, and who they speak for.
    pub token_cache: TokenCache,
    /// Totals of long lists counted in the last second.
    pub list_totals: ListTotals,
    /// Seals and opens secrets stored in the database.
    pub secrets: SecretBox,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Transports per channel.
    pub channels: Channels,
    /// Paces sends per provider account.
    pub pacer: Pacer,
    /// The Stripe API.
    pub stripe: StripeClient,
    /// Where document bytes are kept.
    pub documents: crate::documents::Store,
    /// Per-address quotas on sign-in and webhook routes.
    pub limiters: Limiters,
    /// When the planner and the dispatcher last passed (Unix seconds; 0 before the first).
    pub heartbeat: Heartbeat,
    /// Wakes the planner (a reminder was written).
    pub planner_wake: Notify,
    /// Wakes the dispatcher (notifications were queued).
    pub dispatcher_wake: Notify,
}

/// The scheduler's signs of life, read by `/ready` and `/metrics`.
#[derive(Debug, Default)]
pub struct Heartbeat {
    /// This process runs the scheduler.
    pub running: std::sync::atomic::AtomicBool,
    /// Last planner pass.
    pub planner: std::sync::atomic::AtomicI64,
    /// Last dispatcher pass.
    pub dispatcher: std::sync::atomic::AtomicI64,
}

impl Heartbeat {
    /// The older of the two loops' last passes, when this process runs the scheduler.
    pub fn oldest(&self) -> Option<i64> {
        use std::sync::atomic::Ordering;
        self.running.load(Ordering::Relaxed).then(|| {
            self.planner
                .load(Ordering::Relaxed)
                .min(self.dispatcher.load(Ordering::Relaxed))
        })
    }
}

impl AppState {
    /// Asks this process's planner to look for due reminders now.
    pub fn wake_planner(&self) {
        self.planner_wake.notify_one();
    }

    /// Asks this process's dispatcher to look for due notifications now.
    pub fn wake_dispatcher(&self) {
        self.dispatcher_wake.notify_one();
    }
}
