//! Recurrence expansion checked against an independent RFC 5545 implementation: the cases in
//! `tests/fixtures/rrule_cases.json` were computed by python-dateutil's `rrule` with `zoneinfo`
//! (`pip install python-dateutil && python3 scripts/gen_rrule_fixtures.py` regenerates them).
//! They cross DST changes and start in spring-forward gaps and fall-back overlaps.

use chrono::{DateTime, Utc};
use reminder_backend::domain::schedule::{RecurringSchedule, Schedule, ScheduleSpec};
use serde::Deserialize;

const FIXTURE: &str = include_str!("../fixtures/rrule_cases.json");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    rrule: String,
    start: String,
    timezone: String,
    after: String,
    expected: Vec<String>,
}

fn cases() -> Vec<Case> {
    serde_json::from_str(FIXTURE).expect("tests/fixtures/rrule_cases.json is a list of cases")
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|error| panic!("{text:?} in the fixture is not RFC 3339: {error}"))
        .with_timezone(&Utc)
}

fn format(instants: &[DateTime<Utc>]) -> Vec<String> {
    instants
        .iter()
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .collect()
}

/// A rule that ends: the fixture then lists its complete rest, so one more must not come.
fn is_finite(rule: &str) -> bool {
    rule.split(';')
        .any(|part| part.starts_with("COUNT=") || part.starts_with("UNTIL="))
}

#[test]
fn the_fixture_has_at_least_200_cases() {
    let cases = cases();
    assert!(
        cases.len() >= 200,
        "only {} cases in the fixture",
        cases.len()
    );
    assert!(
        cases.iter().all(|case| !case.expected.is_empty()),
        "a case expects nothing"
    );
}

/// Rules rrule 0.14 refuses though RFC 5545 allows them (see the assertion below).
fn refused_by_the_rrule_crate(rule: &str) -> bool {
    (rule.contains("FREQ=MONTHLY") && rule.contains("BYDAY=-5"))
        || (rule.contains("FREQ=YEARLY") && rule.contains("BYDAY=-53"))
}

#[test]
fn occurrences_agree_with_dateutil() {
    let cases = cases();
    let mut mismatches = Vec::new();
    let mut refused = Vec::new();
    for case in &cases {
        let spec = ScheduleSpec::Recurring(RecurringSchedule {
            rrule: case.rrule.clone(),
            start: case.start.clone(),
            timezone: Some(case.timezone.clone()),
        });
        let schedule = match Schedule::parse(&spec, chrono_tz::UTC) {
            Ok(schedule) => schedule,
            Err(_) if refused_by_the_rrule_crate(&case.rrule) => {
                refused.push(case.rrule.clone());
                continue;
            }
            Err(errors) => {
                mismatches.push(format!(
                    "{} from {} in {}: refused: {errors:?}",
                    case.rrule, case.start, case.timezone
                ));
                continue;
            }
        };
        let expected: Vec<DateTime<Utc>> = case.expected.iter().map(|t| instant(t)).collect();
        let limit = expected.len() + usize::from(is_finite(&case.rrule));
        let got = schedule.occurrences(instant(&case.after), None, limit);
        if got != expected {
            mismatches.push(format!(
                "{} from {} in {} after {}:\n    expected {:?}\n    got      {:?}",
                case.rrule,
                case.start,
                case.timezone,
                case.after,
                case.expected,
                format(&got)
            ));
        }
    }
    // Known limitation, refused with a clear 422 rather than expanded wrongly: rrule 0.14
    // computes the allowed BYDAY ordinal range with truncating division, so MONTHLY refuses
    // -5 and YEARLY refuses -53, both valid in RFC 5545.
    assert!(
        refused.len() <= 5,
        "more refusals than the known ones: {refused:?}"
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} cases disagree with dateutil:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}
