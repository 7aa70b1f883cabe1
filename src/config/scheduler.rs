//! The scheduler section: how the planner and the dispatcher run.

use super::reader::Reader;

/// How the planner and the dispatcher run.
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// `DISABLE_SCHEDULER` (default false): this process neither plans nor sends (an API-only
    /// node).
    pub disabled: bool,
    /// `SCHEDULER_TIMEZONE` (an IANA name, default `UTC`): the zone new businesses start in.
    pub default_timezone: chrono_tz::Tz,
    /// `MISFIRE_GRACE_SECONDS` (default 3600): an occurrence late by at most this many seconds
    /// is still sent; older ones are recorded as missed.
    pub misfire_grace_seconds: i64,
    /// `MAX_ATTEMPTS` (at least 1, default 5): tries per notification.
    pub max_attempts: i32,
    /// `RETRY_BACKOFF_SECONDS` (default 30): the first retry's delay; it doubles, with jitter.
    pub retry_backoff_seconds: f64,
    /// `DISPATCH_BATCH_SIZE` (at least 1, default 500): notifications claimed at once.
    pub batch_size: u64,
    /// `DISPATCH_CONCURRENCY` (at least 1, default 32): sends in flight at once per process,
    /// which bounds the sends a crash of the process may repeat.
    pub concurrency: usize,
    /// `LEASE_SECONDS` (at least 1, default 10): how long a claim holds, unless renewed, before
    /// another node may take the work; a node renews its claims every third of it.
    pub lease_seconds: i64,
    /// `SCHEDULER_POLL_SECONDS` (default 5): the longest the loops sleep when nothing is due.
    pub poll_seconds: f64,
    /// `SHUTDOWN_GRACE_SECONDS` (default 10): how long in-flight sends may finish after
    /// SIGTERM.
    pub shutdown_grace_seconds: u64,
    /// `MIN_OCCURRENCE_INTERVAL_SECONDS` (at least 1, default 3600): the shortest gap a schedule
    /// may leave between two of its occurrences, checked on the occurrences themselves.
    pub min_occurrence_interval_seconds: i64,
}

const AT_LEAST_ONE: &str = "must be at least 1";

impl SchedulerSettings {
    /// Reads the section; counts, leases and intervals below 1 are refused.
    pub(super) fn read(r: &mut Reader) -> Self {
        let mut at_least_one = |name: &'static str, default: i64| {
            r.with_default_checked(name, default, |value| *value >= 1, AT_LEAST_ONE)
        };
        let max_attempts = at_least_one("MAX_ATTEMPTS", 5);
        let batch_size = at_least_one("DISPATCH_BATCH_SIZE", 500);
        let concurrency = at_least_one("DISPATCH_CONCURRENCY", 32);
        let lease_seconds = at_least_one("LEASE_SECONDS", 10);
        let min_occurrence_interval_seconds = at_least_one("MIN_OCCURRENCE_INTERVAL_SECONDS", 3600);
        let max_attempts = r
            .check(
                "MAX_ATTEMPTS",
                i32::try_from(max_attempts).map_err(|_| "too large".to_owned()),
            )
            .unwrap_or(5);
        Self {
            disabled: r.flag("DISABLE_SCHEDULER", false),
            default_timezone: r
                .parsed("SCHEDULER_TIMEZONE", |name| {
                    name.trim()
                        .parse()
                        .map_err(|_| format!("{name:?} is not an IANA time zone"))
                })
                .unwrap_or(chrono_tz::UTC),
            misfire_grace_seconds: r.with_default("MISFIRE_GRACE_SECONDS", 3600),
            max_attempts,
            retry_backoff_seconds: r.with_default("RETRY_BACKOFF_SECONDS", 30.0),
            batch_size: u64::try_from(batch_size).unwrap_or(500),
            concurrency: usize::try_from(concurrency).unwrap_or(64),
            lease_seconds,
            poll_seconds: r.with_default("SCHEDULER_POLL_SECONDS", 5.0),
            shutdown_grace_seconds: r.with_default("SHUTDOWN_GRACE_SECONDS", 10),
            min_occurrence_interval_seconds,
        }
    }
}
