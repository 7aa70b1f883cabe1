//! The reminder engine's two loops: the planner (occurrences → notifications) and the
//! dispatcher (notifications → providers). Each sleeps until its earliest due time, at most
//! `SCHEDULER_POLL_SECONDS` (other nodes may add work), and wakes early when this process adds
//! work. On shutdown both stop claiming; the dispatcher lets sends in flight finish.

mod backoff;
pub mod dispatcher;
pub mod planner;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::repositories::{notifications, reminders};
use crate::state::AppState;

pub use dispatcher::{DispatchOutcome, dispatch_once};
pub use planner::{PlanOutcome, plan_due};

/// How long to sleep until `next`, bounded by the poll interval.
fn sleep_for(state: &AppState, next: Option<DateTime<Utc>>) -> Duration {
    let poll = Duration::try_from_secs_f64(state.settings.scheduler.poll_seconds)
        .unwrap_or(Duration::from_secs(5));
    match next {
        Some(at) => (at - state.clock.now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(poll),
        None => poll,
    }
}

/// Records a loop's pass (wall-clock time: liveness is about this process, not the schedule).
fn beat(slot: &AtomicI64, name: &'static str) {
    let now = Utc::now().timestamp();
    slot.store(now, Ordering::Relaxed);
    metrics::gauge!("scheduler_heartbeat_timestamp_seconds", "loop" => name).set(now as f64);
}

/// Runs both loops until `stop` turns true; returns when both have finished.
pub async fn run(state: Arc<AppState>, stop: watch::Receiver<bool>) {
    tracing::info!("scheduler started");
    state.heartbeat.running.store(true, Ordering::Relaxed);
    let planner = tokio::spawn(run_planner(Arc::clone(&state), stop.clone()));
    let dispatcher = tokio::spawn(run_dispatcher(Arc::clone(&state), stop));
    let (planner, dispatcher) = tokio::join!(planner, dispatcher);
    if planner.is_err() || dispatcher.is_err() {
        tracing::error!("a scheduler loop ended abnormally");
    }
    tracing::info!("scheduler stopped");
}

async fn run_planner(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        let now = state.clock.now();
        beat(&state.heartbeat.planner, "planner");
        let next = match plan_due(&state, now).await {
            Ok(_) => reminders::earliest_due(&state.db).await.unwrap_or(None),
            Err(error) => {
                tracing::error!(error = ?error, "planning failed; will retry");
                None
            }
        };
        tokio::select! {
            () = tokio::time::sleep(sleep_for(&state, next)) => {}
            () = state.planner_wake.notified() => {}
            _ = stop.wait_for(|stopped| *stopped) => {}
        }
    }
}

async fn run_dispatcher(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        beat(&state.heartbeat.dispatcher, "dispatcher");
        let outcome = match dispatch_once(&state, &stop).await {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::error!(error = ?error, "dispatching failed; will retry");
                DispatchOutcome::default()
            }
        };
        if outcome.claimed > 0 {
            // More may be due right away.
            continue;
        }
        let next = notifications::earliest_pending(&state.db)
            .await
            .unwrap_or(None);
        tokio::select! {
            () = tokio::time::sleep(sleep_for(&state, next)) => {}
            () = state.dispatcher_wake.notified() => {}
            _ = stop.wait_for(|stopped| *stopped) => {}
        }
    }
}
