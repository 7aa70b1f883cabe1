//! Who each access token recently checked speaks for, kept by each process for at most
//! [`TokenCache::TTL`], so an authenticated request costs no database round trip while its
//! token's answer is fresh.
//!
//! What can end a token's access (signing out, a password change or reset, a user disabled,
//! demoted or removed) takes effect at once on the node that made the change — it forgets
//! everything it kept — and on every other node within [`TokenCache::TTL`], when its entry is
//! checked again. A token's signature and expiry are checked on every request, before the cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::domain::Actor;

/// Recently checked access tokens (by `jti`) and who they speak for.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, Entry>>,
    /// Bumped by [`TokenCache::forget_all`]; a check begun before a bump is not kept.
    generation: AtomicU64,
}

#[derive(Debug)]
struct Entry {
    actor: Actor,
    checked: Instant,
}

/// Taken before a token is checked against the database: the answer is kept only when nothing
/// was forgotten meanwhile, so a check that raced a sign-out cannot keep a stale answer.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl TokenCache {
    /// How long an answer is kept: the bound on how late another node sees a revocation.
    pub const TTL: Duration = Duration::from_secs(1);
    /// Tokens kept at most; past it, stale entries go, and if none is stale, all do.
    pub const MAX_ENTRIES: usize = 10_000;

    fn entries(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // Entries are plain values: one left by a panicking holder is still whole.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Who the token `jti` speaks for, when it was checked within [`TokenCache::TTL`].
    pub fn get(&self, jti: &str) -> Option<Actor> {
        self.entries()
            .get(jti)
            .filter(|entry| entry.checked.elapsed() < Self::TTL)
            .map(|entry| entry.actor)
    }

    /// Taken before checking a token, to hand to [`TokenCache::keep`].
    pub fn ticket(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::Acquire))
    }

    /// Keeps a check's answer, unless something was forgotten since `ticket` was taken.
    pub fn keep(&self, ticket: Ticket, jti: &str, actor: Actor) {
        let mut entries = self.entries();
        if self.generation.load(Ordering::Acquire) != ticket.0 {
            return;
        }
        if entries.len() >= Self::MAX_ENTRIES {
            entries.retain(|_, entry| entry.checked.elapsed() < Self::TTL);
            if entries.len() >= Self::MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(
            jti.to_owned(),
            Entry {
                actor,
                checked: Instant::now(),
            },
        );
    }

    /// Forgets every answer: called after a change that may end or narrow a token's access
    /// has been committed.
    pub fn forget_all(&self) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{BusinessId, Role, UserId};

    fn actor() -> Actor {
        Actor {
            user: UserId(1),
            business: BusinessId(2),
            role: Role::Owner,
        }
    }

    #[test]
    fn an_answer_is_kept_and_forgotten() {
        let cache = TokenCache::default();
        assert!(cache.get("a").is_none());
        cache.keep(cache.ticket(), "a", actor());
        assert_eq!(cache.get("a").map(|a| a.user), Some(UserId(1)));
        cache.forget_all();
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn a_check_begun_before_a_forget_is_not_kept() {
        let cache = TokenCache::default();
        let ticket = cache.ticket();
        cache.forget_all();
        cache.keep(ticket, "a", actor());
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn the_cache_stays_within_its_bound() {
        let cache = TokenCache::default();
        for n in 0..=TokenCache::MAX_ENTRIES {
            cache.keep(cache.ticket(), &n.to_string(), actor());
        }
        assert!(cache.entries().len() <= TokenCache::MAX_ENTRIES);
        assert!(cache.get(&TokenCache::MAX_ENTRIES.to_string()).is_some());
    }
}
