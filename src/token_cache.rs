//! Who each access token recently checked speaks for, kept by each process for at most
//! [`TokenCache::TTL`], so an authenticated request costs no database round trip while its
//! token's answer is fresh.
//!
//! What can end a token's access (signing out, a password change or reset, a user disabled,
//! demoted or removed) takes effect at once on the node that made the change — it forgets
//! everything it kept — and on every other node within [`TokenCache::TTL`], when its entry is
//! checked again. A token's signature and expiry are checked on every request, before the cache.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::Actor;
use crate::entities::user;
use crate::fresh_cache::{FreshCache, Ticket};

/// Who a checked access token speaks for.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user, business and role the token acts as (the role held now, not the token's).
    pub actor: Actor,
    /// Their account as read by the check: a change made through this node is seen at once,
    /// one made through another within [`TokenCache::TTL`].
    pub user: Arc<user::Model>,
}

/// Recently checked access tokens (by `jti`) and who they speak for.
#[derive(Debug)]
pub struct TokenCache(FreshCache<String, Caller>);

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
    pub fn get(&self, jti: &str) -> Option<Caller> {
        self.0.get(jti)
    }

    /// Taken before checking a token, to hand to [`TokenCache::keep`].
    pub fn ticket(&self) -> Ticket {
        self.0.ticket()
    }

    /// Keeps a check's answer, unless something was forgotten since `ticket` was taken.
    pub fn keep(&self, ticket: Ticket, jti: &str, caller: Caller) {
        self.0.keep(ticket, jti.to_owned(), caller);
    }

    /// Forgets every answer: called after a change to a user (their access, password or
    /// account) has been committed.
    pub fn forget_all(&self) {
        self.0.forget_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{BusinessId, Role, UserId};

    fn caller() -> Caller {
        let at = chrono::Utc::now().into();
        Caller {
            actor: Actor {
                user: UserId(1),
                business: BusinessId(2),
                role: Role::Owner,
            },
            user: Arc::new(user::Model {
                id: 1,
                business_id: 2,
                email: "owner@example.com".into(),
                full_name: "Owner".into(),
                password_hash: String::new(),
                role: Role::Owner,
                is_active: true,
                username: None,
                phone: None,
                created_at: at,
                updated_at: at,
            }),
        }
    }

    #[test]
    fn a_check_begun_before_a_sign_out_is_not_kept() {
        let cache = TokenCache::default();
        let ticket = cache.ticket();
        cache.forget_all();
        cache.keep(ticket, "a", caller());
        assert!(cache.get("a").is_none());
        cache.keep(cache.ticket(), "a", caller());
        assert_eq!(cache.get("a").map(|c| c.actor.user), Some(UserId(1)));
    }
}
