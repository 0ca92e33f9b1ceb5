"""Time phrase resolution: examples, DST, errors, and hypothesis properties; the Strands tool wrappers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import pytz
from hypothesis import given, settings
from hypothesis import strategies as st

from calledit.errors import BadInput
from calledit.timeparse import current_time, find_date_phrase, resolve_date
from calledit.tools import current_time as current_time_tool
from calledit.tools import parse_date_with_timezone

REF = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Paris, 04:00 in New York

EXAMPLES = [
    # phrase, zone, expected local wall time, kind
    ("tomorrow", "Europe/Paris", "2026-11-25T23:59:59", "instant"),
    ("tomorrow at 3pm", "Europe/Paris", "2026-11-25T15:00:00", "instant"),
    ("today at 17:30", "Europe/Paris", "2026-11-24T17:30:00", "instant"),
    ("tonight", "Europe/Paris", "2026-11-24T23:59:59", "instant"),
    ("next Friday", "Europe/Paris", "2026-11-27T23:59:59", "instant"),
    ("next Tuesday", "Europe/Paris", "2026-12-01T23:59:59", "instant"),
    ("on Tuesday", "Europe/Paris", "2026-11-24T23:59:59", "instant"),
    ("by March 2027", "Europe/Paris", "2027-03-31T23:59:59", "deadline"),
    ("in March", "America/New_York", "2027-03-31T23:59:59", "deadline"),
    ("March 15", "Europe/Paris", "2027-03-15T23:59:59", "instant"),
    ("March 15, 2027", "Europe/Paris", "2027-03-15T23:59:59", "instant"),
    ("15 March 2027 at 9am", "Europe/Paris", "2027-03-15T09:00:00", "instant"),
    ("2027-03-15", "Europe/Paris", "2027-03-15T23:59:59", "instant"),
    ("2027-03-15T10:00", "America/New_York", "2027-03-15T10:00:00", "instant"),
    ("end of the year", "Europe/Paris", "2026-12-31T23:59:59", "deadline"),
    ("by the end of the year", "America/New_York", "2026-12-31T23:59:59", "deadline"),
    ("end of the month", "Europe/Paris", "2026-11-30T23:59:59", "deadline"),
    ("end of next week", "Europe/Paris", "2026-12-06T23:59:59", "deadline"),
    ("next month", "Europe/Paris", "2026-12-31T23:59:59", "deadline"),
    ("next year", "Europe/Paris", "2027-12-31T23:59:59", "deadline"),
    ("within 2 weeks", "Europe/Paris", "2026-12-08T23:59:59", "deadline"),
    ("in 3 days", "America/New_York", "2026-11-27T23:59:59", "deadline"),
    ("within a month", "Europe/Paris", "2026-12-24T23:59:59", "deadline"),
    ("in 6 months", "Europe/Paris", "2027-05-24T23:59:59", "deadline"),
    ("by 2030", "Europe/Paris", "2030-12-31T23:59:59", "deadline"),
    ("Q3 2027", "Europe/Paris", "2027-09-30T23:59:59", "deadline"),
    ("by Q1", "Europe/Paris", "2027-03-31T23:59:59", "deadline"),
    ("H1 2027", "Europe/Paris", "2027-06-30T23:59:59", "deadline"),
    ("this weekend", "Europe/Paris", "2026-11-29T23:59:59", "deadline"),
    ("by Christmas", "Europe/Paris", "2026-12-25T23:59:59", "deadline"),
    ("New Year's Eve", "Europe/Paris", "2026-12-31T23:59:59", "deadline"),
    ("at 3pm", "Europe/Paris", "2026-11-24T15:00:00", "instant"),
    ("at 9am", "Europe/Paris", "2026-11-25T09:00:00", "instant"),  # already past today
    ("by noon", "Europe/Paris", "2026-11-24T12:00:00", "deadline"),
]


@pytest.mark.parametrize(("phrase", "zone", "local", "kind"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_phrases(phrase: str, zone: str, local: str, kind: str) -> None:
    resolved = resolve_date(phrase, zone, REF)
    assert resolved.local.replace(tzinfo=None).isoformat() == local
    assert resolved.kind == kind
    assert resolved.utc == resolved.local.astimezone(UTC)
    assert resolved.local.tzinfo is not None and str(resolved.local.tzinfo.zone) == zone  # type: ignore[attr-defined]
    assert phrase in resolved.reasoning and "UTC" in resolved.reasoning


def test_in_hours_is_elapsed_time_across_a_dst_change() -> None:
    # 2027-03-28 01:30 in Paris; clocks jump 02:00 -> 03:00: two hours later is 04:30 local.
    ref = pytz.timezone("Europe/Paris").localize(datetime(2027, 3, 28, 1, 30))
    resolved = resolve_date("in 2 hours", "Europe/Paris", ref)
    assert resolved.utc - ref.astimezone(UTC) == timedelta(hours=2)
    assert resolved.local.hour == 4 and resolved.local.minute == 30


def test_tomorrow_at_3pm_is_wall_clock_across_a_dst_change() -> None:
    ref = pytz.timezone("America/New_York").localize(datetime(2027, 3, 13, 16, 0))  # day before DST starts
    resolved = resolve_date("tomorrow at 3pm", "America/New_York", ref)
    assert resolved.local.replace(tzinfo=None) == datetime(2027, 3, 14, 15, 0)
    assert resolved.local.utcoffset() == timedelta(hours=-4)


def test_nonexistent_time_moves_forward_and_says_so() -> None:
    resolved = resolve_date("2027-03-28T02:30", "Europe/Paris", REF)
    assert resolved.local.replace(tzinfo=None) == datetime(2027, 3, 28, 3, 30)
    assert "does not exist" in resolved.reasoning


def test_ambiguous_time_takes_the_first_occurrence_and_says_so() -> None:
    resolved = resolve_date("2027-10-31T02:30", "Europe/Paris", REF)
    assert resolved.utc == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # still CEST (+02:00)
    assert "happens twice" in resolved.reasoning


def test_past_dates_are_flagged() -> None:
    assert resolve_date("2020-01-01", "UTC", REF).in_past
    assert not resolve_date("tomorrow", "UTC", REF).in_past


@pytest.mark.parametrize(
    ("phrase", "zone", "words"),
    [
        ("next blursday", "UTC", "could not understand"),
        ("", "UTC", "empty"),
        ("tomorrow", "Mars/Olympus", "unknown timezone"),
        ("2027-13-45", "UTC", "not a valid ISO-8601"),
        ("x" * 500, "UTC", "longer than"),
        ("today at 25:00", "UTC", "not a valid time of day"),
    ],
)
def test_clear_errors(phrase: str, zone: str, words: str) -> None:
    with pytest.raises(BadInput) as info:
        resolve_date(phrase, zone, REF)
    assert words in info.value.message


@pytest.mark.parametrize(
    ("sentence", "phrase"),
    [
        ("The S&P 500 will close above 7000 by March 2027", "by March 2027"),
        ("Bitcoin hits 100k within 2 weeks", "within 2 weeks"),
        ("It will rain in Paris tomorrow", "tomorrow"),
        ("The sun will rise tomorrow at 7am", "tomorrow at 7am"),
        ("Apple will release a foldable iPhone by 2028.", "by 2028"),
        ("Lakers win on Friday", "on Friday"),
        ("Something vague will happen", None),
        ("Revenue will grow 7000 percent", None),
    ],
)
def test_find_date_phrase(sentence: str, phrase: str | None) -> None:
    assert find_date_phrase(sentence) == phrase


def test_current_time_reports_zone_offset_and_weekday() -> None:
    now = current_time("Asia/Kolkata", datetime(2026, 11, 24, 18, 43, tzinfo=UTC))
    assert now == {
        "timezone": "Asia/Kolkata",
        "local": "2026-11-25T00:13:00+05:30",
        "utc": "2026-11-24T18:43:00Z",
        "weekday": "Wednesday",
        "utc_offset": "+05:30",
        "is_dst": False,
    }


# ------------------------------------------------------------------ properties

ZONES = st.sampled_from(sorted(pytz.common_timezones))
INSTANTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)).map(
    lambda d: d.replace(tzinfo=UTC, microsecond=0)
)


@settings(max_examples=200, deadline=None)
@given(zone=ZONES, instant=INSTANTS)
def test_iso_with_offset_round_trips_to_the_same_instant(zone: str, instant: datetime) -> None:
    resolved = resolve_date(instant.isoformat(), zone, REF)
    assert resolved.utc == instant
    assert resolved.local == instant
    assert str(resolved.local.tzinfo.zone) == zone  # type: ignore[union-attr]


@settings(max_examples=200, deadline=None)
@given(zone=ZONES, reference=INSTANTS)
def test_tomorrow_is_the_next_local_day_and_after_reference(zone: str, reference: datetime) -> None:
    resolved = resolve_date("tomorrow", zone, reference)
    local_ref = reference.astimezone(pytz.timezone(zone))
    assert resolved.utc > reference
    assert resolved.local.date() == local_ref.date() + timedelta(days=1)
    assert resolved.utc == resolved.local.astimezone(UTC)


@settings(max_examples=150, deadline=None)
@given(zone=ZONES, reference=INSTANTS, n=st.integers(min_value=1, max_value=60))
def test_durations_are_monotone(zone: str, reference: datetime, n: int) -> None:
    for unit in ("days", "weeks", "months", "hours"):
        shorter = resolve_date(f"in {n} {unit}", zone, reference)
        longer = resolve_date(f"within {n + 1} {unit}", zone, reference)
        assert reference < shorter.utc < longer.utc


@settings(max_examples=200, deadline=None)
@given(zone=ZONES, reference=INSTANTS)
def test_end_of_the_month_is_the_last_local_day_of_the_reference_month(
    zone: str, reference: datetime
) -> None:
    local_ref = reference.astimezone(pytz.timezone(zone))
    resolved = resolve_date("end of the month", zone, reference)
    nxt = (local_ref.date().replace(day=28) + timedelta(days=4)).replace(day=1)
    assert resolved.local.date() == nxt - timedelta(days=1)
    assert (resolved.local.hour, resolved.local.minute, resolved.local.second) == (23, 59, 59)


# ------------------------------------------------------------------ Strands tools


def test_tools_have_specs_for_the_model() -> None:
    spec = parse_date_with_timezone.tool_spec
    assert spec["name"] == "parse_date_with_timezone"
    props = spec["inputSchema"]["json"]["properties"]
    assert {"date_text", "timezone", "reference"} <= set(props)
    assert "IANA" in props["timezone"]["description"]
    assert current_time_tool.tool_spec["name"] == "current_time"


def test_tool_results_are_success_or_error_never_exceptions() -> None:
    ok = parse_date_with_timezone("by March 2027", "Europe/Paris", REF.isoformat())
    assert ok["status"] == "success" and ok["content"][0]["json"]["utc"] == "2027-03-31T21:59:59Z"
    bad_zone = current_time_tool("Nowhere/Land")
    assert bad_zone["status"] == "error" and "unknown timezone" in bad_zone["content"][0]["text"]
    bad_text = parse_date_with_timezone("when pigs fly", "UTC")
    assert bad_text["status"] == "error" and "could not understand" in bad_text["content"][0]["text"]
