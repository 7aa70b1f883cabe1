//! The original service's recurrence words as RRULEs: its first releases' `monthly` and
//! `every 2 weeks`, and its `plus_tests` branch's `DAILY`, `WEEKLY_MON` … `WEEKLY_SUN`,
//! `MONTHLY_<day>` and `YEARLY_<month>_<day>`.
//!
//! A day some months lack (the 29th to 31st; 29 February) went out on the month's last day in
//! the original's patterns. RFC 5545 skips such months instead, so the rule takes the days from
//! the shortest length of that month up to the day named and keeps the last that exists
//! (`BYSETPOS=-1`). Read from a reminder's start ([`words_to_rrule_from`]), the first releases'
//! `monthly` and `yearly` from such a day get the same rule.

use chrono::{Datelike, NaiveDate};

/// An RRULE read from the original's recurrence words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordsRule {
    /// The RRULE parts, e.g. `FREQ=WEEKLY;BYDAY=MO`; the time of day is the start's.
    pub rrule: String,
    /// True when the words name a day that some months (or years) lack, which the rule moves
    /// to the month's last day there: `MONTHLY_29` to `MONTHLY_31`, `YEARLY_2_29` (and, read
    /// from a start on such a day, `monthly` or `yearly`).
    pub clamped_to_month_end: bool,
}

impl WordsRule {
    fn plain(rrule: impl Into<String>) -> Self {
        Self {
            rrule: rrule.into(),
            clamped_to_month_end: false,
        }
    }
}

/// RRULE weekdays by the original's three-letter names.
const WEEKDAYS: [(&str, &str); 7] = [
    ("mon", "MO"),
    ("tue", "TU"),
    ("wed", "WE"),
    ("thu", "TH"),
    ("fri", "FR"),
    ("sat", "SA"),
    ("sun", "SU"),
];

/// Days every month has.
const DAYS_IN_EVERY_MONTH: u8 = 28;

/// The fewest days month `month` (1–12) has in any year.
fn shortest_month(month: u8) -> u8 {
    match month {
        2 => DAYS_IN_EVERY_MONTH,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `BYMONTHDAY` for `day` in a month that has at least `shortest` days: the day itself, or, when
/// some of those months lack it, the days from `shortest` to it with the last one kept.
fn month_day(day: u8, shortest: u8) -> WordsRule {
    if day <= shortest {
        return WordsRule::plain(format!("BYMONTHDAY={day}"));
    }
    let days: Vec<String> = (shortest..=day).map(|d| d.to_string()).collect();
    WordsRule {
        rrule: format!("BYMONTHDAY={};BYSETPOS=-1", days.join(",")),
        clamped_to_month_end: true,
    }
}

/// A day of the month as the original wrote it: 1 to 31.
fn day_number(text: &str) -> Option<u8> {
    text.parse().ok().filter(|day| (1..=31).contains(day))
}

/// `plus_tests`' patterns (lower-cased): `weekly_mon`, `monthly_31`, `yearly_12_25`.
fn pattern_to_rrule(lower: &str) -> Option<WordsRule> {
    if let Some(name) = lower.strip_prefix("weekly_") {
        let (_, day) = WEEKDAYS.iter().find(|(word, _)| *word == name)?;
        return Some(WordsRule::plain(format!("FREQ=WEEKLY;BYDAY={day}")));
    }
    if let Some(day) = lower.strip_prefix("monthly_") {
        let by_day = month_day(day_number(day)?, DAYS_IN_EVERY_MONTH);
        return Some(WordsRule {
            rrule: format!("FREQ=MONTHLY;{}", by_day.rrule),
            ..by_day
        });
    }
    let (month, day) = lower.strip_prefix("yearly_")?.split_once('_')?;
    let month: u8 = month.parse().ok().filter(|m| (1..=12).contains(m))?;
    let by_day = month_day(day_number(day)?, shortest_month(month));
    Some(WordsRule {
        rrule: format!("FREQ=YEARLY;BYMONTH={month};{}", by_day.rrule),
        ..by_day
    })
}

/// A frequency and interval in words: `monthly`, `every 2 weeks`, `every year`.
fn plain_words(lower: &str) -> Option<(&'static str, Option<u16>)> {
    let frequency = |unit: &str| match unit.trim_end_matches('s') {
        "day" => Some("DAILY"),
        "week" => Some("WEEKLY"),
        "month" => Some("MONTHLY"),
        "year" => Some("YEARLY"),
        _ => None,
    };
    match lower {
        "daily" => return Some(("DAILY", None)),
        "weekly" => return Some(("WEEKLY", None)),
        "monthly" => return Some(("MONTHLY", None)),
        "yearly" | "annually" => return Some(("YEARLY", None)),
        _ => {}
    }
    let mut parts = lower.split_whitespace();
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("every"), Some(unit), None, None) => Some((frequency(unit)?, None)),
        (Some("every"), Some(count), Some(unit), None) => {
            let count: u16 = count.parse().ok().filter(|n| *n >= 1)?;
            Some((frequency(unit)?, Some(count)))
        }
        _ => None,
    }
}

