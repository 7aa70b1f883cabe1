//! Answers a process keeps for a short, fixed time: who an access token speaks for, how long a
//! list is. An answer is served while it is younger than the cache's time to live; whatever
//! changes the answers on this node forgets them all at once, and a lookup that began before
//! such a change keeps nothing, so a stale answer can outlive a local change by no time at all
//! and a change on another node by at most the time to live.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Answers by key, each kept for at most `ttl`.
#[derive(Debug)]
pub struct FreshCache<K, V> {
    entries: Mutex<HashMap<K, (V, Instant)>>,
    /// Bumped by [`FreshCache::forget_all`]; a lookup begun before a bump is not kept.
    generation: AtomicU64,
    ttl: Duration,
    max_entries: usize,
}

/// Taken before an answer is looked up at its source: the answer is kept only when nothing was
/// forgotten meanwhile, so a lookup that raced a change cannot keep what it found before it.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl<K: Eq + Hash, V: Clone> FreshCache<K, V> {
    /// An empty cache keeping answers for `ttl`, at most `max_entries` of them (past it, stale
    /// entries go, and if none is stale, all do).
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            ttl,
            max_entries,
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<K, (V, Instant)>> {
        // Entries are plain values: one left by a panicking holder is still whole.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The answer for `key`, when it was found within the time to live.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.entries()
            .get(key)
            .filter(|(_, found)| found.elapsed() < self.ttl)
            .map(|(value, _)| value.clone())
    }

    /// Taken before looking an answer up, to hand to [`FreshCache::keep`].
    pub fn ticket(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::Acquire))
    }

    /// Keeps an answer, unless something was forgotten since `ticket` was taken.
    pub fn keep(&self, ticket: Ticket, key: K, value: V) {
        let mut entries = self.entries();
        if self.generation.load(Ordering::Acquire) != ticket.0 {
            return;
        }
        if entries.len() >= self.max_entries {
            entries.retain(|_, (_, found)| found.elapsed() < self.ttl);
            if entries.len() >= self.max_entries {
                entries.clear();
            }
        }
        entries.insert(key, (value, Instant::now()));
    }

    /// Forgets every answer: called once a change that may alter them is committed.
    pub fn forget_all(&self) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// How many answers are held (fresh or not).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> FreshCache<String, u32> {
        FreshCache::new(Duration::from_secs(60), 3)
    }

    #[test]
    fn an_answer_is_kept_and_forgotten() {
        let cache = cache();
        assert!(cache.get("a").is_none());
        cache.keep(cache.ticket(), "a".into(), 1);
        assert_eq!(cache.get("a"), Some(1));
        cache.forget_all();
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn a_lookup_begun_before_a_forget_is_not_kept() {
        let cache = cache();
        let ticket = cache.ticket();
        cache.forget_all();
        cache.keep(ticket, "a".into(), 1);
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn an_answer_older_than_its_time_to_live_is_not_served() {
        let cache = FreshCache::new(Duration::ZERO, 3);
        cache.keep(cache.ticket(), "a".to_owned(), 1);
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn the_cache_stays_within_its_bound() {
        let cache = cache();
        for n in 0..=3 {
            cache.keep(cache.ticket(), n.to_string(), n);
        }
        assert!(cache.len() <= 3);
        assert_eq!(cache.get("3"), Some(3));
    }
}
