"""Time phrase resolution: examples, DST, errors, and hypothesis properties; the Strands tool wrappers."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

import pytest
import pytz
from hypothesis import given, settings
from hypothesis import strategies as st

from calledit.errors import BadInput
from calledit.prediction import format_utc
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


# ------------------------------------------------------------------ regressions from the evaluation dataset

DATASET_ROWS = [
    # id, phrase, zone, reference, gold UTC (the hand arithmetic is in evaluation/dataset.jsonl)
    ("e011", "before September 2027", "UTC", "2026-11-25T10:00:00+00:00", "2027-08-31T23:59:59Z"),
    ("e026", "at the end of 2030", "UTC", "2026-11-25T10:00:00+00:00", "2030-12-31T23:59:59Z"),
    (
        "e066",
        "in a couple of weeks",
        "America/Sao_Paulo",
        "2026-11-25T10:00:00-03:00",
        "2026-12-10T02:59:59Z",
    ),
    ("e097", "by 5pm tomorrow", "Europe/London", "2026-11-25T10:00:00+00:00", "2026-11-26T17:00:00Z"),
    ("e105", "at 2027-01-15T07:00", "Europe/London", "2026-11-25T10:00:00+00:00", "2027-01-15T07:00:00Z"),
    (
        "e106",
        "before 2027-06-10T14:15:00+02:00",
        "Europe/Paris",
        "2026-11-25T10:00:00+01:00",
        "2027-06-10T12:15:00Z",
    ),
    ("e126", "by Thanksgiving", "America/New_York", "2026-11-25T10:00:00-05:00", "2026-11-27T04:59:59Z"),
    ("e127", "on Easter Sunday 2027", "Europe/Paris", "2026-11-25T10:00:00+01:00", "2027-03-28T21:59:59Z"),
]


@pytest.mark.parametrize(
    ("row", "phrase", "zone", "reference", "gold"), DATASET_ROWS, ids=[r[0] for r in DATASET_ROWS]
)
def test_dataset_regressions(row: str, phrase: str, zone: str, reference: str, gold: str) -> None:
    assert format_utc(resolve_date(phrase, zone, reference).utc) == gold


@pytest.mark.parametrize(
    ("phrase", "local"),
    [
        ("before September 2027", "2027-08-31T23:59:59"),  # e011
        ("before tomorrow", "2026-11-24T23:59:59"),
        ("before Friday", "2026-11-26T23:59:59"),
        ("before next week", "2026-11-29T23:59:59"),
        ("before the weekend", "2026-11-27T23:59:59"),
        ("before Christmas", "2026-12-24T23:59:59"),
        ("before Q3 2027", "2027-06-30T23:59:59"),
        ("before 2030", "2029-12-31T23:59:59"),
        ("before 2027-06-10", "2027-06-09T23:59:59"),
        ("before the end of the year", "2026-12-31T23:59:59"),  # the end of a period is an instant
        ("before 5pm", "2026-11-24T17:00:00"),  # so is a clock time: the deadline is that instant
        ("until September 2027", "2027-09-30T23:59:59"),  # documented: "until" reads like "by"
        ("by September 2027", "2027-09-30T23:59:59"),
    ],
)
def test_before_a_day_or_period_is_the_last_second_before_it_starts(phrase: str, local: str) -> None:
    resolved = resolve_date(phrase, "Europe/Paris", REF)
    assert resolved.local.replace(tzinfo=None).isoformat() == local
    assert resolved.kind == "deadline"


@pytest.mark.parametrize(
    ("phrase", "local"),
    [
        ("at the end of 2030", "2030-12-31T23:59:59"),  # e026
        ("at the end of the year", "2026-12-31T23:59:59"),
        ("at the end of the month", "2026-11-30T23:59:59"),
        ("at the end of next week", "2026-12-06T23:59:59"),
        ("in the end of March", "2027-03-31T23:59:59"),
    ],
)
def test_at_the_end_of_a_period(phrase: str, local: str) -> None:
    resolved = resolve_date(phrase, "Europe/Paris", REF)
    assert resolved.local.replace(tzinfo=None).isoformat() == local
    assert resolved.kind == "deadline"


@pytest.mark.parametrize(
    ("phrase", "local"),
    [
        ("in a couple of weeks", "2026-12-08T23:59:59"),  # e066
        ("in a couple weeks", "2026-12-08T23:59:59"),
        ("within couple of days", "2026-11-26T23:59:59"),
        ("in a few days", "2026-11-27T23:59:59"),
        ("for the next 3 days", "2026-11-27T23:59:59"),
        ("3 days from now", "2026-11-27T23:59:59"),
        ("a couple of hours from now", "2026-11-24T12:00:00"),
    ],
)
def test_word_counts_and_from_now_durations(phrase: str, local: str) -> None:
    resolved = resolve_date(phrase, "Europe/Paris", REF)
    assert resolved.local.replace(tzinfo=None).isoformat() == local
    assert resolved.kind == "deadline"


@pytest.mark.parametrize("phrase", ["15 minutes", "29 days", "a week", "Sunday 2027"])
def test_bare_durations_and_weekday_years_are_not_time_frames(phrase: str) -> None:
    with pytest.raises(BadInput, match="could not understand"):
        resolve_date(phrase, "UTC", REF)


@pytest.mark.parametrize(
    ("phrase", "local"),
    [
        ("by 5pm tomorrow", "2026-11-25T17:00:00"),  # e097: not today at 17:00
        ("at 9am on Friday", "2026-11-27T09:00:00"),
        ("at noon next Monday", "2026-11-30T12:00:00"),
        ("at 12:30am Sunday", "2026-11-29T00:30:00"),
        ("5 p.m. tomorrow", "2026-11-25T17:00:00"),
        ("midnight tonight", "2026-11-24T23:59:59"),
        ("2027-01-15 at 9am", "2027-01-15T09:00:00"),
    ],
)
def test_a_time_before_its_day(phrase: str, local: str) -> None:
    assert resolve_date(phrase, "Europe/Paris", REF).local.replace(tzinfo=None).isoformat() == local


def test_iso_date_times_keep_their_time_and_offset() -> None:
    at = resolve_date("at 2027-01-15T07:00", "Europe/London", REF)  # e105: the time was dropped
    assert format_utc(at.utc) == "2027-01-15T07:00:00Z" and at.kind == "instant"
    before = resolve_date("before 2027-06-10T14:15:00+02:00", "Europe/Paris", REF)  # e106
    assert format_utc(before.utc) == "2027-06-10T12:15:00Z" and before.kind == "deadline"
    elsewhere = resolve_date("by 2027-06-10T14:15:00+02:00", "America/New_York", REF)  # the offset wins
    assert format_utc(elsewhere.utc) == "2027-06-10T12:15:00Z"
    assert elsewhere.local.replace(tzinfo=None) == datetime(2027, 6, 10, 8, 15)
    assert (
        format_utc(resolve_date("before 2027-06-10t14:15z", "Asia/Tokyo", REF).utc) == "2027-06-10T14:15:00Z"
    )


@pytest.mark.parametrize(
    ("phrase", "day"),
    [
        ("by Thanksgiving", "2026-11-26"),  # e126: fourth Thursday of November
        ("Thanksgiving 2027", "2027-11-25"),
        ("on Thanksgiving Day 2030", "2030-11-28"),
        ("on Easter Sunday 2027", "2027-03-28"),  # e127
        ("Easter", "2027-03-28"),
        ("by Easter 2028", "2028-04-16"),
        ("before Easter 2027", "2027-03-27"),
    ],
)
def test_thanksgiving_and_easter(phrase: str, day: str) -> None:
    resolved = resolve_date(phrase, "America/New_York", REF)
    assert resolved.local.replace(tzinfo=None).isoformat() == f"{day}T23:59:59"


FIND_CASES = [
    # the phrase exactly as written: commas kept
    ("March 15, 2027 will be a Monday.", "March 15, 2027"),
    ("The Boston Marathon on April 19, 2027 will be won in under 2 hours.", "on April 19, 2027"),
    ("British Summer Time will have ended by November 1, 2027.", "by November 1, 2027"),
    # the longest phrase; nothing inside a longer one
    ("I will submit my tax return by 5pm tomorrow.", "by 5pm tomorrow"),
    ("I'll see you at 9am on Friday!", "at 9am on Friday"),
    ("The shop will open at noon next Monday.", "at noon next Monday"),
    ("It will rain in Paris on Easter Sunday 2027.", "on Easter Sunday 2027"),
    ("I will have found a new job by Thanksgiving.", "by Thanksgiving"),
    ("It will happen no later than the end of next month.", "no later than the end of next month"),
    # role 1: a temporal preposition beats a bare phrase
    ("The Saturday night rave will end at 12:30am Sunday.", "at 12:30am Sunday"),
    ("I will finish my year-end cleaning by the end of the year.", "by the end of the year"),
    ("In Sydney, the sun will set later on December 20 than it does today.", "on December 20"),
    ("By tomorrow it will already be 2027 in Auckland.", "By tomorrow"),
    ("Results will be out 3 days from now.", "3 days from now"),
    # role 2: a bare phrase beats one that qualifies a noun or says what a day is
    ("The Halloween party will end tomorrow at 1:30am.", "tomorrow at 1:30am"),
    ("It will be Thursday in Tokyo tomorrow.", "tomorrow"),
    ("Next Friday will be November 27.", "Next Friday"),
    ("New Year's Day 2027 will fall on a Friday.", "New Year's Day 2027"),
    ("The deadline is Friday.", "Friday"),  # demoted, not dropped
    # precision, within a role: a clock time > a day > a longer period
    ("Tomorrow, Q3 results will beat estimates.", "Tomorrow"),
    ("On March 3 I will know whether it happens in 2027.", "On March 3"),
    # position, all else equal: the rightmost
    ("On Monday I will decide whether to sell on Friday.", "on Friday"),
    # durations count only as a time frame; lone nouns and verbs are not dates
    ("Kathmandu's clocks will stay 15 minutes ahead of India's.", None),
    ("February 2028 will have 29 days.", "February 2028"),
    ("My package from Japan will arrive in a couple of weeks.", "in a couple of weeks"),
    ("It will rain for 3 days.", None),
    ("It may rain.", None),
    ("Protesters will march in Paris on Friday.", "on Friday"),
    ("Our year-end party will be fun.", None),
]


@pytest.mark.parametrize(("sentence", "phrase"), FIND_CASES, ids=[c[0] for c in FIND_CASES])
def test_find_date_phrase_chooses_the_time_frame(sentence: str, phrase: str | None) -> None:
    found = find_date_phrase(sentence)
    assert found == phrase
    if found is not None:
        resolve_date(found, "UTC", REF)  # what it finds, resolve_date reads


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


@settings(max_examples=200, deadline=None)
@given(zone=ZONES, instant=INSTANTS)
def test_before_an_instant_is_that_instant(zone: str, instant: datetime) -> None:
    resolved = resolve_date(f"before {instant.isoformat()}", zone, REF)
    assert resolved.utc == instant and resolved.kind == "deadline"


@settings(max_examples=200, deadline=None)
@given(
    zone=ZONES, year=st.integers(min_value=1990, max_value=2089), month=st.integers(min_value=1, max_value=12)
)
def test_before_a_month_is_the_last_second_of_the_month_before(zone: str, year: int, month: int) -> None:
    name = calendar.month_name[month]
    before = resolve_date(f"before {name} {year}", zone, REF)
    by = resolve_date(f"by {name} {year}", zone, REF)
    if "does not exist" not in before.reasoning:
        assert before.local.replace(tzinfo=None) == datetime(year, month, 1) - timedelta(seconds=1)
    assert before.utc < by.utc


VOCAB = [
    *("The", "party", "will", "end", "be", "by", "before", "on", "at", "in", "within", "of", "the", "a"),
    *("next", "week", "year", "Halloween", "Easter", "Sunday", "Friday", "tomorrow", "March", "15,"),
    *("2027", "5pm", "noon", "3", "days", "15", "minutes", "from", "now", "couple"),
]


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(VOCAB), max_size=12))
def test_found_phrases_are_verbatim_and_resolve(words: list[str]) -> None:
    sentence = " ".join(words) + "."
    phrase = find_date_phrase(sentence)
    if phrase is not None:
        assert phrase in sentence and phrase == phrase.strip()
        resolve_date(phrase, "UTC", REF)


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
