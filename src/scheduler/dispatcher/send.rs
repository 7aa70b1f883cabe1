//! Sending one claimed notification and deciding its fate: skipped (its client or business gone,
//! the client opted out, no address), held back by the business's monthly cap or its account's
//! pace, or sent with its time bounded and panics caught; then sent, retried later with backoff,
//! or failed.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;

use super::super::backoff;
use super::Quota;
use super::finish::Finish;
use crate::channels::accounts::Route;
use crate::channels::pacer::Pace;
use crate::channels::{Attachment, ChannelError, OutgoingMessage};
use crate::domain::{Channel, ClientId};
use crate::entities::{client, notification};
use crate::repositories::clients;
use crate::services::accounts::BusinessRoutes;
use crate::services::messages::opted_out_now;
use crate::services::unsubscribe::Links;
use crate::state::AppState;

/// The longest one send may take before it counts as a transient failure.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends one notification (catching panics and bounding its time) and decides its fate.
pub(super) async fn send_one(
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
