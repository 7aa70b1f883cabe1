//! The dispatcher: claims due notifications in batches under a lease, sends them with bounded
//! concurrency outside any transaction, and records every attempt. Transient failures come back
//! later with exponential backoff; permanent ones, and those out of attempts, fail with their
//! code; work whose lease lapsed (its node died) is taken back.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};

use super::backoff;
use crate::channels::accounts::Route;
use crate::channels::pacer::Pace;
use crate::channels::{Attachment, ChannelError, OutgoingMessage};
use crate::db::begin_write;
use crate::domain::{BusinessId, Channel, ClientId};
use crate::entities::{client, notification};
use crate::repositories::clients;
use crate::repositories::notifications::{self as repo, Finish};
use crate::services::accounts::{self, BusinessRoutes};
use crate::services::messages::opted_out_now;
use crate::services::unsubscribe::Links;
use crate::services::usage;
use crate::state::AppState;

/// The longest one send may take before it counts as a transient failure.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

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
    let attachments = attachments_of(state, &claimed).await;

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
                let finish = send_one(
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
    repo::finish_many(&txn, token, &finished, state.clock.now()).await?;
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

/// The files each e-mail of a batch attaches (by notification id), every document read once.
/// A document deleted since the message was written is left out (its link answers 410); one
/// that exists but cannot be read now makes the row `None`, to be tried again later rather
/// than sent without it.
async fn attachments_of(
    state: &AppState,
    rows: &[notification::Model],
) -> HashMap<i64, Option<Vec<Attachment>>> {
    let wanted: Vec<(&notification::Model, Vec<i64>)> = rows
        .iter()
        .map(|row| {
            let ids = row.attachment_ids.clone().map(|ids| ids.0);
            (row, ids.unwrap_or_default())
        })
        .filter(|(_, ids)| !ids.is_empty())
        .collect();
    let mut by_row = HashMap::new();
    if wanted.is_empty() {
        return by_row;
    }
    let mut ids: Vec<i64> = wanted
        .iter()
        .flat_map(|(_, ids)| ids.iter().copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let documents = match crate::repositories::document_links::documents(&state.db, &ids).await {
        Ok(documents) => documents,
        Err(error) => {
            tracing::warn!(%error, "attachments not read");
            return wanted.iter().map(|(row, _)| (row.id, None)).collect();
        }
    };
    let mut files: HashMap<i64, Attachment> = HashMap::new();
    for (id, row) in &documents {
        match state.documents.get(&state.db, row).await {
            Ok(bytes) => {
                files.insert(
                    *id,
                    Attachment {
                        name: row.name.clone(),
                        content_type: row.content_type.clone(),
                        bytes: Arc::new(bytes),
                    },
                );
            }
            Err(error) => tracing::warn!(document_id = id, %error, "attachment not read"),
        }
    }
    for (row, ids) in wanted {
        // Only the business's own documents, whatever the row says; gone ones are left out.
        let attached = ids
            .iter()
            .filter(|id| {
                documents
                    .get(id)
                    .is_some_and(|d| d.business_id == row.business_id)
            })
            .map(|id| files.get(id).cloned())
            .collect::<Option<Vec<_>>>();
        by_row.insert(row.id, attached);
    }
    by_row
}

/// Sends one notification (catching panics and bounding its time) and decides its fate.
async fn send_one(
    state: &AppState,
    row: &notification::Model,
    client: Option<&client::Model>,
    routes: Option<&BusinessRoutes>,
    links: &Links,
    quota: &Quota,
    attachments: Option<&[Attachment]>,
) -> Finish {
    let channel = row.channel;
    match client {
        None => {
            return Finish::Skipped {
                code: "client_deleted".into(),
            };
        }
        Some(client) if opted_out_now(client, channel) => {
            return Finish::Skipped {
                code: "opted_out".into(),
            };
        }
        Some(_) => {}
    }
    let Some(recipient) = row.recipient.clone() else {
        return Finish::Skipped {
            code: "no_address".into(),
        };
    };
    let Some(routes) = routes else {
        return Finish::Skipped {
            code: "business_deleted".into(),
        };
    };
    if !quota.take(row.business_id, channel) {
        return Finish::Deferred {
            next_attempt_at: quota.next_period,
            code: Some("quota_exceeded"),
        };
    }
    let route = routes.route(channel).clone();
    let message = OutgoingMessage {
        notification_id: row.id,
        business_id: row.business_id,
        channel,
        recipient,
        subject: row.subject.clone(),
        body: row.body.clone(),
        route,
        sender_name: routes.name.clone(),
        reply_to: routes.email_from.clone(),
        sender: routes.sender(channel, row.sender_identity_id),
        unsubscribe_url: (channel == Channel::Email)
            .then(|| links.unsubscribe(ClientId(row.client_id), Channel::Email)),
        whatsapp_template: row.whatsapp_template.clone(),
        attachments: attachments.map(<[Attachment]>::to_vec).unwrap_or_default(),
    };
    if attachments.is_none() {
        return fate(
            state,
            row,
            channel,
            Err(ChannelError::Transient {
                code: "attachment_unavailable".into(),
                message: "a document it attaches cannot be read now".into(),
                retry_after: None,
            }),
        )
        .await;
    }
    // Keep to the account's pace: wait for a near slot, or go back to the queue for a far one.
    let permits = match &message.route {
        Route::Provider(account) => {
            let key = message.pace_key(account);
            let now = state.clock.now();
            match state.pacer.reserve(&key, account.rate_per_second(), now) {
                Pace::Wait(wait) => tokio::time::sleep(wait).await,
                Pace::Later(at) => {
                    return Finish::Deferred {
                        next_attempt_at: at,
                        code: None,
                    };
                }
            }
            Some(state.pacer.permits(&key, now))
        }
        _ => None,
    };
    let _permit = match &permits {
        Some(permits) => permits.acquire().await.ok(),
        None => None,
    };
    let provider = match &message.route {
        Route::Provider(account) => account.provider(),
        Route::Console => "console",
        Route::Unavailable { .. } => "none",
    };
    let transport = state.channels.transport(channel).clone();
    let attempt = AssertUnwindSafe(tokio::time::timeout(SEND_TIMEOUT, transport.send(&message)))
        .catch_unwind();
    let started = std::time::Instant::now();
    let result = attempt.await;
    metrics::histogram!("provider_request_duration_seconds", "provider" => provider)
        .record(started.elapsed().as_secs_f64());
    if let Ok(Ok(Err(error))) = &result {
        let kind = match error {
            ChannelError::Transient { .. } => "transient",
            ChannelError::Permanent { .. } => "permanent",
        };
        metrics::counter!("provider_errors_total", "provider" => provider, "kind" => kind)
            .increment(1);
    }
    let result = match result {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(ChannelError::Transient {
            code: "timeout".into(),
            message: format!("no answer within {} s", SEND_TIMEOUT.as_secs()),
            retry_after: None,
        }),
        Err(_) => {
            tracing::error!(notification_id = row.id, "a transport panicked");
            Err(ChannelError::Transient {
                code: "panic".into(),
                message: "the transport failed unexpectedly".into(),
                retry_after: None,
            })
        }
    };
    fate(state, row, channel, result).await
}

/// What becomes of a notification after a send: sent, retried later, or failed.
async fn fate(
    state: &AppState,
    row: &notification::Model,
    channel: Channel,
    result: Result<crate::channels::Delivery, ChannelError>,
) -> Finish {
    let settings = &state.settings.scheduler;
    match result {
        Ok(delivery) => Finish::Sent {
            provider: delivery.provider,
            provider_message_id: delivery.provider_message_id,
            segments: delivery.segments,
        },
        Err(ChannelError::Permanent { code, message }) => {
            tracing::info!(notification_id = row.id, %code, "send failed permanently");
            // Twilio 21610: the number replied STOP; Twilio blocks it, so do we.
            if channel == Channel::Sms
                && code == "21610"
                && let Err(error) =
                    clients::opt_out(&state.db, ClientId(row.client_id), Channel::Sms).await
            {
                tracing::warn!(notification_id = row.id, %error, "could not record the opt-out");
            }
            Finish::Failed { code, message }
        }
        Err(ChannelError::Transient {
            code,
            message,
            retry_after,
        }) => {
            // `attempt_count` already counts this try (it is raised at claim time).
            if row.attempt_count >= settings.max_attempts {
                tracing::info!(notification_id = row.id, %code, "out of attempts");
                return Finish::Failed {
                    code,
                    message: format!("{message} (gave up after {} attempts)", row.attempt_count),
                };
            }
            let wait = backoff::delay(
                settings.retry_backoff_seconds,
                row.attempt_count,
                retry_after,
            );
            let wait =
                chrono::Duration::from_std(wait).unwrap_or_else(|_| chrono::Duration::hours(6));
            tracing::info!(notification_id = row.id, %code, wait_seconds = wait.num_seconds(), "send failed; will retry");
            Finish::Retry {
                next_attempt_at: state.clock.now() + wait,
                code,
                message,
            }
        }
    }
}
