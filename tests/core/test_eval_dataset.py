"""The hand-written evaluation dataset stays well-formed: JSON lines, fields, zones, gold dates, coverage.

These checks never call the code under test (timeparse, heuristics): the gold values are ours.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import pytz

from calledit import evaluation
from calledit.prediction import VerifiableCategory

DATASET = Path(evaluation.__file__).resolve().parent / "dataset.jsonl"

FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "statement": str,
    "timezone": str,
    "reference": str,
    "gold_date": (str, type(None)),
    "date_phrase": (str, type(None)),
    "gold_category": str,
    "kind": str,
    "tags": list,
    "note": str,
}
KINDS = frozenset(
    {
        "month_deadline",
        "year_deadline",
        "quarter",
        "half_year",
        "end_of_period",
        "current_period",
        "next_period",
        "relative_hours",
        "relative_days",
        "relative_weeks",
        "relative_months",
        "relative_years",
        "weekday",
        "weekday_time",
        "today",
        "today_time",
        "tonight",
        "tomorrow",
        "tomorrow_time",
        "time_of_day",
        "iso_date",
        "iso_datetime",
        "explicit_date",
        "explicit_datetime",
        "holiday",
        "dst_gap",
        "dst_fold",
        "no_time_frame",
    }
)
REQUIRED_ZONES = frozenset(
    {
        "UTC",
        "America/New_York",
        "America/Los_Angeles",
        "America/Sao_Paulo",
        "Europe/London",
        "Europe/Paris",
        "Asia/Tokyo",
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "Australia/Sydney",
    }
)
ID = re.compile(r"^e\d{3}$")
UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
REFERENCE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
NOTE_ARITHMETIC = re.compile(r"local (?P<local>\S+) -> (?P<gold>\S+)$")


@cache
def _rows() -> tuple[dict[str, Any], ...]:
    rows = []
    for number, line in enumerate(DATASET.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"line {number} is blank"
        row = json.loads(line)
        assert isinstance(row, dict), f"line {number} is not a JSON object"
        rows.append(row)
    return tuple(rows)


def _dated() -> list[dict[str, Any]]:
    return [r for r in _rows() if r["date_phrase"] is not None]


def _errors(check: Any) -> list[str]:
    return [f"{row.get('id')}: {msg}" for row in _rows() for msg in check(row)]


def test_lines_are_json_objects_with_unique_ids() -> None:
    ids = [row.get("id") for row in _rows()]
    assert all(isinstance(i, str) and ID.match(i) for i in ids), ids
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates


def test_required_fields_and_types() -> None:
    def check(row: dict[str, Any]) -> list[str]:
        problems = [f"missing {f}" for f in FIELDS if f not in row]
        problems += [f"unexpected {f}" for f in row if f not in FIELDS]
        problems += [
            f"{f} is {type(row[f]).__name__}"
            for f, t in FIELDS.items()
            if f in row and not isinstance(row[f], t)
        ]
        if problems:
            return problems
        if not all(isinstance(t, str) and t for t in row["tags"]):
            problems.append("tags must be non-empty strings")
        if not row["statement"].strip() or not row["note"].strip():
            problems.append("empty statement or note")
        if row["kind"] not in KINDS:
            problems.append(f"unknown kind {row['kind']!r}")
        return problems

    assert not _errors(check)


def test_categories_are_schema_values() -> None:
    valid = {c.value for c in VerifiableCategory}
    assert not [r["id"] for r in _rows() if r["gold_category"] not in valid]


def test_timezones_and_reference_offsets_are_real() -> None:
    def check(row: dict[str, Any]) -> list[str]:
        if row["timezone"] not in pytz.all_timezones_set:
            return [f"unknown timezone {row['timezone']!r}"]
        if not REFERENCE.match(row["reference"]):
            return [f"reference {row['reference']!r} is not YYYY-MM-DDTHH:MM:SS±HH:MM"]
        reference = datetime.fromisoformat(row["reference"])
        real = reference.astimezone(pytz.timezone(row["timezone"])).utcoffset()
        if reference.utcoffset() != real:
            return [f"reference offset {reference.utcoffset()} but {row['timezone']} is at {real} then"]
        return []

    assert not _errors(check)


def test_time_frame_fields_agree() -> None:
    def check(row: dict[str, Any]) -> list[str]:
        none = [row["date_phrase"] is None, row["gold_date"] is None, row["kind"] == "no_time_frame"]
        if any(none) and not all(none):
            return ["date_phrase null, gold_date null and kind no_time_frame must go together"]
        if row["date_phrase"] is not None and row["date_phrase"] not in row["statement"]:
            return [f"date_phrase {row['date_phrase']!r} is not in the statement"]
        return []

    assert not _errors(check)


def test_gold_dates_are_utc_seconds_after_the_reference() -> None:
    def check(row: dict[str, Any]) -> list[str]:
        gold = row["gold_date"]
        if not isinstance(gold, str) or not UTC_Z.match(gold):
            return [f"gold_date {gold!r} is not YYYY-MM-DDTHH:MM:SSZ"]
        if datetime.fromisoformat(gold.replace("Z", "+00:00")) <= datetime.fromisoformat(row["reference"]):
            return [f"gold_date {gold} is not after the reference {row['reference']}"]
        return []

    assert not [f"{r['id']}: {m}" for r in _dated() for m in check(r)]


def test_notes_state_the_local_arithmetic() -> None:
    """Each dated note ends with "local <wall time with offset> -> <gold>", and that wall time is real."""

    def check(row: dict[str, Any]) -> list[str]:
        if row["timezone"] not in pytz.all_timezones_set:
            return [f"unknown timezone {row['timezone']!r}"]
        m = NOTE_ARITHMETIC.search(row["note"])
        if m is None or m["gold"] != row["gold_date"]:
            return ["note does not end with 'local <ISO> -> <gold_date>'"]
        local = datetime.fromisoformat(m["local"])
        if local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") != row["gold_date"]:
            return [f"{m['local']} is not {row['gold_date']}"]
        seen = local.astimezone(pytz.timezone(row["timezone"]))
        if seen.replace(tzinfo=None) != local.replace(tzinfo=None) or seen.utcoffset() != local.utcoffset():
            return [f"{m['local']} is not a wall time of {row['timezone']} (it is {seen.isoformat()})"]
        return []

    assert not [f"{r['id']}: {m}" for r in _dated() for m in check(r)]


@pytest.mark.parametrize(
    ("what", "count", "minimum"),
    [
        ("rows", lambda rows: len(rows), 120),
        ("timezones", lambda rows: len({r["timezone"] for r in rows}), 10),
        ("DST-edge rows", lambda rows: sum("dst" in r["tags"] for r in rows), 8),
        ("spring-forward gaps", lambda rows: sum("dst_gap" in r["tags"] for r in rows), 3),
        ("fall-back folds", lambda rows: sum("dst_fold" in r["tags"] for r in rows), 3),
        ("no-time-frame rows", lambda rows: sum(r["kind"] == "no_time_frame" for r in rows), 10),
        ("distinct references", lambda rows: len({r["reference"] for r in rows}), 5),
        ("distinct kinds", lambda rows: len({r["kind"] for r in rows}), 15),
    ],
)
def test_coverage_minimums(what: str, count: Any, minimum: int) -> None:
    assert count(_rows()) >= minimum, what


def test_coverage_of_categories_and_zones() -> None:
    per_category = Counter(r["gold_category"] for r in _rows())
    assert {c.value: per_category[c.value] for c in VerifiableCategory if per_category[c.value] < 12} == {}
    assert REQUIRED_ZONES - {r["timezone"] for r in _rows()} == set()
    offsets = {datetime.fromisoformat(r["reference"]).utcoffset() for r in _rows()}
    assert any(o is not None and o.total_seconds() % 3600 == 1800 for o in offsets), "no half-hour offset"
    assert any(o is not None and o.total_seconds() % 3600 == 2700 for o in offsets), "no 45-minute offset"
