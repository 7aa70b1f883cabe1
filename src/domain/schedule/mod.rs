//! Schedules and their occurrences: `once` at a local time, `recurring` by an RFC 5545 RRULE
//! from a local start, and `before_due` (offsets before a due time), all in an IANA zone.
//!
//! Recurrences are expanded on the local wall clock (so 09:00 stays 09:00 across DST) and each
//! local time is then placed in the zone: a time in the spring-forward gap is read with the
//! offset before the gap (02:30 → 03:30), an ambiguous autumn time takes its first instant —
//! the rules of RFC 5545 §3.3.5 and of Python's `zoneinfo` with `fold=0`.
//!
//! The offsets of `before_due` (ISO 8601 durations) are read in `offset`, the original
//! service's recurrence words in `words`.

mod offset;
mod words;

use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::FieldError;
use offset::{Offset, parse_offset};
pub use words::{WordsRule, words_to_rrule, words_to_rrule_from};

/// When a reminder goes, tagged by `type`: `once`, `recurring` or `before_due`. Times are
/// wall-clock times without offset (`YYYY-MM-DDTHH:MM[:SS]`, 1970 to 9999) in `timezone`; a
/// time a clock change skips moves forward, a repeated one takes the first.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, sea_orm::DeriveValueType,
)]
#[serde(tag = "type", rename_all = "snake_case")]
#[sea_orm(
    value_type = "String",
    from_str = "super::stored::from_json",
    to_str = "super::stored::to_json"
)]
pub enum ScheduleSpec {
    /// Once, at a local date-time.
    Once(OnceSchedule),
    /// Repeating by an RFC 5545 RRULE from a local start.
    Recurring(RecurringSchedule),
    /// Before a due time, by ISO 8601 durations such as `P7D`, `P1D`, `PT0S`.
    BeforeDue(BeforeDueSchedule),
}

/// Once, at a local date-time (`"type": "once"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OnceSchedule {
    /// The local date-time, `YYYY-MM-DDTHH:MM[:SS]` without offset (ISO 8601 local time),
    /// e.g. `2027-01-15T09:00:00`; in the future when written.
    pub at: String,
    /// IANA zone of the local times, e.g. `Europe/London`; default the business's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// Repeating by an RFC 5545 RRULE from a local start (`"type": "recurring"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecurringSchedule {
    /// RFC 5545 RRULE parts without DTSTART, e.g. `FREQ=MONTHLY;BYMONTHDAY=15`; FREQ is
    /// DAILY, WEEKLY, MONTHLY or YEARLY. Words such as `monthly`, `every 2 weeks`,
    /// `WEEKLY_MON`, `MONTHLY_31` or `YEARLY_12_25` are read as rules too.
    pub rrule: String,
    /// Local date-time of the first occurrence (the rule's DTSTART), `YYYY-MM-DDTHH:MM[:SS]`
    /// without offset, e.g. `2027-01-15T09:00:00`.
    pub start: String,
    /// IANA zone of the local times, e.g. `Europe/London`; default the business's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// Before a due time, by ISO 8601 durations (`"type": "before_due"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BeforeDueSchedule {
    /// The local due date-time, `YYYY-MM-DDTHH:MM[:SS]` without offset, e.g.
    /// `2027-01-31T17:00:00` (`{{ due_date }}` in templates).
    pub due: String,
    /// 1 to 20 ISO 8601 durations, each how long before `due` a reminder goes, e.g.
    /// `["P7D", "P1D", "PT0S"]` (`PT0S`: at the due time); up to ten years, no repeats.
    pub offsets: Vec<String>,
    /// IANA zone of the local times, e.g. `Europe/London`; default the business's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// A validated schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    zone: Tz,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Once(NaiveDateTime),
    Recurring {
        /// The rule as given, normalised (upper case, no `RRULE:` prefix).
        rule: String,
        start: NaiveDateTime,
        /// DTSTART and RRULE with UNTIL moved onto the local wall clock.
        expandable: String,
    },
    BeforeDue {
        due: NaiveDateTime,
        offsets: Vec<Offset>,
    },
}

/// Occurrences asked for at most, per call.
pub const MAX_OCCURRENCES: usize = 1000;
const MAX_OFFSETS: usize = 20;