fn frequency_rule(frequency: &str, interval: Option<u16>) -> String {
    match interval {
        Some(count) => format!("FREQ={frequency};INTERVAL={count}"),
        None => format!("FREQ={frequency}"),
    }
}

/// The original's recurrence words as an RRULE: `daily`, `weekly`, `monthly`, `yearly`,
/// `every N days|weeks|months|years`, and `WEEKLY_MON` … `WEEKLY_SUN`, `MONTHLY_<1–31>`,
/// `YEARLY_<month>_<day>`, in any case. `None` for anything else (an RRULE among it).
pub fn words_to_rrule(words: &str) -> Option<WordsRule> {
    let lower = words.trim().to_ascii_lowercase();
    if let Some((frequency, interval)) = plain_words(&lower) {
        return Some(WordsRule::plain(frequency_rule(frequency, interval)));
    }
    if lower.contains('_') {
        return pattern_to_rrule(&lower);
    }
    None
}

/// The words of a reminder that starts on `start`, as [`words_to_rrule`] reads them, except that
/// a month day some months lack is kept as that day or the month's last day: `monthly` and
/// `every N months` from the 29th–31st, `yearly` and `every N years` from 29 February (RFC
/// 5545's plain `FREQ=MONTHLY` would skip the months without that day). Such a rule is flagged
/// [`WordsRule::clamped_to_month_end`].
pub fn words_to_rrule_from(words: &str, start: NaiveDate) -> Option<WordsRule> {
    let lower = words.trim().to_ascii_lowercase();
    let Some((frequency, interval)) = plain_words(&lower) else {
        return words_to_rrule(words);
    };
    let day = u8::try_from(start.day()).ok()?;
    let by_day = match frequency {
        "MONTHLY" if day > DAYS_IN_EVERY_MONTH => month_day(day, DAYS_IN_EVERY_MONTH),
        "YEARLY" if start.month() == 2 && day == 29 => {
            let by_day = month_day(day, shortest_month(2));
            WordsRule {
                rrule: format!("BYMONTH=2;{}", by_day.rrule),
                ..by_day
            }
        }
        _ => return Some(WordsRule::plain(frequency_rule(frequency, interval))),
    };
    Some(WordsRule {
        rrule: format!("{};{}", frequency_rule(frequency, interval), by_day.rrule),
        ..by_day
    })
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};

    use super::super::{RecurringSchedule, Schedule, ScheduleSpec};
    use super::*;

    fn rule(words: &str) -> Option<String> {
        words_to_rrule(words).map(|words| words.rrule)
    }

    /// The first `count` occurrences (UTC, as RFC 3339 text) of `words` from a local start.
    fn first(words: &str, start: &str, count: usize) -> Vec<String> {
        let schedule = schedule(words, start);
        schedule
            .occurrences(DateTime::<Utc>::UNIX_EPOCH, None, count)
            .iter()
            .map(|at| at.format("%Y-%m-%dT%H:%M").to_string())
            .collect()
    }

    fn schedule(words: &str, start: &str) -> Schedule {
        Schedule::parse(
            &ScheduleSpec::Recurring(RecurringSchedule {
                rrule: words.into(),
                start: start.into(),
                timezone: Some("UTC".into()),
            }),
            chrono_tz::UTC,
        )
        .unwrap_or_else(|errors| panic!("{words}: {errors:?}"))
    }

    #[test]
    fn the_original_recurrence_words_become_rrules() {
        assert_eq!(rule("Monthly").as_deref(), Some("FREQ=MONTHLY"));
        assert_eq!(rule("daily").as_deref(), Some("FREQ=DAILY"));
        assert_eq!(
            rule("every 2 weeks").as_deref(),
            Some("FREQ=WEEKLY;INTERVAL=2")
        );
        assert_eq!(
            rule("every 1 month").as_deref(),
            Some("FREQ=MONTHLY;INTERVAL=1")
        );
        assert_eq!(rule("every year").as_deref(), Some("FREQ=YEARLY"));
        assert_eq!(rule("every 0 days"), None);
        assert_eq!(rule("every 3 hours"), None);
        assert_eq!(rule("FREQ=DAILY"), None);
    }

    #[test]
    fn the_plus_tests_patterns_become_rrules() {
        let cases = [
            ("DAILY", "FREQ=DAILY", false),
            ("WEEKLY_MON", "FREQ=WEEKLY;BYDAY=MO", false),
            ("WEEKLY_TUE", "FREQ=WEEKLY;BYDAY=TU", false),
            ("WEEKLY_WED", "FREQ=WEEKLY;BYDAY=WE", false),
            ("WEEKLY_THU", "FREQ=WEEKLY;BYDAY=TH", false),
            ("WEEKLY_FRI", "FREQ=WEEKLY;BYDAY=FR", false),
            ("WEEKLY_SAT", "FREQ=WEEKLY;BYDAY=SA", false),
            ("WEEKLY_SUN", "FREQ=WEEKLY;BYDAY=SU", false),
            ("MONTHLY_1", "FREQ=MONTHLY;BYMONTHDAY=1", false),
            ("MONTHLY_28", "FREQ=MONTHLY;BYMONTHDAY=28", false),
            (
                "MONTHLY_29",
                "FREQ=MONTHLY;BYMONTHDAY=28,29;BYSETPOS=-1",
                true,
            ),
            (
                "MONTHLY_30",
                "FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1",
                true,
            ),
            (
                "MONTHLY_31",
                "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1",
                true,
            ),
            (
                "YEARLY_12_25",
                "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25",
                false,
            ),
            ("YEARLY_1_31", "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=31", false),
            (
                "YEARLY_2_29",
                "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1",
                true,
            ),
            (
                "YEARLY_4_31",
                "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=30,31;BYSETPOS=-1",
                true,
            ),
        ];
        for (words, expected, clamped) in cases {
            assert_eq!(
                words_to_rrule(words),
                Some(WordsRule {
                    rrule: expected.to_owned(),
                    clamped_to_month_end: clamped,
                }),
                "{words}"
            );
        }
        for unknown in [
            "WEEKLY_MONDAY",
            "MONTHLY_0",
            "MONTHLY_32",
            "MONTHLY_",
            "YEARLY_13_1",
            "YEARLY_12",
            "YEARLY_2_30_1",
            "HOURLY_1",
        ] {
            assert_eq!(words_to_rrule(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn weekly_and_yearly_patterns_keep_the_start_time_of_day() {
        // 2027-01-06 is a Wednesday.
        assert_eq!(
            first("WEEKLY_MON", "2027-01-06T09:30:00", 2),
            ["2027-01-11T09:30", "2027-01-18T09:30"]
        );
        assert_eq!(
            first("YEARLY_12_25", "2027-03-01T08:00:00", 2),
            ["2027-12-25T08:00", "2028-12-25T08:00"]
        );
        assert_eq!(
            first("MONTHLY_15", "2027-01-15T09:00:00", 2),
            ["2027-01-15T09:00", "2027-02-15T09:00"]
        );
    }

    #[test]
    fn month_days_past_the_28th_fall_back_to_the_last_day_of_shorter_months() {
        // 2027 is not a leap year, 2028 is.
        assert_eq!(
            first("MONTHLY_31", "2027-01-31T09:00:00", 5),
            [
                "2027-01-31T09:00",
                "2027-02-28T09:00",
                "2027-03-31T09:00",
                "2027-04-30T09:00",
                "2027-05-31T09:00"
            ]
        );
        assert_eq!(
            first("MONTHLY_31", "2028-01-31T09:00:00", 2),
            ["2028-01-31T09:00", "2028-02-29T09:00"]
        );
        assert_eq!(
            first("MONTHLY_30", "2027-01-30T09:00:00", 4),
            [
                "2027-01-30T09:00",
                "2027-02-28T09:00",
                "2027-03-30T09:00",
                "2027-04-30T09:00"
            ]
        );
        assert_eq!(
            first("MONTHLY_29", "2027-01-29T09:00:00", 3),
            ["2027-01-29T09:00", "2027-02-28T09:00", "2027-03-29T09:00"]
        );
        assert_eq!(
            first("MONTHLY_29", "2028-01-29T09:00:00", 2),
            ["2028-01-29T09:00", "2028-02-29T09:00"]
        );
        assert_eq!(
            first("YEARLY_2_29", "2027-01-01T10:00:00", 3),
            ["2027-02-28T10:00", "2028-02-29T10:00", "2029-02-28T10:00"]
        );
    }

    fn from(words: &str, start: &str) -> Option<WordsRule> {
        words_to_rrule_from(words, start.parse().unwrap())
    }

    #[test]
    fn older_words_from_a_day_some_months_lack_keep_it_or_the_months_last_day() {
        let clamped = |rrule: &str| {
            Some(WordsRule {
                rrule: rrule.to_owned(),
                clamped_to_month_end: true,
            })
        };
        assert_eq!(
            from("monthly", "2027-01-31"),
            clamped("FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1")
        );
        assert_eq!(
            from("Every 2 months", "2027-01-30"),
            clamped("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=28,29,30;BYSETPOS=-1")
        );
        assert_eq!(
            from("every month", "2027-03-29"),
            clamped("FREQ=MONTHLY;BYMONTHDAY=28,29;BYSETPOS=-1")
        );
        assert_eq!(
            from("yearly", "2028-02-29"),
            clamped("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1")
        );
        assert_eq!(
            from("every 4 years", "2028-02-29"),
            clamped("FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1")
        );
        // Days every month has, and other words, read as without a start.
        for (words, start) in [
            ("monthly", "2027-01-28"),
            ("yearly", "2027-01-31"),
            ("every 2 weeks", "2027-01-31"),
            ("daily", "2027-01-31"),
            ("MONTHLY_15", "2027-01-31"),
            ("MONTHLY_31", "2027-01-15"),
            ("fortnightly", "2027-01-31"),
        ] {
            assert_eq!(from(words, start), words_to_rrule(words), "{words} {start}");
        }
    }

    #[test]
    fn monthly_from_the_31st_goes_out_on_the_last_day_of_shorter_months() {
        let rule = from("monthly", "2027-01-31").unwrap().rrule;
        assert_eq!(
            first(&rule, "2027-01-31T09:00:00", 4),
            [
                "2027-01-31T09:00",
                "2027-02-28T09:00",
                "2027-03-31T09:00",
                "2027-04-30T09:00"
            ]
        );
        let leap = from("yearly", "2028-02-29").unwrap().rrule;
        assert_eq!(
            first(&leap, "2028-02-29T09:00:00", 2),
            ["2028-02-29T09:00", "2029-02-28T09:00"]
        );
    }

    #[test]
    fn a_month_end_rule_is_still_held_to_the_minimum_interval() {
        // The shortest gap (31 January to 28 February) is what the interval check compares.
        let monthly = schedule("MONTHLY_31", "2027-01-31T09:00:00");
        assert_eq!(monthly.shortest_gap(), Some(Duration::days(28)));
        let leap = schedule("YEARLY_2_29", "2027-02-28T09:00:00");
        assert_eq!(leap.shortest_gap(), Some(Duration::days(365)));
    }
}
