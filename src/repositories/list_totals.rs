//! The `total` of long lists, kept by each process for at most [`ListTotals::TTL`]. Counting
//! every matching row on every page cost more than reading the page (a quarter of a millisecond
//! for 5,000 clients on SQLite, more on a server database), so a list of at least
//! [`ListTotals::EXACT_BELOW`] rows reuses a count made within the last second. A shorter list
//! is counted on every page, and so is a list of messages filtered by status or read state
//! (what a caller watches to see sends progress). Writes of clients through this node's API
//! forget every kept total, so they show at once here; on other nodes, and for the engine's new
//! messages, a long list's total lags by at most [`ListTotals::TTL`]. The page's rows are
//! always read afresh.

use std::future::Future;
use std::time::Duration;

use sea_orm::DbErr;

use crate::domain::BusinessId;
use crate::fresh_cache::FreshCache;

/// Which list, of whose, filtered how.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TotalKey {
    business: i64,
    list: &'static str,
    filter: String,
}

impl TotalKey {
    /// The `list` of `business` under `filter` (any text that tells filters apart).
    pub fn new(business: BusinessId, list: &'static str, filter: String) -> Self {
        Self {
            business: business.0,
            list,
            filter,
        }
    }
}

/// Recently counted totals of long lists.
#[derive(Debug)]
pub struct ListTotals(FreshCache<TotalKey, u64>);

impl Default for ListTotals {
    fn default() -> Self {
        Self(FreshCache::new(Self::TTL, Self::MAX_ENTRIES))
    }
}

impl ListTotals {
    /// How long a total is reused: the bound on how late it shows another node's writes.
    pub const TTL: Duration = Duration::from_secs(1);
    /// Lists shorter than this are counted on every page.
    pub const EXACT_BELOW: u64 = 1_000;
    /// Totals kept at most.
    pub const MAX_ENTRIES: usize = 10_000;

    /// The total for `key`: a long list's recent count, else what `count` finds.
    pub async fn get_or_count(
        &self,
        key: TotalKey,
        count: impl Future<Output = Result<u64, DbErr>>,
    ) -> Result<u64, DbErr> {
        if let Some(total) = self.0.get(&key) {
            return Ok(total);
        }
        let ticket = self.0.ticket();
        let total = count.await?;
        if total >= Self::EXACT_BELOW {
            self.0.keep(ticket, key, total);
        }
        Ok(total)
    }

    /// Forgets every kept total: called after this node wrote rows a list counts.
    pub fn forget_all(&self) {
        self.0.forget_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TotalKey {
        TotalKey::new(BusinessId(1), "clients", String::new())
    }

    #[tokio::test]
    async fn long_lists_reuse_their_count_and_short_ones_do_not() {
        let totals = ListTotals::default();
        let long = ListTotals::EXACT_BELOW;
        assert_eq!(
            totals.get_or_count(key(), async { Ok(long) }).await,
            Ok(long)
        );
        assert_eq!(totals.get_or_count(key(), async { Ok(7) }).await, Ok(long));
        totals.forget_all();
        assert_eq!(totals.get_or_count(key(), async { Ok(7) }).await, Ok(7));
        assert_eq!(totals.get_or_count(key(), async { Ok(8) }).await, Ok(8));
    }

    #[tokio::test]
    async fn other_filters_and_businesses_are_counted_apart() {
        let totals = ListTotals::default();
        let long = ListTotals::EXACT_BELOW;
        totals.get_or_count(key(), async { Ok(long) }).await.ok();
        let searched = TotalKey::new(BusinessId(1), "clients", "ann".into());
        let other = TotalKey::new(BusinessId(2), "clients", String::new());
        assert_eq!(totals.get_or_count(searched, async { Ok(3) }).await, Ok(3));
        assert_eq!(totals.get_or_count(other, async { Ok(4) }).await, Ok(4));
    }
}
