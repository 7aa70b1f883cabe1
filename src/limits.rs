//! Per-address request quotas (governor), one per group of routes attackers hammer; the HTTP
//! layer answers 429 with their wait. Per process.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Addresses remembered before those back at full quota are dropped.
const FORGET_ABOVE: usize = 10_000;

/// One quota per client address.
pub struct AddressLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl AddressLimiter {
    /// `per_minute` requests a minute, the whole minute's worth allowed in a burst.
    pub fn per_minute(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    /// `Err(seconds to wait)` when the address is over its quota.
    pub fn check(&self, address: IpAddr) -> Result<(), u64> {
        // Addresses whose quota has refilled are forgotten, so memory stays bounded however
        // many addresses (or forged X-Forwarded-For values) pass by.
        if self.limiter.len() >= FORGET_ABOVE {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&address).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }
}

/// The limiters of the process.
pub struct Limiters {
    pub auth: AddressLimiter,
    pub webhooks: AddressLimiter,
}
