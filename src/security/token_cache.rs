//! Who each access token recently checked speaks for, kept by each process for at most
//! [`TokenCache::TTL`], so an authenticated request costs no database round trip while its
//! token's answer is fresh.
//!
//! What can end a token's access (signing out, a password change or reset, a user disabled,
//! demoted or removed) takes effect at once on the node that made the change — it forgets
//! everything it kept — and on every other node within [`TokenCache::TTL`], when its entry is
//! checked again. A token's signature and expiry are checked on every request, before the cache.

use std::time::Duration;

use crate::domain::Actor;
use crate::fresh_cache::{FreshCache, Ticket};

/// Recently checked access tokens (by `jti`) and who they speak for.
#[derive(Debug)]
pub struct TokenCache(FreshCache<String, Actor>);

impl Default for TokenCache {
    fn default() -> Self {
        Self(FreshCache::new(Self::TTL, Self::MAX_ENTRIES))
    }
}

impl TokenCache {
    /// How long an answer is kept: the bound on how late another node sees a revocation.
    pub const TTL: Duration = Duration::from_secs(1);
    /// Tokens kept at most; past it, stale entries go, and if none is stale, all do.
    pub const MAX_ENTRIES: usize = 10_000;

    /// Who the token `jti` speaks for, when it was checked within [`TokenCache::TTL`].
    pub fn get(&self, jti: &str) -> Option<Actor> {
        self.0.get(jti)
    }

    /// Taken before checking a token, to hand to [`TokenCache::keep`].
    pub fn ticket(&self) -> Ticket {
        self.0.ticket()
    }

    /// Keeps a check's answer, unless something was forgotten since `ticket` was taken.
    pub fn keep(&self, ticket: Ticket, jti: &str, actor: Actor) {
        self.0.keep(ticket, jti.to_owned(), actor);
    }

    /// Forgets every answer: called after a change that may end or narrow a token's access
    /// has been committed.
    pub fn forget_all(&self) {
        self.0.forget_all();
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
    fn a_check_begun_before_a_sign_out_is_not_kept() {
        let cache = TokenCache::default();
        let ticket = cache.ticket();
        cache.forget_all();
        cache.keep(ticket, "a", actor());
        assert!(cache.get("a").is_none());
        cache.keep(cache.ticket(), "a", actor());
        assert_eq!(cache.get("a").map(|a| a.user), Some(UserId(1)));
    }
}
