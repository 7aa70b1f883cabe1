//! Retry delays: exponential from `RETRY_BACKOFF_SECONDS`, with jitter so retries of a batch
//! that failed together do not come back together; a provider's `Retry-After` wins when longer.

use std::time::Duration;

/// The longest wait between two tries.
const CAP: Duration = Duration::from_secs(6 * 3600);

/// The delay before try number `attempt + 1`, after `attempt` tries (1-based).
pub fn delay(base_seconds: f64, attempt: i32, retry_after: Option<Duration>) -> Duration {
    let exponent = attempt.saturating_sub(1).clamp(0, 30);
    let nominal = base_seconds.max(0.0) * f64::from(1u32 << exponent);
    let jitter = 0.5 + rand::random::<f64>();
    let computed = Duration::try_from_secs_f64(nominal * jitter)
        .unwrap_or(CAP)
        .min(CAP);
    match retry_after {
        Some(wait) if wait > computed => wait.min(CAP),
        _ => computed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_the_jitter_and_respect_retry_after() {
        for attempt in 1..=5 {
            let nominal = 30.0 * f64::from(1u32 << (attempt - 1));
            let got = delay(30.0, attempt, None).as_secs_f64();
            assert!(
                got >= nominal * 0.5 && got <= nominal * 1.5,
                "attempt {attempt}: {got}"
            );
        }
        assert_eq!(
            delay(1.0, 1, Some(Duration::from_secs(120))),
            Duration::from_secs(120)
        );
        assert!(delay(30.0, 40, None) <= CAP);
    }
}