fn parse_local(field: &str, value: &str) -> Result<NaiveDateTime, FieldError> {
    let trimmed = value.trim();
    let parsed = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(trimmed, format).ok())
    .ok_or_else(|| {
        FieldError::new(
            field,
            format!(
                "{value:?} is not an ISO 8601 local date-time without offset \
                 (YYYY-MM-DDTHH:MM[:SS]), e.g. 2027-01-15T09:00:00"
            ),
        )
    })?;
    super::date_range::check(parsed).map_err(|message| FieldError::new(field, message))
}

/// Places a wall-clock time in a zone: gap times move forward, ambiguous ones take the first.
pub fn resolve_local(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(instant) => instant.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Read it with the offset in force before the gap (a day earlier is before it).
            let before = zone.offset_from_utc_datetime(&(local - Duration::days(1)));
            let offset = chrono::Offset::fix(&before);
            DateTime::from_naive_utc_and_offset(
                local - Duration::seconds(i64::from(offset.local_minus_utc())),
                Utc,
            )
        }
    }
}

/// Frequencies refused: reminders repeat daily or less often.
const REFUSED_FREQUENCIES: [&str; 3] = ["SECONDLY", "MINUTELY", "HOURLY"];

fn normalise_rule(
    field: &str,
    zone: Tz,
    rule: &str,
    start: NaiveDateTime,
) -> Result<(String, String), FieldError> {
    let translated = words_to_rrule(rule).map(|words| words.rrule);
    let rule = translated.as_deref().unwrap_or(rule);
    let upper = rule.trim().to_ascii_uppercase();
    let upper = upper
        .strip_prefix("RRULE:")
        .unwrap_or(&upper)
        .trim()
        .to_owned();
    if upper.is_empty() || upper.contains('\n') || upper.contains("DTSTART") {
        return Err(FieldError::new(
            field,
            "give only the RRULE parts, e.g. FREQ=MONTHLY;BYMONTHDAY=15; the start is a field of its own",
        ));
    }
    let mut parts = Vec::new();
    let mut frequency = None;
    for part in upper.split(';').filter(|p| !p.is_empty()) {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| FieldError::new(field, format!("{part:?} is not NAME=VALUE")))?;
        match name {
            "FREQ" => {
                if REFUSED_FREQUENCIES.contains(&value) {
                    return Err(FieldError::new(
                        field,
                        format!(
                            "FREQ={value} is not supported: reminders repeat DAILY, WEEKLY, MONTHLY or YEARLY"
                        ),
                    ));
                }
                frequency = Some(value.to_owned());
                parts.push(part.to_owned());
            }
            "UNTIL" => {
                // Expansion runs on the wall clock, so UNTIL is moved onto it.
                let local = if let Some(utc) = value.strip_suffix('Z') {
                    let instant =
                        NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").map_err(|_| {
                            FieldError::new(
                                field,
                                format!(
                                    "UNTIL={value} is not a date-time such as 20271231T235959Z"
                                ),
                            )
                        })?;
                    zone.from_utc_datetime(&instant).naive_local()
                } else if value.len() == 8 {
                    chrono::NaiveDate::parse_from_str(value, "%Y%m%d")
                        .map_err(|_| {
                            FieldError::new(
                                field,
                                format!("UNTIL={value} is not a date such as 20271231"),
                            )
                        })?
                        .and_hms_opt(23, 59, 59)
                        .ok_or_else(|| FieldError::new(field, "UNTIL is out of range"))?
                } else {
                    NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").map_err(|_| {
                        FieldError::new(
                            field,
                            format!("UNTIL={value} is not a date-time such as 20271231T235959"),
                        )
                    })?
                };
                parts.push(format!("UNTIL={}Z", local.format("%Y%m%dT%H%M%S")));
            }
            _ => parts.push(part.to_owned()),
        }
    }
    if frequency.is_none() {
        return Err(FieldError::new(
            field,
            "FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY)",
        ));
    }
    let expandable = format!(
        "DTSTART:{}Z\nRRULE:{}",
        start.format("%Y%m%dT%H%M%S"),
        parts.join(";")
    );
    rrule::RRuleSet::from_str(&expandable)
        .map_err(|error| FieldError::new(field, format!("is not a valid RRULE: {error}")))?;
    Ok((upper, expandable))
}

fn fake_utc(local: NaiveDateTime) -> DateTime<rrule::Tz> {
    rrule::Tz::UTC.from_utc_datetime(&local)
}

