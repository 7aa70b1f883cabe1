//! The dispatcher: claims due notifications in batches under a lease, sends them with bounded
//! concurrency outside any transaction, and records every attempt. Transient failures come back
//! later with exponential backoff; permanent ones, and those out of attempts, fail with their
//! code; work whose lease lapsed (its node died) is taken back.
//!
//! The batch is read and recorded here; one notification is sent and its fate decided in
//! `send`, the documents it attaches read in `attachments`.

mod attachments;
mod finish;
mod send;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;

use crate::db::begin_write;
use crate::domain::{BusinessId, Channel};
use crate::entities::{client, notification};
use crate::repositories::clients;
use crate::repositories::notifications as repo;
use crate::services::accounts::{self, BusinessRoutes};
use crate::services::unsubscribe::Links;
use crate::services::usage;
use crate::state::AppState;
use finish::Finish;

/// What one dispatch pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DispatchOutcome {
    /// Notifications claimed.
    pub claimed: usize,
    /// Accepted by a provider.
    pub sent: usize,
    /// Failed transiently and queued again.
    pub retried: usize,
    /// Failed for good.
    pub failed: usize,
    /// Skipped (opted out since planning).
    pub skipped: usize,
    /// Sent back to the queue to keep to a provider account's pace.
    pub deferred: usize,
    /// Lapsed leases taken back.
    pub reclaimed: u64,
    /// Claimed but handed back because of shutdown.
    pub released: u64,
}

