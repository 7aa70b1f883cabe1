//! How a claimed batch goes out: a conveyor that records outcomes as they come back, so that a
//! crash repeats at most the sends in flight.
//!
//! A notification is *started* (its claim's started-through id moved past it) before its send
//! may call a provider, and counts as in flight until its outcome is recorded. The batch starts
//! in id order, the order it was claimed in, so that one id says which have started. At most
//! `concurrency` are in flight at once, so a SIGKILL leaves at most that many whose outcome is
//! unknown; the node that takes them over records each as "outcome unknown, sent again"
//! (`queue::reclaim_expired`).
//! Outcomes are recorded in small groups: once [`FLUSH_GROUP`] are waiting, [`FLUSH_AFTER`]
//! after the first of them came back, or as soon as nothing else is in flight, whichever comes
//! first. The same transaction starts as many of the batch's next notifications as there is
//! room for, so the conveyor costs one write transaction per group.
//!
//! While the batch is worked its lease is renewed every third of `LEASE_SECONDS`, so a short
//! lease only lapses when the node is gone. When the database cannot be reached, outcomes are
//! kept and recorded once it can (nothing new starts meanwhile), so an outage repeats no send.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::DispatchOutcome;
use super::finish::{self, Finish};
use crate::db::begin_write;
use crate::entities::notification;
use crate::repositories::notifications as repo;
use crate::state::AppState;

/// Outcomes recorded together at most: a group is flushed once this many are waiting.
const FLUSH_GROUP: usize = 32;

/// The longest an outcome waits for others to be recorded with it.
const FLUSH_AFTER: Duration = Duration::from_millis(5);

/// The first wait before recording outcomes again when the database could not be reached.
const RETRY_FIRST: Duration = Duration::from_millis(100);

/// The longest wait between two tries at recording outcomes.
const RETRY_MOST: Duration = Duration::from_secs(1);

/// Sends `claimed` (held under `token`) with `send`, at most `concurrency` in flight, and
/// records every outcome. On `stop`, starts nothing more; sends in flight may finish within the
/// grace period; then the batch's unstarted notifications are handed back, and those whose
/// send had not finished are handed back as outcome unknown.
pub(super) async fn work<S, F>(
    state: &AppState,
    token: &str,
    claimed: Vec<notification::Model>,
    stop: &watch::Receiver<bool>,
    send: S,
    outcome: &mut DispatchOutcome,
) -> anyhow::Result<()>
where
    S: Fn(notification::Model) -> F,
    F: Future<Output = (notification::Model, Finish)>,
{
    let settings = &state.settings.scheduler;
    let (start, mut started) = mpsc::unbounded_channel::<notification::Model>();
    let (done, finished) = mpsc::unbounded_channel();
    let sends = futures_util::stream::poll_fn(|cx| started.poll_recv(cx)).for_each_concurrent(
        settings.concurrency,
        |row| {
            let done = done.clone();
            let sending = send(row);
            async move {
                // The conveyor is gone only when the batch ended early; nothing to tell.
                let _ = done.send(sending.await);
            }
        },
    );
    let mut belt = Belt {
        state,
        token,
        waiting: claimed.into(),
        in_flight: HashMap::new(),
        finished,
        start,
        stop: stop.clone(),
        grace_ends: None,
        renew_at: Instant::now() + renew_every(settings.lease_seconds),
    };
    let run = belt.run(outcome);
    tokio::pin!(sends);
    // The sends never end first: their queue stays open until the conveyor returns.
    tokio::select! {
        result = run => result,
        () = &mut sends => Err(anyhow::anyhow!("the sends ended before their batch")),
    }
}

/// How often a lease of `lease_seconds` is renewed.
fn renew_every(lease_seconds: i64) -> Duration {
    Duration::from_millis(u64::try_from(lease_seconds).unwrap_or(1) * 1000 / 3)
        .max(Duration::from_millis(200))
}

