//! Prometheus metrics: one recorder per process, rendered by `GET /metrics`.
//!
//! | metric | labels | |
//! |---|---|---|
//! | `http_requests_total`, `http_request_duration_seconds` | method, route, status | route is the template (`/api/v1/clients/{id}`) |
//! | `notifications_created_total` | channel, status | `pending` or `skipped` when planned or sent by hand |
//! | `notifications_dispatched_total` | channel, outcome | `sent`, `retry`, `failed`, `skipped`, `deferred` |
//! | `provider_request_duration_seconds`, `provider_errors_total` | provider (, kind) | each send to SMTP, Twilio, WhatsApp |
//! | `notifications_due`, `notifications_scheduled`, `notifications_oldest_due_seconds` | | queue depth and scheduler lag, read at scrape |
//! | `scheduler_heartbeat_timestamp_seconds` | loop | last pass of the planner and the dispatcher |

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Suffix("duration_seconds".into()),
                &[
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                ],
            )
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed");
        }
        handle
    })
}
