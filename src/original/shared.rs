//! What the table importers share: the business a row goes to, channel names as the original
//! wrote them, and text cut to our column lengths.

use std::collections::HashMap;

use super::TableReport;
use crate::domain::Channel;

pub(super) fn channel_of(name: Option<&str>) -> Option<Channel> {
    Channel::parse(&name?.to_ascii_lowercase()).ok()
}

pub(super) fn truncated(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The business a user's row goes to; `None`, with the row counted as skipped, when its user
/// was not imported (or it names none).
pub(super) fn owner_of(
    user_id: Option<i64>,
    owners: &HashMap<i64, i64>,
    table: &mut TableReport,
) -> Option<i64> {
    let owner = user_id.and_then(|id| owners.get(&id).copied());
    if owner.is_none() {
        table.skip(if user_id.is_some() {
            "owner_not_imported"
        } else {
            "no_owner"
        });
    }
    owner
}
