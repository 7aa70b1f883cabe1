//! The offsets of a `before_due` schedule: ISO 8601 durations such as `P7D` or `PT2H`, bounded
//! to ten years, whose calendar part is taken off the due time on the wall clock and whose exact
//! part is taken off the instant.

use chrono::{DateTime, Duration, Months, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::resolve_local;
use crate::domain::FieldError;

/// An ISO 8601 duration: a calendar part (applied on the wall clock) and an exact part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Offset {
    months: u32,
    days: i64,
    exact: Duration,
}

pub(super) fn parse_offset(field: &str, value: &str) -> Result<Offset, FieldError> {
    let refuse = || {
        FieldError::new(
            field,
            format!("{value:?} is not an ISO 8601 duration such as P7D, P1D, PT2H or PT0S"),
        )
    };
    let text = value.trim().to_ascii_uppercase();
    let rest = text.strip_prefix('P').ok_or_else(refuse)?;
    if rest.is_empty() {
        return Err(refuse());
    }
    let (date_part, time_part) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return Err(refuse()),
        None => (rest, None),
    };
    let mut offset = Offset {
        months: 0,
        days: 0,
        exact: Duration::zero(),
    };
    // Each number is bounded before it is used, so no input can overflow the arithmetic.
    let mut number = String::new();
    for c in date_part.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n = bounded(&number).ok_or_else(refuse)?;
        number.clear();
        match c {
            'Y' => offset.months += u32::try_from(n * 12).map_err(|_| refuse())?,
            'M' => offset.months += u32::try_from(n).map_err(|_| refuse())?,
            'W' => offset.days += n * 7,
            'D' => offset.days += n,
            _ => return Err(refuse()),
        }
    }
    if !number.is_empty() {
        return Err(refuse());
    }
    let mut seconds: i64 = 0;
    for c in time_part.unwrap_or_default().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n = bounded(&number).ok_or_else(refuse)?;
        number.clear();
        seconds += match c {
            'H' => n * 3600,
            'M' => n * 60,
            'S' => n,
            _ => return Err(refuse()),
        };
    }
    offset.exact = Duration::seconds(seconds);
    if !number.is_empty()
        || offset.months > 120
        || offset.days > MAX_OFFSET_DAYS
        || seconds > MAX_OFFSET_DAYS * 86_400
    {
        return Err(refuse());
    }
    Ok(offset)
}

/// The longest offset before a due date: ten years.
const MAX_OFFSET_DAYS: i64 = 3660;

/// A duration's number when it is small enough that no sum or product of a few of them can
/// overflow (at most ten years in seconds).
fn bounded(digits: &str) -> Option<i64> {
    digits
        .parse::<i64>()
        .ok()
        .filter(|n| *n <= MAX_OFFSET_DAYS * 86_400)
}

impl Offset {
    pub(super) fn before(&self, zone: Tz, due: NaiveDateTime) -> Option<DateTime<Utc>> {
        let local = due
            .checked_sub_months(Months::new(self.months))?
            .checked_sub_signed(Duration::days(self.days))?;
        resolve_local(zone, local).checked_sub_signed(self.exact)
    }

    pub(super) fn normalised(&self) -> String {
        let mut text = String::from("P");
        if self.months > 0 {
            text.push_str(&format!("{}M", self.months));
        }
        if self.days > 0 {
            text.push_str(&format!("{}D", self.days));
        }
        let seconds = self.exact.num_seconds();
        if seconds > 0 || text == "P" {
            text.push_str(&format!("T{seconds}S"));
        }
        text
    }
}