/// The conveyor's state for one batch.
struct Belt<'a> {
    state: &'a AppState,
    token: &'a str,
    /// Claimed, not started yet.
    waiting: VecDeque<notification::Model>,
    /// Started, no outcome back yet.
    in_flight: HashMap<i64, notification::Model>,
    finished: mpsc::UnboundedReceiver<(notification::Model, Finish)>,
    start: mpsc::UnboundedSender<notification::Model>,
    stop: watch::Receiver<bool>,
    /// Set once stopping: when sends still in flight are given up.
    grace_ends: Option<Instant>,
    renew_at: Instant,
}

impl Belt<'_> {
    async fn run(&mut self, outcome: &mut DispatchOutcome) -> anyhow::Result<()> {
        let concurrency = self.state.settings.scheduler.concurrency;
        let mut back: Vec<(notification::Model, Finish)> = Vec::new();
        loop {
            // What comes back is recorded in the transaction that starts the next ones.
            let room = if self.grace_ends.is_some() {
                0
            } else {
                concurrency.saturating_sub(self.in_flight.len())
            };
            let starting: Vec<notification::Model> =
                self.waiting.drain(..room.min(self.waiting.len())).collect();
            // The batch is done once this is recorded: the claim can go with it.
            let done = self.in_flight.is_empty() && starting.is_empty() && self.waiting.is_empty();
            self.flush(&back, &starting, done).await?;
            tally(outcome, &back);
            back.clear();
            for row in starting {
                self.in_flight.insert(row.id, row.clone());
                self.start.send(row)?;
            }
            if self.in_flight.is_empty() && (self.waiting.is_empty() || self.grace_ends.is_some()) {
                break;
            }
            if !self.gather(&mut back).await? {
                // The grace period ran out with sends in flight.
                self.flush(&back, &[], false).await?;
                tally(outcome, &back);
                break;
            }
        }
        self.hand_back(outcome).await
    }

    /// Waits for outcomes until a group is ready to record, renewing the lease meanwhile.
    /// False when shutdown's grace period ran out first.
    async fn gather(
        &mut self,
        back: &mut Vec<(notification::Model, Finish)>,
    ) -> anyhow::Result<bool> {
        let mut flush_at: Option<Instant> = None;
        loop {
            let event = tokio::select! {
                biased;
                Some(result) = self.finished.recv() => Event::Finished(Box::new(result)),
                () = tokio::time::sleep_until(self.renew_at) => Event::Renew,
                _ = self.stop.wait_for(|stopped| *stopped), if self.grace_ends.is_none() => {
                    Event::Stop
                }
                () = sleep_until_some(self.grace_ends) => Event::GraceOver,
                () = sleep_until_some(flush_at) => return Ok(true),
            };
            match event {
                Event::Finished(result) => {
                    self.in_flight.remove(&result.0.id);
                    back.push(*result);
                    while let Ok(result) = self.finished.try_recv() {
                        self.in_flight.remove(&result.0.id);
                        back.push(result);
                    }
                    flush_at.get_or_insert_with(|| Instant::now() + FLUSH_AFTER);
                    if back.len() >= FLUSH_GROUP || self.in_flight.is_empty() {
                        return Ok(true);
                    }
                }
                Event::Renew => self.renew().await,
                Event::Stop => {
                    let grace = self.state.settings.scheduler.shutdown_grace_seconds;
                    self.grace_ends = Some(Instant::now() + Duration::from_secs(grace));
                    return Ok(true);
                }
                Event::GraceOver => return Ok(false),
            }
        }
    }

    /// Records `back` and starts `starting`, in one transaction that also ends the claim when
    /// the batch is `done`. While the database cannot be reached it tries again (every
    /// [`RETRY_FIRST`], doubling up to [`RETRY_MOST`]) rather than give up outcomes that came
    /// back: recorded late, they still hold while the claim is this node's. It gives up when
    /// the process is stopping.
    async fn flush(
        &self,
        back: &[(notification::Model, Finish)],
        starting: &[notification::Model],
        done: bool,
    ) -> anyhow::Result<()> {
        if back.is_empty() && starting.is_empty() && !done {
            return Ok(());
        }
        let mut stop = self.stop.clone();
        let mut wait = RETRY_FIRST;
        loop {
            let error = match self.record_and_start(back, starting, done).await {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            if *stop.borrow() {
                return Err(error.into());
            }
            tracing::warn!(
                error = %error,
                outcomes = back.len(),
                retry_in_ms = wait.as_millis(),
                "recording outcomes failed; trying again"
            );
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|stopped| *stopped) => {}
            }
            wait = (wait * 2).min(RETRY_MOST);
        }
    }

    async fn record_and_start(
        &self,
        back: &[(notification::Model, Finish)],
        starting: &[notification::Model],
        done: bool,
    ) -> Result<(), sea_orm::DbErr> {
        // Taken before waiting for the write lock: when the outcomes came back, not when a
        // writer ahead of this one let go.
        let now = self.now();
        let txn = begin_write(&self.state.db).await?;
        finish::record(&txn, self.token, back, now).await?;
        let ids: Vec<i64> = starting.iter().map(|row| row.id).collect();
        repo::mark_started(&txn, self.token, &ids).await?;
        if done {
            repo::end_claim(&txn, self.token).await?;
        }
        txn.commit().await
    }

    /// Keeps the batch's claim for another lease. A failure is only logged: the next renewal
    /// tries again, and the claim holds until the lease lapses.
    async fn renew(&mut self) {
        let lease = self.state.settings.scheduler.lease_seconds;
        let until = self.now() + chrono::Duration::seconds(lease);
        if let Err(error) = repo::renew_lease(&self.state.db, self.token, until).await {
            tracing::warn!(error = %error, "renewing the lease failed; trying again");
        }
        self.renew_at = Instant::now() + renew_every(lease);
    }

    /// After a stop: the unstarted are handed back as never tried, those still in flight as
    /// outcome unknown (they are sent again).
    async fn hand_back(&mut self, outcome: &mut DispatchOutcome) -> anyhow::Result<()> {
        let unstarted: Vec<i64> = self.waiting.drain(..).map(|row| row.id).collect();
        let unknown: Vec<notification::Model> =
            self.in_flight.drain().map(|(_, row)| row).collect();
        if unstarted.is_empty() && unknown.is_empty() {
            return Ok(());
        }
        let now = self.now();
        let txn = begin_write(&self.state.db).await?;
        outcome.released = repo::release(&txn, self.token, &unstarted, now).await?;
        let resent = repo::requeue_unknown(&txn, Some(self.token), &unknown, now).await?;
        repo::end_claim(&txn, self.token).await?;
        txn.commit().await?;
        outcome.unknown += resent;
        tracing::warn!(
            released = outcome.released,
            outcome_unknown = resent,
            "shutdown: unfinished notifications handed back"
        );
        Ok(())
    }

    fn now(&self) -> DateTime<Utc> {
        self.state.clock.now()
    }
}

/// What the conveyor woke up for while gathering outcomes.
enum Event {
    Finished(Box<(notification::Model, Finish)>),
    Renew,
    Stop,
    GraceOver,
}

/// Sleeps until `at`, or forever without one.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Counts recorded outcomes in the pass's figures and the metrics.
fn tally(outcome: &mut DispatchOutcome, recorded: &[(notification::Model, Finish)]) {
    for (row, finish) in recorded {
        let (label, count) = match finish {
            Finish::Sent { .. } => ("sent", &mut outcome.sent),
            Finish::Retry { .. } => ("retry", &mut outcome.retried),
            Finish::Failed { .. } => ("failed", &mut outcome.failed),
            Finish::Skipped { .. } => ("skipped", &mut outcome.skipped),
            Finish::Deferred { .. } => ("deferred", &mut outcome.deferred),
        };
        *count += 1;
        metrics::counter!("notifications_dispatched_total", "channel" => row.channel.as_str(), "outcome" => label)
            .increment(1);
    }
}