/// Both values, or the errors of either or both.
fn both<A, B>(
    first: Result<A, FieldError>,
    second: Result<B, FieldError>,
) -> Result<(A, B), Vec<FieldError>> {
    match (first, second) {
        (Ok(first), Ok(second)) => Ok((first, second)),
        (first, second) => Err(first.err().into_iter().chain(second.err()).collect()),
    }
}

impl Schedule {
    /// Validates a written schedule; `default_zone` applies when it names none.
    pub fn parse(spec: &ScheduleSpec, default_zone: Tz) -> Result<Self, Vec<FieldError>> {
        let zone_of = |timezone: &Option<String>| -> Result<Tz, FieldError> {
            match timezone {
                Some(name) => super::TimeZone::parse(name)
                    .map(super::TimeZone::tz)
                    .map_err(|message| FieldError::new("schedule.timezone", message)),
                None => Ok(default_zone),
            }
        };
        let single = |error: FieldError| vec![error];
        match spec {
            ScheduleSpec::Once(OnceSchedule { at, timezone }) => {
                let (zone, at) = both(zone_of(timezone), parse_local("schedule.at", at))?;
                Ok(Self {
                    zone,
                    kind: Kind::Once(at),
                })
            }
            ScheduleSpec::Recurring(RecurringSchedule {
                rrule,
                start,
                timezone,
            }) => {
                let (zone, start) = both(zone_of(timezone), parse_local("schedule.start", start))?;
                let (rule, expandable) =
                    normalise_rule("schedule.rrule", zone, rrule, start).map_err(single)?;
                Ok(Self {
                    zone,
                    kind: Kind::Recurring {
                        rule,
                        start,
                        expandable,
                    },
                })
            }
            ScheduleSpec::BeforeDue(BeforeDueSchedule {
                due,
                offsets,
                timezone,
            }) => {
                let when = both(zone_of(timezone), parse_local("schedule.due", due));
                let mut errors = when.as_ref().err().cloned().unwrap_or_default();
                if offsets.is_empty() || offsets.len() > MAX_OFFSETS {
                    errors.push(FieldError::new(
                        "schedule.offsets",
                        format!(
                            "give 1 to {MAX_OFFSETS} durations, e.g. [\"P7D\", \"P1D\", \"PT0S\"]"
                        ),
                    ));
                    return Err(errors);
                }
                let mut parsed = Vec::with_capacity(offsets.len());
                for (index, text) in offsets.iter().enumerate() {
                    match parse_offset(&format!("schedule.offsets[{index}]"), text) {
                        Ok(offset) if parsed.contains(&offset) => errors.push(FieldError::new(
                            format!("schedule.offsets[{index}]"),
                            "repeats an earlier offset",
                        )),
                        Ok(offset) => parsed.push(offset),
                        Err(error) => errors.push(error),
                    }
                }
                let (zone, due) = match when {
                    Ok(when) if errors.is_empty() => when,
                    _ => return Err(errors),
                };
                Ok(Self {
                    zone,
                    kind: Kind::BeforeDue {
                        due,
                        offsets: parsed,
                    },
                })
            }
        }
    }

    /// The schedule's zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The schedule as stored and shown: normalised, with its zone named.
    pub fn to_spec(&self) -> ScheduleSpec {
        let format = |local: &NaiveDateTime| local.format("%Y-%m-%dT%H:%M:%S").to_string();
        let timezone = Some(self.zone.name().to_owned());
        match &self.kind {
            Kind::Once(at) => ScheduleSpec::Once(OnceSchedule {
                at: format(at),
                timezone,
            }),
            Kind::Recurring { rule, start, .. } => ScheduleSpec::Recurring(RecurringSchedule {
                rrule: rule.clone(),
                start: format(start),
                timezone,
            }),
            Kind::BeforeDue { due, offsets } => ScheduleSpec::BeforeDue(BeforeDueSchedule {
                due: format(due),
                offsets: offsets.iter().map(Offset::normalised).collect(),
                timezone,
            }),
        }
    }

