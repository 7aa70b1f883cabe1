//! Pacing and concurrency per provider account, so a large batch is spread over time instead of
//! being refused by the provider (Twilio's per-sender throughput, WhatsApp's tier, an SMTP
//! server's limits).
//!
//! Each send reserves the account's next free slot (one every `1 / rate` seconds). A slot
//! within the horizon is waited for; one further away is not reserved: the message goes back
//! to the queue for about when its turn comes, staggered behind the others already sent back,
//! so no lease is held while waiting and other accounts are not held up. Time is the app's
//! clock. Pacing is per process: with several worker nodes each paces on its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

/// Sends in flight per account at most.
pub const ACCOUNT_CONCURRENCY: usize = 4;

/// The longest a send waits for its slot in-process; later slots go back to the queue.
pub const HORIZON: Duration = Duration::from_secs(5);

/// What a send should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Wait this long, then send.
    Wait(Duration),
    /// Too far off: try again at this time.
    Later(DateTime<Utc>),
}

#[derive(Debug)]
struct AccountPace {
    /// The next free slot.
    next_slot: DateTime<Utc>,
    /// Where the next message sent back to the queue lines up.
    deferred_tail: DateTime<Utc>,
    permits: Arc<Semaphore>,
}

impl AccountPace {
    fn new(now: DateTime<Utc>) -> Self {
        Self {
            next_slot: now,
            deferred_tail: now,
            permits: Arc::new(Semaphore::new(ACCOUNT_CONCURRENCY)),
        }
    }
}

/// Slots and permits per account key.
#[derive(Debug, Default)]
pub struct Pacer {
    accounts: Mutex<HashMap<String, AccountPace>>,
}

impl Pacer {
    /// Reserves a slot at `now` for one message of the account, at `per_second` a second.
    pub fn reserve(&self, key: &str, per_second: f64, now: DateTime<Utc>) -> Pace {
        let interval = Duration::from_secs_f64(1.0 / per_second.clamp(0.01, 1000.0));
        let interval = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::zero());
        let horizon = chrono::Duration::from_std(HORIZON).unwrap_or(chrono::Duration::zero());
        let Ok(mut accounts) = self.accounts.lock() else {
            return Pace::Wait(Duration::ZERO);
        };
        let pace = accounts
            .entry(key.to_owned())
            .or_insert_with(|| AccountPace::new(now));
        let slot = pace.next_slot.max(now);
        if slot - now <= horizon {
            pace.next_slot = slot + interval;
            return Pace::Wait((slot - now).to_std().unwrap_or_default());
        }
        let later = pace.deferred_tail.max(slot);
        pace.deferred_tail = later + interval;
        Pace::Later(later)
    }

    /// Limits the sends in flight of the account.
    pub fn permits(&self, key: &str, now: DateTime<Utc>) -> Arc<Semaphore> {
        match self.accounts.lock() {
            Ok(mut accounts) => Arc::clone(
                &accounts
                    .entry(key.to_owned())
                    .or_insert_with(|| AccountPace::new(now))
                    .permits,
            ),
            Err(_) => Arc::new(Semaphore::new(ACCOUNT_CONCURRENCY)),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn slots_are_spaced_by_the_rate_and_far_ones_are_sent_back_staggered() {
        let pacer = Pacer::default();
        let start = Utc.with_ymd_and_hms(2027, 1, 15, 9, 0, 0).unwrap();
        let ms = chrono::Duration::milliseconds;
        // 2 per second: slots at 0, 0.5, … 5.0 s fit the 5 s horizon.
        for index in 0..11 {
            assert_eq!(
                pacer.reserve("a", 2.0, start),
                Pace::Wait(Duration::from_millis(500 * index))
            );
        }
        assert_eq!(
            pacer.reserve("a", 2.0, start),
            Pace::Later(start + ms(5500))
        );
        assert_eq!(
            pacer.reserve("a", 2.0, start),
            Pace::Later(start + ms(6000))
        );
        // Another account is not held up.
        assert_eq!(pacer.reserve("b", 2.0, start), Pace::Wait(Duration::ZERO));
        // Once time has passed, slots free up again.
        let later = start + chrono::Duration::minutes(1);
        assert_eq!(pacer.reserve("a", 2.0, later), Pace::Wait(Duration::ZERO));
    }
}
