#!/usr/bin/env python3
"""Generates tests/fixtures/rrule_cases.json: recurrence expansions computed independently by
python-dateutil's RFC 5545 `rrule` with `zoneinfo`, to check src/domain/schedule.rs against.

Run from the repository root:

    pip install python-dateutil && python3 scripts/gen_rrule_fixtures.py

(`zoneinfo` reads the system's tz database; on a machine without one, `pip install tzdata`.)

The output is deterministic: no randomness, cases sorted, keys sorted.

Semantics, the same as the Rust side's:
  * the rule is expanded on the local wall clock from DTSTART (`start`, local, no offset);
  * each local result is placed in the zone as an aware datetime with fold=0 and converted
    with `.astimezone(timezone.utc)`: a non-existent (spring-forward gap) time takes the offset
    in force before the gap (02:30 -> 03:30), an ambiguous (fall-back) time its first instant;
  * UNTIL with a trailing Z is a UTC instant, moved onto the zone's wall clock (dateutil wants
    UNTIL of the same kind as DTSTART and compares same-zone datetimes by wall clock);
    UNTIL without Z is a local wall-clock time;
  * duplicates (two local times placed on the same instant) count once.

Each case: {"rrule", "start", "timezone", "after", "expected"}: `expected` holds up to 12
occurrences strictly after `after`. For a rule that ends (COUNT or UNTIL) `expected` is always
the complete rest of the rule, so a test may ask for one more and must get no more.
"""

from __future__ import annotations

import calendar
import json
import re
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "rrule_cases.json"

ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "UTC",
]
TIMES = ["09:00", "00:30", "01:30", "02:30", "23:59"]
MAX_EXPECTED = 12
UTC = timezone.utc


# ---------------------------------------------------------------------------------------------
# Formatting and the reference expansion


