//! The dates the service accepts, in one place: from 1970 to the end of 9999. Every backend
//! stores them (MariaDB's `DATETIME` ends at 9999, where a later date was silently written as
//! `0000-00-00` and never fired), and arithmetic near them cannot overflow.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer};

/// The first instant accepted.
pub fn earliest() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

/// The last instant accepted.
pub fn latest() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|date| date.and_hms_opt(23, 59, 59))
        .unwrap_or_default()
}

/// The message for a date outside the range.
pub const OUT_OF_RANGE: &str = "must be between 1970-01-01 and 9999-12-31";

/// Checks a wall-clock or UTC date-time against the range.
pub fn check(value: NaiveDateTime) -> Result<NaiveDateTime, String> {
    if (earliest()..=latest()).contains(&value) {
        Ok(value)
    } else {
        Err(OUT_OF_RANGE.to_owned())
    }
}

/// Checks an instant against the range.
pub fn check_utc(value: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    check(value.naive_utc()).map(|_| value)
}

/// `deserialize_with` for an optional RFC 3339 instant that must lie in the range (query
/// strings and bodies alike).
pub fn optional_in_range<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<DateTime<Utc>>::deserialize(deserializer)?
        .map(|value| check_utc(value).map_err(serde::de::Error::custom))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_runs_from_1970_to_9999() {
        assert!(check(earliest()).is_ok());
        assert!(check(latest()).is_ok());
        assert!(check(latest() + chrono::Duration::seconds(1)).is_err());
        assert!(check(earliest() - chrono::Duration::seconds(1)).is_err());
        assert!(check(NaiveDateTime::MAX).is_err());
        assert!(check(NaiveDateTime::MIN).is_err());
    }
}
