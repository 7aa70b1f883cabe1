//! Quiet hours: a daily local window (e.g. 21:00–08:00) in which SMS and WhatsApp wait.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::schedule::resolve_local;

/// Quiet hours as written: local `HH:MM` times; the window may cross midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuietHoursSpec {
    /// When quiet hours begin, 24-hour `HH:MM`, e.g. `21:00`.
    pub start: String,
    /// When they end, 24-hour `HH:MM`, e.g. `08:00`; must differ from `start`.
    pub end: String,
}

/// A validated window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    start: NaiveTime,
    end: NaiveTime,
}

fn parse_time(value: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(value.trim(), "%H:%M").ok()
}

impl QuietHours {
    /// Parses `HH:MM` times; the error names the field.
    pub fn parse(spec: &QuietHoursSpec) -> Result<Self, (&'static str, String)> {
        let start =
            parse_time(&spec.start).ok_or(("start", "must be a time such as 21:00".to_owned()))?;
        let end =
            parse_time(&spec.end).ok_or(("end", "must be a time such as 08:00".to_owned()))?;
        if start == end {
            return Err(("end", "must differ from start".into()));
        }
        Ok(Self { start, end })
    }

    /// The stored and shown form.
    pub fn to_spec(self) -> QuietHoursSpec {
        QuietHoursSpec {
            start: self.start.format("%H:%M").to_string(),
            end: self.end.format("%H:%M").to_string(),
        }
    }

    fn contains(self, time: NaiveTime) -> bool {
        if self.start < self.end {
            time >= self.start && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }

    /// When a message due at `at` may go: `None` when `at` is outside quiet hours in `zone`,
    /// otherwise the instant they end.
    pub fn release(self, at: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&zone).naive_local();
        if !self.contains(local.time()) {
            return None;
        }
        let mut date = local.date();
        if self.start > self.end && local.time() >= self.start {
            date += Duration::days(1);
        }
        Some(resolve_local(zone, date.and_time(self.end)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(start: &str, end: &str) -> QuietHours {
        QuietHours::parse(&QuietHoursSpec {
            start: start.into(),
            end: end.into(),
        })
        .unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_window_across_midnight_releases_the_next_morning() {
        let quiet = hours("21:00", "08:00");
        let london = chrono_tz::Europe::London;
        // 22:30 BST on 1 July → 08:00 BST on 2 July.
        assert_eq!(
            quiet.release(utc("2027-07-01T21:30:00Z"), london),
            Some(utc("2027-07-02T07:00:00Z"))
        );
        // 06:00 GMT on 5 January → 08:00 GMT the same day.
        assert_eq!(
            quiet.release(utc("2027-01-05T06:00:00Z"), london),
            Some(utc("2027-01-05T08:00:00Z"))
        );
        assert_eq!(quiet.release(utc("2027-01-05T12:00:00Z"), london), None);
    }

    #[test]
    fn a_daytime_window_and_bad_times() {
        let lunch = hours("12:00", "13:30");
        assert_eq!(
            lunch.release(utc("2027-01-05T12:15:00Z"), chrono_tz::UTC),
            Some(utc("2027-01-05T13:30:00Z"))
        );
        assert_eq!(
            lunch.release(utc("2027-01-05T13:30:00Z"), chrono_tz::UTC),
            None
        );
        assert!(
            QuietHours::parse(&QuietHoursSpec {
                start: "9pm".into(),
                end: "08:00".into()
            })
            .is_err()
        );
        assert!(
            QuietHours::parse(&QuietHoursSpec {
                start: "08:00".into(),
                end: "08:00".into()
            })
            .is_err()
        );
    }
}