/// Claims one batch, sends it and records the outcomes. `stop` ends the wait for sends in
/// flight: those that finish within the grace period are recorded, the rest handed back
/// or handed back when `grace` runs out.
pub async fn dispatch_once(
    state: &AppState,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<DispatchOutcome> {
    let settings = &state.settings.scheduler;
    let now = state.clock.now();
    let timer = std::time::Instant::now();
    let mut outcome = DispatchOutcome {
        reclaimed: {
            let txn = begin_write(&state.db).await?;
            let reclaimed = repo::reclaim_expired(&txn, now).await?;
            txn.commit().await?;
            reclaimed
        },
        ..DispatchOutcome::default()
    };
    if *stop.borrow() {
        return Ok(outcome);
    }
    let token = uuid::Uuid::new_v4().to_string();
    let token = token.as_str();
    let lease_until = now + chrono::Duration::seconds(settings.lease_seconds);
    let reclaimed_at = timer.elapsed();
    let txn = begin_write(&state.db).await?;
    let claimed = repo::claim_due(&txn, now, settings.batch_size, token, lease_until).await?;
    txn.commit().await?;
    let claimed_at = timer.elapsed();
    outcome.claimed = claimed.len();
    if claimed.is_empty() {
        return Ok(outcome);
    }

    // Opt-outs recorded since planning are honoured now.
    let client_ids: Vec<i64> = claimed
        .iter()
        .map(|n| n.client_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let current_clients: HashMap<i64, client::Model> =
        clients::find_many_any(&state.db, &client_ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();

    let business_ids: Vec<i64> = claimed
        .iter()
        .map(|n| n.business_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let routes =
        accounts::resolve(&state.db, &state.secrets, &state.settings, &business_ids).await?;
    let links = Links::of(state);
    let quota = Quota::load(state, &routes, now).await?;
    let attachments = attachments::attachments_of(state, &claimed).await;

    let finished: Arc<Mutex<Vec<(notification::Model, Finish)>>> = Arc::default();
    let sends = futures_util::stream::iter(claimed.clone()).for_each_concurrent(
        settings.concurrency,
        |row| {
            let finished = Arc::clone(&finished);
            let client = current_clients.get(&row.client_id).cloned();
            let routes = routes.get(&row.business_id);
            let links = &links;
            let quota = &quota;
            let attachments = match attachments.get(&row.id) {
                None => Some(&[][..]),
                Some(files) => files.as_deref(),
            };
            async move {
                let finish = send::send_one(
                    state,
                    &row,
                    client.as_ref(),
                    routes,
                    links,
                    quota,
                    attachments,
                )
                .await;
                if let Ok(mut finished) = finished.lock() {
                    finished.push((row, finish));
                }
            }
        },
    );
    let mut stop = stop.clone();
    tokio::pin!(sends);
    let stopping = tokio::select! {
        () = &mut sends => false,
        _ = stop.wait_for(|stopped| *stopped) => true,
    };
    // Shutting down: sends in flight may finish within the grace period.
    let completed = !stopping
        || tokio::time::timeout(
            Duration::from_secs(settings.shutdown_grace_seconds),
            &mut sends,
        )
        .await
        .is_ok();
    let finished = finished.lock().map(|f| f.clone()).unwrap_or_default();
    let done_ids: HashSet<i64> = finished.iter().map(|(row, _)| row.id).collect();
    for (row, finish) in &finished {
        let outcome_label = match finish {
            Finish::Sent { .. } => "sent",
            Finish::Retry { .. } => "retry",
            Finish::Failed { .. } => "failed",
            Finish::Skipped { .. } => "skipped",
            Finish::Deferred { .. } => "deferred",
        };
        metrics::counter!("notifications_dispatched_total", "channel" => row.channel.as_str(), "outcome" => outcome_label)
            .increment(1);
        match finish {
            Finish::Sent { .. } => outcome.sent += 1,
            Finish::Retry { .. } => outcome.retried += 1,
            Finish::Failed { .. } => outcome.failed += 1,
            Finish::Skipped { .. } => outcome.skipped += 1,
            Finish::Deferred { .. } => outcome.deferred += 1,
        }
    }
    let sent_at = timer.elapsed();
    let txn = begin_write(&state.db).await?;
    finish::record(&txn, token, &finished, state.clock.now()).await?;
    txn.commit().await?;
    if !completed {
        let unfinished: Vec<i64> = claimed
            .iter()
            .map(|n| n.id)
            .filter(|id| !done_ids.contains(id))
            .collect();
        outcome.released = repo::release(&state.db, token, &unfinished, state.clock.now()).await?;
        tracing::warn!(
            released = outcome.released,
            "shutdown: unfinished notifications handed back"
        );
    }
    let recorded_at = timer.elapsed();
    tracing::debug!(
        ?outcome,
        reclaim_ms = reclaimed_at.as_millis(),
        claim_ms = (claimed_at - reclaimed_at).as_millis(),
        send_ms = (sent_at - claimed_at).as_millis(),
        record_ms = (recorded_at - sent_at).as_millis(),
        "dispatch pass"
    );
    Ok(outcome)
}

/// What capped businesses may still send this month, per channel; taken as sends start.
struct Quota {
    remaining: Mutex<HashMap<(i64, Channel), i64>>,
    /// When the next billing month starts (where held sends wait).
    next_period: chrono::DateTime<chrono::Utc>,
}

impl Quota {
    async fn load(
        state: &AppState,
        routes: &HashMap<i64, BusinessRoutes>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<Self> {
        let (start, end) = usage::month_of(now);
        let mut remaining = HashMap::new();
        for (business, routes) in routes {
            if routes.usage_caps.is_empty() {
                continue;
            }
            let used =
                usage::messages_per_channel(&state.db, BusinessId(*business), start, end).await?;
            for channel in [Channel::Email, Channel::Sms, Channel::Whatsapp] {
                if let Some(cap) = routes.usage_caps.of(channel) {
                    let sent = used.get(&channel).map_or(0, |(messages, _)| *messages);
                    remaining.insert((*business, channel), cap - sent);
                }
            }
        }
        Ok(Self {
            remaining: Mutex::new(remaining),
            next_period: end,
        })
    }

    /// Takes one message of the allowance; false when the cap is reached.
    fn take(&self, business: i64, channel: Channel) -> bool {
        let Ok(mut remaining) = self.remaining.lock() else {
            return true;
        };
        match remaining.get_mut(&(business, channel)) {
            None => true,
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            Some(_) => false,
        }
    }
}