def fmt_local(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S")


def fmt_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_local(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")


def to_utc(local: datetime, zone: str) -> datetime:
    """A wall-clock time placed in the zone with fold=0, as a UTC instant."""
    return local.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


UNTIL_RE = re.compile(r"(?:^|;)UNTIL=([0-9T]+Z?)(?=;|$)")


def split_until(rule: str) -> tuple[str, str | None]:
    match = UNTIL_RE.search(rule)
    if not match:
        return rule, None
    parts = [p for p in rule.split(";") if not p.startswith("UNTIL=")]
    return ";".join(parts), match.group(1)


def is_finite(rule: str) -> bool:
    return "COUNT=" in rule or "UNTIL=" in rule


def local_until(value: str, zone: str) -> datetime:
    """UNTIL on the zone's wall clock, as an aware datetime of that zone."""
    tz = ZoneInfo(zone)
    if value.endswith("Z"):
        instant = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return instant.astimezone(tz)
    return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=tz)


def build(rule: str, start: datetime, zone: str):
    """dateutil's rrule for the case, with an aware DTSTART (fold=0) in the zone."""
    tz = ZoneInfo(zone)
    body, until = split_until(rule)
    parsed = rrulestr(body, dtstart=start.replace(tzinfo=tz, fold=0))
    if until is not None:
        parsed = parsed.replace(until=local_until(until, zone))
    return parsed


def expand(rule: str, start: datetime, zone: str, after: datetime, n: int = MAX_EXPECTED) -> list[datetime]:
    """Up to n occurrences strictly after `after` (UTC), sorted, without duplicates."""
    found: set[datetime] = set()
    for occurrence in build(rule, start, zone):
        assert occurrence.tzinfo is not None and occurrence.fold == 0
        instant = occurrence.astimezone(UTC)
        if instant > after:
            found.add(instant)
        # Wall-clock order and UTC order differ by at most a few hours: a margin suffices.
        if len(found) >= n + 4:
            break
    return sorted(found)[:n]


def expand_until_by_instant(rule: str, start: datetime, zone: str, after: datetime) -> list[datetime]:
    """The same rule with a ...Z UNTIL compared as an instant (RFC 5545's literal reading)."""
    body, until = split_until(rule)
    assert until is not None and until.endswith("Z")
    bound = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    bound_wall = bound.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    found = set()
    for occurrence in rrulestr(body, dtstart=start.replace(tzinfo=ZoneInfo(zone), fold=0)):
        if occurrence.replace(tzinfo=None) > bound_wall + timedelta(days=1):
            break
        instant = occurrence.astimezone(UTC)
        if after < instant <= bound:
            found.add(instant)
    return sorted(found)[:MAX_EXPECTED]


def first_on_or_after(rule: str, day: date, hhmm: str) -> datetime:
    """The first local occurrence of the rule's pattern on or after `day` at `hhmm`.

    Used to pick a DTSTART that the rule itself generates (synchronised, RFC 5545 §3.8.5.3).
    COUNT and UNTIL are left out: only the pattern matters here.
    """
    body, _ = split_until(rule)
    body = ";".join(p for p in body.split(";") if not p.startswith("COUNT="))
    hour, minute = map(int, hhmm.split(":"))
    anchor = datetime(day.year, day.month, day.day, hour, minute)
    for occurrence in rrulestr(body, dtstart=anchor):
        return occurrence
    raise AssertionError(f"{rule} has no occurrence after {anchor}")


# ---------------------------------------------------------------------------------------------
# The zones' transitions in 2027-2029, found from zoneinfo itself


class Transition:
    def __init__(self, zone: str, instant: datetime, before: timedelta, after: timedelta):
        self.zone = zone
        self.instant = instant  # UTC
        self.before = before  # offset before
        self.after = after  # offset after

    @property
    def is_gap(self) -> bool:
        return self.after > self.before

    @property
    def wall_start(self) -> datetime:
        """First wall-clock time inside the gap or the overlap."""
        naive = self.instant.replace(tzinfo=None)
        return naive + (self.before if self.is_gap else self.after)

    @property
    def wall_middle(self) -> datetime:
        return self.wall_start + abs(self.after - self.before) / 2

    @property
    def local_date(self) -> date:
        return self.wall_start.date()


def transitions(zone: str) -> list[Transition]:
    tz = ZoneInfo(zone)
    found = []
    t = datetime(2027, 1, 1, tzinfo=UTC)
    end = datetime(2030, 1, 1, tzinfo=UTC)
    previous = t.astimezone(tz).utcoffset()
    while t < end:
        nxt = t + timedelta(hours=1)
        offset = nxt.astimezone(tz).utcoffset()
        if offset != previous:
            lo, hi = t, nxt  # the change happens in (lo, hi]
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == previous:
                    lo = mid
                else:
                    hi = mid
            found.append(Transition(zone, hi, previous, offset))
            previous = offset
        t = nxt
    return found


TRANSITIONS = {zone: transitions(zone) for zone in ZONES}
DST_ZONES = [z for z in ZONES if TRANSITIONS[z]]
# Anchor dates for zones without DST (they cross other zones' transitions, harmlessly).
PLAIN_ANCHORS = [date(2027, 3, 28), date(2027, 11, 7), date(2028, 4, 2), date(2028, 10, 1), date(2029, 3, 11), date(2029, 9, 30)]


def crosses_transition(zone: str, first: datetime, last: datetime) -> bool:
    tz = ZoneInfo(zone)
    return first.astimezone(tz).utcoffset() != last.astimezone(tz).utcoffset() or any(
        first < tr.instant <= last for tr in all_transitions(zone)
    )


def all_transitions(zone: str) -> list[Transition]:
    # 2027-2029 plus the years after, enough for yearly rules' spans.
    tz = ZoneInfo(zone)
    found = list(TRANSITIONS[zone])
    if not found:
        return found
    t = datetime(2030, 1, 1, tzinfo=UTC)
    previous = t.astimezone(tz).utcoffset()
    while t < datetime(2045, 1, 1, tzinfo=UTC):
        t += timedelta(hours=6)
        offset = t.astimezone(tz).utcoffset()
        if offset != previous:
            found.append(Transition(zone, t, previous, offset))
            previous = offset
    return found


# ---------------------------------------------------------------------------------------------
# The cases

CASES: dict[tuple[str, str, str, str], dict] = {}


def add(rule: str, start: datetime, zone: str, after: datetime | None = None, *, cross: bool = False) -> dict:
    """Adds a case; `after` defaults to DTSTART (placed in the zone) minus one second.

    With `cross`, checks that the expected occurrences span a DST transition of the zone.
    """
    if after is None:
        after = to_utc(start, zone) - timedelta(seconds=1)
    assert 2027 <= start.year <= 2029, (rule, start, zone)
    expected = expand(rule, start, zone, after)
    assert expected, (rule, start, zone, after)
    if is_finite(rule):
        # The rule's complete rest: a test may ask for one more than given and get none.
        assert len(expand(rule, start, zone, after, MAX_EXPECTED + 1)) <= MAX_EXPECTED, (rule, start, zone)
    if cross and zone in DST_ZONES and len(expected) > 1:
        assert crosses_transition(zone, expected[0], expected[-1]), ("does not cross DST", rule, start, zone)
    case = {
        "rrule": rule,
        "start": fmt_local(start),
        "timezone": zone,
        "after": fmt_utc(after),
        "expected": [fmt_utc(t) for t in expected],
    }
    key = (zone, case["start"], rule, case["after"])
    CASES[key] = case
    return case


def until_z(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def until_local(local: datetime) -> str:
    return local.strftime("%Y%m%dT%H%M%S")


# Templates: (rule, lead). The start is the rule's first occurrence on or after (a transition
# of the zone minus `lead`), so that the expected occurrences cross it. "{UNTIL_Z}" and
# "{UNTIL_LOCAL}" are replaced by the instant / the wall-clock time of the 7th occurrence.
DAY, WEEK, MONTH = timedelta(days=1), timedelta(weeks=1), timedelta(days=31)
TEMPLATES: list[tuple[str, timedelta]] = [
    ("FREQ=DAILY", 3 * DAY),
    ("FREQ=DAILY;INTERVAL=3", 10 * DAY),
    ("FREQ=DAILY;COUNT=6", 3 * DAY),
    ("FREQ=DAILY;BYDAY=SA,SU", 10 * DAY),
    ("FREQ=DAILY;INTERVAL=2;UNTIL={UNTIL_Z}", 5 * DAY),
    ("FREQ=WEEKLY;BYDAY=SU", 3 * WEEK),
    ("FREQ=WEEKLY;BYDAY=MO,WE,FR", 2 * WEEK),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=MO", 5 * WEEK),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU", 5 * WEEK),
    ("FREQ=WEEKLY;COUNT=8;BYDAY=SA,SU", 2 * WEEK),
    ("FREQ=WEEKLY;UNTIL={UNTIL_Z}", 3 * WEEK),
    ("FREQ=WEEKLY;INTERVAL=3;BYDAY=SU;UNTIL={UNTIL_LOCAL}", 9 * WEEK),
    ("FREQ=MONTHLY;BYDAY=1MO", 2 * MONTH),
    ("FREQ=MONTHLY;BYDAY=-1FR", 2 * MONTH),
    ("FREQ=MONTHLY;BYDAY=2TU", 2 * MONTH),
    ("FREQ=MONTHLY;BYMONTHDAY=-1", 2 * MONTH),
    ("FREQ=MONTHLY;BYMONTHDAY=-2", 2 * MONTH),
    ("FREQ=MONTHLY;BYMONTHDAY=1,15", MONTH),
    ("FREQ=MONTHLY;BYMONTHDAY=31", 3 * MONTH),
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", 2 * MONTH),
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1", 2 * MONTH),
    ("FREQ=MONTHLY;BYDAY=SA,SU;BYSETPOS=2,-2", 2 * MONTH),
    ("FREQ=MONTHLY;INTERVAL=2;BYDAY=-1SU", 4 * MONTH),
    ("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", 8 * MONTH),
    ("FREQ=MONTHLY;COUNT=5;BYDAY=-1SU", 2 * MONTH),
    ("FREQ=MONTHLY;BYMONTH=3,4,9,10,11;BYDAY=1SU,2SU,-1SU", 2 * MONTH),
    ("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=-1;UNTIL={UNTIL_LOCAL}", 4 * MONTH),
    ("FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU", 2 * MONTH),
    ("FREQ=YEARLY;BYMONTH=3,11;BYDAY=2SU,1SU", 2 * MONTH),
    ("FREQ=YEARLY;BYMONTH=4,9,10;BYDAY=1SU,-1SU;COUNT=10", 2 * MONTH),
    ("FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=-1", 2 * MONTH),
    ("FREQ=YEARLY;BYWEEKNO=13,44;BYDAY=SU", 2 * MONTH),
    ("FREQ=YEARLY;BYYEARDAY=1,88,300,-1", 2 * MONTH),
    ("FREQ=YEARLY;BYDAY=20MO,-10FR", 2 * MONTH),
]


def fill_until(rule: str, start: datetime, zone: str) -> str:
    if "{UNTIL" not in rule:
        return rule
    pattern = rule.replace(";UNTIL={UNTIL_Z}", "").replace(";UNTIL={UNTIL_LOCAL}", "")
    seventh = list(build(pattern + ";COUNT=7", start, zone))[-1].replace(tzinfo=None)
    if "{UNTIL_Z}" in rule:
        return rule.replace("{UNTIL_Z}", until_z(to_utc(seventh, zone)))
    return rule.replace("{UNTIL_LOCAL}", until_local(seventh))


def matrix() -> None:
    """Every template in every zone, at a time rotated over TIMES, just before a transition."""
    for ti, (template, lead) in enumerate(TEMPLATES):
        for zi, zone in enumerate(ZONES):
            hhmm = TIMES[(ti + zi) % len(TIMES)]
            if zone in DST_ZONES:
                trs = TRANSITIONS[zone]
                anchor = trs[(ti * 7 + zi) % len(trs)].local_date
            else:
                anchor = PLAIN_ANCHORS[(ti + zi) % len(PLAIN_ANCHORS)]
            day = anchor - lead
            if day.year < 2027:
                day = anchor + timedelta(days=365) - lead
            pattern = template.replace(";UNTIL={UNTIL_Z}", "").replace(";UNTIL={UNTIL_LOCAL}", "")
            start = first_on_or_after(pattern, day, hhmm)
            add(fill_until(template, start, zone), start, zone, cross=True)


def later_after() -> None:
    """Infinite rules asked from a later `after`, a little before a 2029 transition."""
    infinite = [(t, lead) for t, lead in TEMPLATES if not is_finite(t)]
    for ti, (template, lead) in enumerate(infinite):
        zone = DST_ZONES[ti % len(DST_ZONES)]
        hhmm = TIMES[(ti + 2) % len(TIMES)]
        trs = [tr for tr in TRANSITIONS[zone] if tr.instant.year == 2029]
        tr = trs[ti % len(trs)]
        start = first_on_or_after(template, date(2027, 1 + ti % 6, 1 + ti % 27), hhmm)
        # An arbitrary second, not on an occurrence.
        after = tr.instant - lead / 2 + timedelta(hours=5, minutes=17, seconds=43)
        add(template, start, zone, after, cross=True)
        # And from just before the last occurrence given, in a zone without DST.
        plain = ["America/Sao_Paulo", "Asia/Kolkata", "Asia/Tokyo", "UTC"][ti % 4]
        start = first_on_or_after(template, date(2027, 2 + ti % 9, 3 + ti % 25), hhmm)
        add(template, start, plain, datetime(2029, 6, 30, 12, 0, 0, tzinfo=UTC))


def sunday_ordinal(day: date) -> str:
    if day.day + 7 > calendar.monthrange(day.year, day.month)[1]:
        return "-1SU"
    return f"{(day.day - 1) // 7 + 1}SU"


def gaps_and_overlaps() -> None:
    """Starts inside spring-forward gaps and fall-back overlaps, and rules that keep hitting them."""
    for zone in DST_ZONES:
        for tr in TRANSITIONS[zone]:
            start = tr.wall_middle.replace(second=0, microsecond=0)
            weekday = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][start.weekday()]
            assert weekday == "SU", (zone, start)
            ordinal = sunday_ordinal(start.date())
            year = start.year
            # Every year's transition Sunday at that wall time: each occurrence in a gap/overlap.
            add(f"FREQ=YEARLY;BYMONTH={start.month};BYDAY={ordinal}", start, zone)
            if year == 2027:
                add("FREQ=DAILY;COUNT=4", start, zone)
                add("FREQ=DAILY", start - timedelta(days=2), zone)
                add(f"FREQ=WEEKLY;BYDAY={weekday}", start, zone)
                add(f"FREQ=MONTHLY;BYDAY={ordinal}", start, zone)
                add("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU;WKST=SU;COUNT=6", start - timedelta(days=8), zone)
                # `after` just before, at and just after the first instant of the start.
                first = to_utc(start, zone)
                add("FREQ=DAILY;COUNT=3", start, zone, first)
                add("FREQ=DAILY;COUNT=3", start, zone, first + timedelta(seconds=1))
                if not tr.is_gap:
                    # Between the two instants of an ambiguous time: the first is not after it.
                    add("FREQ=DAILY", start - timedelta(days=1), zone, first + timedelta(minutes=30))
                    second = first + (tr.before - tr.after)
                    add("FREQ=DAILY", start - timedelta(days=1), zone, second)
                else:
                    # The gap time read with the pre-gap offset lies after the gap in UTC.
                    add("FREQ=DAILY", start - timedelta(days=1), zone, tr.instant - timedelta(seconds=1))
            if year == 2028:
                # Exactly at the transition's edges.
                edge = tr.wall_start
                add("FREQ=DAILY;COUNT=3", edge - timedelta(days=1), zone)
                add("FREQ=DAILY;COUNT=3", edge - timedelta(days=1, minutes=1), zone)
                add("FREQ=DAILY;COUNT=3", edge - timedelta(days=1) + abs(tr.after - tr.before), zone)
    # The examples named in the brief.
    for zone, text in [
        ("Europe/London", "2027-03-28T01:30:00"),
        ("America/New_York", "2027-03-14T02:30:00"),
        ("Europe/London", "2027-10-31T01:30:00"),
        ("America/New_York", "2027-11-07T01:30:00"),
    ]:
        add("FREQ=DAILY;COUNT=5", parse_local(text), zone)
        add("FREQ=WEEKLY;BYDAY=SU;COUNT=10", parse_local(text), zone)