    /// The due time of a `before_due` schedule.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        match &self.kind {
            Kind::BeforeDue { due, .. } => Some(resolve_local(self.zone, *due)),
            _ => None,
        }
    }

    /// Occurrences strictly after `after` and not after `until`, in order, at most `limit`
    /// (itself at most [`MAX_OCCURRENCES`]).
    pub fn occurrences(
        &self,
        after: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        let limit = limit.min(MAX_OCCURRENCES);
        let keep = |t: &DateTime<Utc>| *t > after && until.is_none_or(|u| *t <= u);
        let mut instants: Vec<DateTime<Utc>> = match &self.kind {
            Kind::Once(at) => vec![resolve_local(self.zone, *at)],
            Kind::BeforeDue { due, offsets } => offsets
                .iter()
                .filter_map(|o| o.before(self.zone, *due))
                .collect(),
            Kind::Recurring { expandable, .. } => {
                let Ok(set) = rrule::RRuleSet::from_str(expandable) else {
                    return Vec::new();
                };
                self.expand(&set, after, until, limit)
            }
        };
        instants.sort();
        instants.dedup();
        instants.into_iter().filter(keep).take(limit).collect()
    }

    /// Expands a rule over windows that grow until `limit` occurrences after `after` are found
    /// or the rule (or `until`) ends. The wall clock is at most 14 h from UTC, so each window
    /// starts two days early and the result is filtered exactly.
    fn expand(
        &self,
        set: &rrule::RRuleSet,
        after: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        const HORIZON_DAYS: i64 = 366 * 200;
        let local_after = after.with_timezone(&self.zone).naive_local();
        let local_until =
            until.map(|u| u.with_timezone(&self.zone).naive_local() + Duration::days(2));
        let mut window_days = 8;
        loop {
            let mut upper = local_after + Duration::days(window_days);
            let reached_until = local_until.is_some_and(|u| upper >= u);
            if let Some(u) = local_until.filter(|_| reached_until) {
                upper = u;
            }
            let found: Vec<DateTime<Utc>> = set
                .clone()
                .after(fake_utc(local_after - Duration::days(2)))
                .before(fake_utc(upper))
                .all(u16::MAX)
                .dates
                .into_iter()
                .map(|local| resolve_local(self.zone, local.naive_utc()))
                .filter(|t| *t > after && until.is_none_or(|u| *t <= u))
                .collect();
            if found.len() >= limit || reached_until || window_days >= HORIZON_DAYS {
                return found;
            }
            window_days = (window_days * 4).min(HORIZON_DAYS);
        }
    }

    /// The shortest gap between two consecutive occurrences among the first
    /// [`MAX_OCCURRENCES`]: a rule's BY* parts repeat within its period, so a rule that ever fires
    /// twice within an interval does so among these. `None` with fewer than two occurrences.
    pub fn shortest_gap(&self) -> Option<Duration> {
        let after = match &self.kind {
            Kind::Recurring { start, .. } => resolve_local(self.zone, *start) - Duration::days(2),
            Kind::Once(_) | Kind::BeforeDue { .. } => DateTime::<Utc>::MIN_UTC,
        };
        self.occurrences(after, None, MAX_OCCURRENCES)
            .windows(2)
            .map(|pair| pair[1] - pair[0])
            .min()
    }

    /// The first occurrence strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.occurrences(after, None, 1).into_iter().next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn recurring(rule: &str, start: &str, zone: &str) -> Schedule {
        Schedule::parse(
            &ScheduleSpec::Recurring(RecurringSchedule {
                rrule: rule.into(),
                start: start.into(),
                timezone: Some(zone.into()),
            }),
            chrono_tz::UTC,
        )
        .unwrap()
    }

    #[test]
    fn nine_am_stays_nine_am_across_dst() {
        let s = recurring("FREQ=DAILY", "2027-03-27T09:00:00", "Europe/London");
        let got = s.occurrences(utc("2027-03-26T00:00:00Z"), None, 3);
        assert_eq!(
            got,
            [
                utc("2027-03-27T09:00:00Z"),
                utc("2027-03-28T08:00:00Z"),
                utc("2027-03-29T08:00:00Z")
            ]
        );
    }

    #[test]
    fn gap_times_move_forward_and_ambiguous_times_take_the_first() {
        let gap = recurring("FREQ=DAILY;COUNT=1", "2027-03-28T01:30:00", "Europe/London");
        assert_eq!(
            gap.occurrences(utc("2027-01-01T00:00:00Z"), None, 5),
            [utc("2027-03-28T01:30:00Z")]
        );
        let ambiguous = recurring("FREQ=DAILY;COUNT=1", "2027-10-31T01:30:00", "Europe/London");
        assert_eq!(
            ambiguous.occurrences(utc("2027-01-01T00:00:00Z"), None, 5),
            [utc("2027-10-31T00:30:00Z")]
        );
    }

    #[test]
    fn count_and_until_end_a_rule() {
        let counted = recurring(
            "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3",
            "2027-01-31T17:00:00",
            "UTC",
        );
        assert_eq!(
            counted
                .occurrences(utc("2027-01-01T00:00:00Z"), None, 10)
                .len(),
            3
        );
        let until = recurring(
            "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270201T000000Z",
            "2027-01-04T09:00:00",
            "America/New_York",
        );
        assert_eq!(
            until
                .occurrences(utc("2027-01-01T00:00:00Z"), None, 10)
                .len(),
            4
        );
    }

    #[test]
    fn the_shortest_gap_is_read_from_the_occurrences() {
        let every_second = recurring(
            "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,30;BYSECOND=0,1",
            "2027-01-01T00:00:00",
            "UTC",
        );
        assert_eq!(every_second.shortest_gap(), Some(Duration::seconds(1)));
        let twice_a_day = recurring("FREQ=DAILY;BYHOUR=9,17", "2027-01-01T09:00:00", "UTC");
        assert_eq!(twice_a_day.shortest_gap(), Some(Duration::hours(8)));
        let monthly = recurring("FREQ=MONTHLY;BYMONTHDAY=15", "2027-01-15T09:00:00", "UTC");
        assert_eq!(monthly.shortest_gap(), Some(Duration::days(28)));
    }

    #[test]
    fn offsets_and_dates_that_would_overflow_are_refused() {
        for offsets in [
            vec!["PT9223372036854775807H"],
            vec!["P1317624576693539402W"],
            vec!["P1D9223372036854775807D"],
            vec!["PT99999999999999S"],
        ] {
            let spec = ScheduleSpec::BeforeDue(BeforeDueSchedule {
                due: "2027-06-30T17:00:00".into(),
                offsets: offsets.iter().map(|o| (*o).to_owned()).collect(),
                timezone: None,
            });
            assert!(
                Schedule::parse(&spec, chrono_tz::UTC).is_err(),
                "{offsets:?}"
            );
        }
        for at in [
            "+262142-12-31T23:59:59",
            "10000-01-01T00:00:00",
            "1969-12-31T23:59:59",
        ] {
            let spec = ScheduleSpec::Once(OnceSchedule {
                at: at.into(),
                timezone: None,
            });
            assert!(Schedule::parse(&spec, chrono_tz::UTC).is_err(), "{at}");
        }
        let spec = ScheduleSpec::BeforeDue(BeforeDueSchedule {
            due: "-262143-01-01T00:00:00".into(),
            offsets: vec!["P1D".into()],
            timezone: None,
        });
        assert!(Schedule::parse(&spec, chrono_tz::UTC).is_err());
    }

    #[test]
    fn sub_daily_frequencies_and_bad_rules_are_refused() {
        for rule in [
            "FREQ=MINUTELY",
            "FREQ=SECONDLY",
            "FREQ=HOURLY",
            "BYDAY=MO",
            "FREQ=DAILY;INTERVAL=x",
            "FREQ=FORTNIGHTLY",
        ] {
            let spec = ScheduleSpec::Recurring(RecurringSchedule {
                rrule: rule.into(),
                start: "2027-01-01T09:00:00".into(),
                timezone: None,
            });
            assert!(
                Schedule::parse(&spec, chrono_tz::UTC).is_err(),
                "{rule} was accepted"
            );
        }
    }

    #[test]
    fn before_due_counts_calendar_days_on_the_wall_clock() {
        let spec = ScheduleSpec::BeforeDue(BeforeDueSchedule {
            due: "2027-03-29T09:00:00".into(),
            offsets: vec!["P7D".into(), "P1D".into(), "PT0S".into(), "PT2H".into()],
            timezone: Some("Europe/London".into()),
        });
        let s = Schedule::parse(&spec, chrono_tz::UTC).unwrap();
        assert_eq!(
            s.occurrences(utc("2027-01-01T00:00:00Z"), None, 10),
            [
                utc("2027-03-22T09:00:00Z"),
                utc("2027-03-28T08:00:00Z"),
                utc("2027-03-29T06:00:00Z"),
                utc("2027-03-29T08:00:00Z"),
            ]
        );
        let bad = ScheduleSpec::BeforeDue(BeforeDueSchedule {
            due: "2027-03-29T09:00:00".into(),
            offsets: vec!["7 days".into(), "P1D".into(), "P1D".into()],
            timezone: None,
        });
        assert_eq!(Schedule::parse(&bad, chrono_tz::UTC).unwrap_err().len(), 2);
    }
}
