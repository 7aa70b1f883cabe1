//! The dispatcher: claims due notifications in batches under a lease, sends them with bounded
//! concurrency outside any transaction, and records every attempt. Transient failures come back
//! later with exponential backoff; permanent ones, and those out of attempts, fail with their
//! code; work whose lease lapsed (its node died) is taken back.
//!
//! The batch is read and recorded here; one notification is sent and its fate decided in
//! `send`, the documents it attaches read in `attachments`.

mod attachments;
mod conveyor;
mod finish;
mod send;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use crate::db::begin_write;
use crate::domain::{BusinessId, Channel};
use crate::entities::{client, notification};
use crate::repositories::clients;
use crate::repositories::notifications as repo;
use crate::services::accounts::{self, BusinessRoutes};
use crate::services::unsubscribe::Links;
use crate::services::usage;
use crate::state::AppState;

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
    /// Lapsed leases taken back (their node died).
    pub reclaimed: u64,
    /// Of those taken back, and of those handed back at shutdown: sends that had started, so
    /// may have reached the provider, and are sent again.
    pub unknown: u64,
    /// Claimed but never started, handed back because of shutdown.
    pub released: u64,
}

/// Claims one batch, sends it and records the outcomes as they come back. `stop` ends the
/// batch: nothing more is started, sends in flight may finish within the grace period, the rest
/// are handed back.
pub async fn dispatch_once(
    state: &AppState,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<DispatchOutcome> {
    let settings = &state.settings.scheduler;
    let now = state.clock.now();
    let timer = std::time::Instant::now();
    let reclaimed = {
        let txn = begin_write(&state.db).await?;
        let reclaimed = repo::reclaim_expired(&txn, now).await?;
        txn.commit().await?;
        reclaimed
    };
    if reclaimed.unknown > 0 {
        tracing::warn!(
            outcome_unknown = reclaimed.unknown,
            "a node stopped during sends; those are sent again"
        );
    }
    let mut outcome = DispatchOutcome {
        reclaimed: reclaimed.untried + reclaimed.unknown,
        unknown: reclaimed.unknown,
        ..DispatchOutcome::default()
    };
    if *stop.borrow() {
        return Ok(count_unknown(outcome));
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
        return Ok(count_unknown(outcome));
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
    let prepared_at = timer.elapsed();

    let send = |row: notification::Model| {
        let client = current_clients.get(&row.client_id);
        let routes = routes.get(&row.business_id);
        let attachments = match attachments.get(&row.id) {
            None => Some(&[][..]),
            Some(files) => files.as_deref(),
        };
        let (links, quota) = (&links, &quota);
        async move {
            let finish =
                send::send_one(state, &row, client, routes, links, quota, attachments).await;
            (row, finish)
        }
    };
    conveyor::work(state, token, claimed, stop, send, &mut outcome).await?;
    tracing::debug!(
        ?outcome,
        reclaim_ms = reclaimed_at.as_millis(),
        claim_ms = (claimed_at - reclaimed_at).as_millis(),
        prepare_ms = (prepared_at - claimed_at).as_millis(),
        send_and_record_ms = (timer.elapsed() - prepared_at).as_millis(),
        "dispatch pass"
    );
    Ok(count_unknown(outcome))
}

/// Counts the pass's sends of unknown outcome in `/metrics`.
fn count_unknown(outcome: DispatchOutcome) -> DispatchOutcome {
    metrics::counter!("notifications_outcome_unknown_total").increment(outcome.unknown);
    outcome
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
