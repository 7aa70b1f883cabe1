//! The order of a list: one of the list's keys, ascending or (`-key`) descending. Ties are
//! broken by id in the same direction, so a page boundary never splits or repeats rows.

use sea_orm::{
    ColumnTrait, Condition, EntityTrait, ModelTrait, Order, QueryFilter, QueryOrder, Select,
};

/// What a list may be ordered by.
pub trait SortKey: Copy + Eq + std::fmt::Debug + 'static {
    /// Every key with the name callers give it; the first is the list's default key.
    const KEYS: &'static [(&'static str, Self)];
    /// Whether the default order is descending (newest first).
    const DEFAULT_DESCENDING: bool;
    /// The keys a page may continue after a row by (keyset paging, `after=`): those of
    /// columns that are never null. None: the list pages by offset only.
    const KEYSET: &'static [Self] = &[];
}

/// A list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<K> {
    /// What it is ordered by.
    pub key: K,
    /// Largest (or newest) first.
    pub descending: bool,
}

impl<K: SortKey> Default for Sort<K> {
    fn default() -> Self {
        Self {
            key: K::KEYS[0].1,
            descending: K::DEFAULT_DESCENDING,
        }
    }
}

impl<K: SortKey> Sort<K> {
    /// Every value `sort=` takes for this list: each key, then each with `-`.
    pub fn values() -> Vec<String> {
        let names = K::KEYS.iter().map(|(name, _)| (*name).to_owned());
        names
            .clone()
            .chain(names.map(|name| format!("-{name}")))
            .collect()
    }

    /// `query` in this order: by `column` (none: by id alone), then by `id`.
    pub fn apply<E: EntityTrait>(
        &self,
        query: Select<E>,
        column: Option<E::Column>,
        id: E::Column,
    ) -> Select<E> {
        let order = || {
            if self.descending {
                Order::Desc
            } else {
                Order::Asc
            }
        };
        let query = match column {
            Some(column) => query.order_by(column, order()),
            None => query,
        };
        query.order_by(id, order())
    }
}

impl<K: SortKey> Sort<K> {
    /// `query` narrowed to the rows that come after `anchor` in this order, ordered by
    /// `column` (none: by id alone), then by `id` (keyset paging: the page after `anchor` costs
    /// the same however deep it lies). Only for keys in [`SortKey::KEYSET`], whose columns are
    /// never null.
    pub fn after<E: EntityTrait>(
        &self,
        query: Select<E>,
        column: Option<E::Column>,
        id: E::Column,
        anchor: &E::Model,
    ) -> Select<E> {
        let beyond = |column: E::Column| {
            let value = anchor.get(column);
            if self.descending {
                column.lt(value)
            } else {
                column.gt(value)
            }
        };
        let condition = match column {
            None => Condition::all().add(beyond(id)),
            Some(column) => Condition::any().add(beyond(column)).add(
                Condition::all()
                    .add(column.eq(anchor.get(column)))
                    .add(beyond(id)),
            ),
        };
        query.filter(condition)
    }

    /// `query` in this order, from the row after `anchor` when there is one ([`Sort::after`]).
    pub fn from_anchor<E: EntityTrait>(
        &self,
        query: Select<E>,
        column: Option<E::Column>,
        id: E::Column,
        anchor: Option<&E::Model>,
    ) -> Select<E> {
        let query = match anchor {
            Some(anchor) => self.after(query, column, id, anchor),
            None => query,
        };
        self.apply(query, column, id)
    }
}

impl<K: SortKey> std::str::FromStr for Sort<K> {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (descending, name) = match text.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, text),
        };
        K::KEYS
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, key)| Self {
                key: *key,
                descending,
            })
            .ok_or_else(|| {
                let known: Vec<&str> = K::KEYS.iter().map(|(known, _)| *known).collect();
                format!(
                    "cannot sort by {name:?}: use {}, each with a leading - for descending",
                    known.join(", ")
                )
            })
    }
}

impl<K: SortKey> std::fmt::Display for Sort<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = K::KEYS
            .iter()
            .find(|(_, key)| *key == self.key)
            .map_or("", |(name, _)| *name);
        write!(f, "{}{name}", if self.descending { "-" } else { "" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Key {
        Created,
        Name,
    }

    impl SortKey for Key {
        const KEYS: &'static [(&'static str, Self)] =
            &[("created_at", Key::Created), ("name", Key::Name)];
        const DEFAULT_DESCENDING: bool = true;
    }

    #[test]
    fn names_read_and_print_back() {
        let sort: Sort<Key> = "-name".parse().unwrap();
        assert_eq!((sort.key, sort.descending), (Key::Name, true));
        assert_eq!(sort.to_string(), "-name");
        assert_eq!(Sort::<Key>::default().to_string(), "-created_at");
        assert_eq!(
            Sort::<Key>::values(),
            ["created_at", "name", "-created_at", "-name"]
        );
        assert!(
            "password"
                .parse::<Sort<Key>>()
                .unwrap_err()
                .contains("created_at, name")
        );
    }
}