def specials() -> None:
    """Leap days, short months, UNTIL edges, dense BYHOUR, and unsynchronised starts."""
    for zi, zone in enumerate(ZONES):
        hhmm = TIMES[zi % len(TIMES)]
        h, m = map(int, hhmm.split(":"))
        add("FREQ=YEARLY;COUNT=4", datetime(2028, 2, 29, h, m), zone)
        add("FREQ=MONTHLY;COUNT=9", datetime(2027, 1, 31, h, m), zone)
    # UNTIL exactly at an occurrence (inclusive), in both forms, and a second before it.
    for zone in ["Europe/London", "America/New_York", "Australia/Sydney", "Pacific/Auckland"]:
        start = datetime(2027, 9, 15, 9, 0)
        tenth = datetime(2027, 9, 24, 9, 0)
        add(f"FREQ=DAILY;UNTIL={until_z(to_utc(tenth, zone))}", start, zone)
        add(f"FREQ=DAILY;UNTIL={until_z(to_utc(tenth, zone) - timedelta(seconds=1))}", start, zone)
        add(f"FREQ=DAILY;UNTIL={until_local(tenth)}", start, zone)
    # UNTIL near overlaps and gaps: here the wall-clock reading and the instant reading of a
    # ...Z UNTIL may differ; the fixture follows the wall clock (see the report printed).
    add("FREQ=DAILY;UNTIL=20271031T010000Z", datetime(2027, 10, 28, 1, 30), "Europe/London")
    add("FREQ=DAILY;UNTIL=20271031T003000Z", datetime(2027, 10, 28, 1, 30), "Europe/London")
    add("FREQ=DAILY;UNTIL=20271107T061500Z", datetime(2027, 11, 4, 1, 30), "America/New_York")
    add("FREQ=DAILY;UNTIL=20270328T011500Z", datetime(2027, 3, 25, 1, 30), "Europe/London")
    add("FREQ=DAILY;UNTIL=20270314T071500Z", datetime(2027, 3, 11, 2, 30), "America/New_York")
    add("FREQ=DAILY;UNTIL=20270328T013000", datetime(2027, 3, 25, 1, 30), "Europe/London")
    add("FREQ=DAILY;UNTIL=20271031T013000", datetime(2027, 10, 28, 1, 30), "Europe/London")
    # Several times a day: in a gap two wall times can meet on one instant (counted once).
    add("FREQ=DAILY;BYHOUR=0,1,2,3;BYMINUTE=30", datetime(2027, 3, 27, 0, 30), "Europe/London")
    add("FREQ=DAILY;BYHOUR=1,2,3;BYMINUTE=30", datetime(2027, 10, 30, 1, 30), "Europe/London")
    add("FREQ=DAILY;BYHOUR=2,3;BYMINUTE=15", datetime(2027, 3, 13, 2, 15), "America/New_York")
    add("FREQ=WEEKLY;BYDAY=SU;BYHOUR=9,21", datetime(2027, 3, 21, 9, 0), "Europe/Berlin")
    # Corners of the RFC where implementations part ways: ISO weeks with WKST, negative and
    # large ordinals, BYSETPOS over several BY parts, day-of-start inherited by BYMONTH.
    corners = [
        ("FREQ=YEARLY;BYMONTH=3,10", datetime(2027, 3, 28, 2, 30)),
        ("FREQ=YEARLY;BYDAY=SU;BYMONTH=10;BYMONTHDAY=25,26,27,28,29,30,31", datetime(2027, 10, 31, 2, 30)),
        ("FREQ=YEARLY;BYWEEKNO=-1;BYDAY=MO,FR", datetime(2027, 12, 27, 9, 0)),
        ("FREQ=YEARLY;BYWEEKNO=1;BYDAY=SU;WKST=SU", datetime(2028, 1, 2, 9, 0)),
        ("FREQ=YEARLY;BYWEEKNO=1;BYDAY=SU;WKST=MO", datetime(2027, 1, 10, 9, 0)),
        ("FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH", datetime(2027, 12, 30, 23, 59)),
        ("FREQ=YEARLY;BYYEARDAY=-306,-1", datetime(2027, 3, 1, 0, 30)),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1", datetime(2027, 2, 28, 1, 30)),
        ("FREQ=YEARLY;BYMONTH=12;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", datetime(2027, 12, 31, 9, 0)),
        ("FREQ=YEARLY;BYDAY=-1SU", datetime(2027, 12, 26, 1, 30)),
        ("FREQ=YEARLY;BYDAY=1SU,-1SU;BYMONTH=4,10", datetime(2027, 4, 4, 2, 30)),
        ("FREQ=MONTHLY;BYDAY=5FR", datetime(2027, 1, 29, 9, 0)),
        ("FREQ=MONTHLY;BYDAY=-5MO", datetime(2027, 3, 1, 2, 30)),
        ("FREQ=YEARLY;BYDAY=-53MO;COUNT=3", datetime(2029, 1, 1, 9, 0)),
        ("FREQ=YEARLY;BYDAY=53MO;COUNT=3", datetime(2029, 12, 31, 9, 0)),
        ("FREQ=MONTHLY;BYMONTHDAY=-1;BYDAY=MO,TU,WE,TH,FR", datetime(2027, 3, 31, 1, 30)),
        ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2", datetime(2027, 3, 30, 2, 30)),
        ("FREQ=MONTHLY;BYMONTHDAY=1,2,3,4,5,6,7;BYDAY=SU;BYSETPOS=1", datetime(2027, 3, 7, 2, 30)),
        ("FREQ=MONTHLY;BYMONTHDAY=-7,-6,-5,-4,-3,-2,-1;BYDAY=SU", datetime(2027, 3, 28, 1, 30)),
        ("FREQ=MONTHLY;INTERVAL=13;BYMONTHDAY=30", datetime(2027, 1, 30, 23, 59)),
        ("FREQ=DAILY;BYMONTH=3,10;BYDAY=SU", datetime(2027, 3, 7, 2, 30)),
        ("FREQ=DAILY;BYMONTHDAY=1,-1", datetime(2027, 3, 1, 2, 30)),
        ("FREQ=WEEKLY;INTERVAL=4;BYDAY=SU;WKST=SA", datetime(2027, 3, 14, 2, 30)),
        ("FREQ=WEEKLY;BYMONTH=3,11;BYDAY=SU", datetime(2027, 3, 7, 1, 30)),
    ]
    for ci, (rule, start) in enumerate(corners):
        for zone in (DST_ZONES[ci % len(DST_ZONES)], DST_ZONES[(ci + 3) % len(DST_ZONES)]):
            add(rule, start, zone)
    # Many times a day (up to 48), asked from a later `after`.
    add("FREQ=DAILY;BYHOUR=0,3,6,9,12,15,18,21;BYMINUTE=0,30", datetime(2027, 3, 1, 0, 0), "Europe/London", datetime(2027, 3, 27, 12, 0, tzinfo=UTC))
    add("FREQ=DAILY;BYHOUR=8,20", datetime(2027, 3, 1, 8, 0), "America/New_York", datetime(2027, 3, 13, 12, 0, tzinfo=UTC))
    hours = ",".join(str(h) for h in range(24))
    add(f"FREQ=DAILY;BYHOUR={hours};BYMINUTE=0,30", datetime(2027, 3, 1, 0, 0), "Europe/London", datetime(2027, 3, 28, 0, 10, tzinfo=UTC))
    add(f"FREQ=DAILY;BYHOUR={hours};BYMINUTE=0,30", datetime(2027, 3, 28, 0, 0), "Europe/London")
    # DTSTART not generated by the rule (RFC 5545: "undefined"; dateutil leaves it out).
    add("FREQ=MONTHLY;BYDAY=1MO", datetime(2027, 3, 10, 9, 0), "Europe/London")
    add("FREQ=WEEKLY;BYDAY=MO;COUNT=5", datetime(2027, 3, 4, 23, 59), "America/New_York")
    add("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", datetime(2027, 1, 15, 1, 30), "Europe/London")
    add("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", datetime(2027, 9, 15, 2, 30), "Australia/Sydney")
    add("FREQ=DAILY;BYDAY=SU;COUNT=4", datetime(2027, 9, 22, 2, 30), "Pacific/Auckland")


def main() -> int:
    matrix()
    later_after()
    gaps_and_overlaps()
    specials()

    cases = [CASES[key] for key in sorted(CASES)]
    assert len(cases) >= 200, len(cases)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(cases, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    # Where reading a ...Z UNTIL as an instant (rather than on the wall clock) would differ.
    differing = []
    for case in cases:
        _, until = split_until(case["rrule"])
        if until and until.endswith("Z"):
            after = datetime.fromisoformat(case["after"].replace("Z", "+00:00"))
            by_instant = [fmt_utc(t) for t in expand_until_by_instant(case["rrule"], parse_local(case["start"]), case["timezone"], after)]
            if by_instant != case["expected"]:
                differing.append((case, by_instant))
    for case, by_instant in differing:
        print(
            f"note: UNTIL read as an instant would differ: {case['rrule']} from {case['start']} "
            f"{case['timezone']}: wall clock {case['expected'][-2:]} vs instant {by_instant[-2:]}"
        )
    print(f"{len(cases)} cases written to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
