"""Exports: CSV that survives any text (quotes, line breaks, emoji, formulas) and streamed JSON arrays."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calledit.clarification import Clarification
from calledit.export import (
    CSV_COLUMNS,
    FREE_TEXT_COLUMNS,
    csv_chunks,
    csv_row,
    filename,
    json_chunks,
)
from calledit.prediction import VerificationMethod
from calledit.saved import SavedPrediction


class TaggedPrediction(SavedPrediction):
    """A saved call with the user's confidence and tags, the fields being added to SavedPrediction."""

    confidence: float | None = None
    tags: list[str] = []


def item(**extra: Any) -> dict[str, Any]:
    return {
        "prediction_id": "p-1",
        "request_id": "r-1",
        "user_id": "user-secret-sub",
        "created_at": "2026-11-20T09:15:00Z",
        "updated_at": "2026-11-20T09:15:00Z",
        "timezone": "Europe/Paris",
        "model": "offline-heuristic",
        "status": "pending",
        "prediction_statement": "It will rain in Paris on 31 March 2027",
        "verification_date": "2027-03-31T21:59:59Z",
        "date_reasoning": "The end of 31 March 2027 in Paris.",
        "verification_method": {
            "source": ["Météo-France", "Open-Meteo"],
            "criteria": ["Rain recorded", "At least 1 mm"],
            "steps": ["Look"],
        },
        "verifiable_category": "api_tool_verifiable",
        "category_reasoning": "Weather data.",
        **extra,
    }


def saved(**extra: Any) -> SavedPrediction:
    return SavedPrediction.model_validate(item(**extra))


def resolved(**extra: Any) -> SavedPrediction:
    defaults: dict[str, Any] = dict(
        status="resolved",
        outcome="true",
        outcome_note="Rained all afternoon",
        resolved_at="2027-04-01T06:00:00+02:00",
        resolved_by="agent",
        verdict={
            "outcome": "true",
            "confidence": 0.95,
            "evidence": [
                {
                    "source": "Météo-France",
                    "finding": "4 mm of rain recorded in Paris.",
                    "retrieved_at": "2027-04-01T03:59:00Z",
                }
            ],
            "reasoning": "Rain was recorded.",
            "checked_at": "2027-04-01T04:00:00Z",
            "model": "scripted",
        },
        verification_mode="before_date",
        clarifications=[{"question": "Which part of Paris?", "answer": "Anywhere in the city"}],
        verifiability={
            "score": 0.93,
            "dimensions": [{"name": "time_bound", "score": 1.0, "reason": "Named."}],
            "tips": [],
        },
    )
    return saved(**{**defaults, **extra})


def read_csv(chunks: Iterator[str]) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(chunks), newline="")))


def rows_by_column(chunks: Iterator[str]) -> list[dict[str, str]]:
    header, *rows = read_csv(chunks)
    assert tuple(header) == CSV_COLUMNS
    return [dict(zip(header, row, strict=True)) for row in rows]


# CSV: shape


def test_the_header_names_every_column_in_the_documented_order() -> None:
    assert CSV_COLUMNS == (
        "prediction_id",
        "created_at",
        "prediction_statement",
        "verification_date",
        "timezone",
        "verifiable_category",
        "confidence",
        "tags",
        "status",
        "outcome",
        "resolved_at",
        "resolved_by",
        "outcome_note",
        "verdict_outcome",
        "verdict_confidence",
        "verdict_checked_at",
        "verification_mode",
        "verifiability_score",
        "date_reasoning",
        "criteria",
        "sources",
        "clarifications",
        "model",
    )
    chunks = list(csv_chunks([]))
    assert chunks == [",".join(CSV_COLUMNS) + "\r\n"]
    assert list(csv_chunks([], header=False)) == []
    assert set(CSV_COLUMNS) >= FREE_TEXT_COLUMNS


def test_one_line_per_call_with_crlf_and_no_bom() -> None:
    chunks = list(csv_chunks([saved(), resolved(prediction_id="p-2")]))
    assert len(chunks) == 3
    assert all(chunk.endswith("\r\n") for chunk in chunks)
    data = "".join(chunks).encode("utf-8")
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.startswith(b"prediction_id,created_at,")
    assert list(csv_chunks([saved()], header=False)) == chunks[1:2]


def test_a_pending_call_leaves_the_unknowns_empty() -> None:
    (row,) = rows_by_column(csv_chunks([saved()]))
    assert row == {
        "prediction_id": "p-1",
        "created_at": "2026-11-20T09:15:00Z",
        "prediction_statement": "It will rain in Paris on 31 March 2027",
        "verification_date": "2027-03-31T21:59:59Z",
        "timezone": "Europe/Paris",
        "verifiable_category": "api_tool_verifiable",
        "confidence": "",
        "tags": "",
        "status": "pending",
        "outcome": "",
        "resolved_at": "",
        "resolved_by": "",
        "outcome_note": "",
        "verdict_outcome": "",
        "verdict_confidence": "",
        "verdict_checked_at": "",
        "verification_mode": "at_date",
        "verifiability_score": "",
        "date_reasoning": "The end of 31 March 2027 in Paris.",
        "criteria": "Rain recorded | At least 1 mm",
        "sources": "Météo-France | Open-Meteo",
        "clarifications": "",
        "model": "offline-heuristic",
    }


def test_a_resolved_call_has_its_outcome_verdict_and_utc_dates() -> None:
    (row,) = rows_by_column(csv_chunks([resolved()]))
    assert row["status"] == "resolved"
    assert row["outcome"] == "true"
    assert row["resolved_at"] == "2027-04-01T04:00:00Z"  # +02:00 written in UTC
    assert row["resolved_by"] == "agent"
    assert row["outcome_note"] == "Rained all afternoon"
    assert (row["verdict_outcome"], row["verdict_confidence"]) == ("true", "0.95")
    assert row["verdict_checked_at"] == "2027-04-01T04:00:00Z"
    assert row["verification_mode"] == "before_date"
    assert row["verifiability_score"] == "0.93"
    assert row["clarifications"] == "Which part of Paris?: Anywhere in the city"


def test_legacy_items_read_as_resolved_export_their_outcome() -> None:
    (row,) = rows_by_column(csv_chunks([saved(status="false")]))
    assert (row["status"], row["outcome"], row["resolved_by"]) == ("resolved", "false", "user")


# CSV: confidence and tags (getattr, so it works before and after the fields reach SavedPrediction)


@pytest.mark.parametrize(
    ("confidence", "cell"),
    [(0.7, "0.7"), (0.65, "0.65"), (0.01, "0.01"), (0.99, "0.99"), (0.125, "0.12"), (None, "")],
)
def test_confidence_is_a_probability_with_up_to_two_decimals(confidence: float | None, cell: str) -> None:
    call = TaggedPrediction.model_validate(item(confidence=confidence))
    (row,) = rows_by_column(csv_chunks([call]))
    assert row["confidence"] == cell


def test_tags_are_joined_with_semicolons() -> None:
    call = TaggedPrediction.model_validate(item(tags=["weather", "paris", "2027"]))
    (row,) = rows_by_column(csv_chunks([call]))
    assert row["tags"] == "weather; paris; 2027"
    assert rows_by_column(csv_chunks([TaggedPrediction.model_validate(item())]))[0]["tags"] == ""


def test_a_saved_prediction_without_the_new_fields_still_exports() -> None:
    plain = saved()
    assert csv_row(plain)[CSV_COLUMNS.index("confidence")] == ""
    assert csv_row(plain)[CSV_COLUMNS.index("tags")] == ""


# CSV: round trip of difficult text


STATEMENTS = [
    "Bitcoin will close above $150,000, says Bob, by 2027",
    'She said "it will snow" and it will',
    'A lone " quote',
    "Line one\nline two",
    "Windows\r\nline ends\r\nhere",
    "A bare\rcarriage return",
    "Emoji 🚀🌧️ and flags 🇫🇷",
    "日本は2027年にワールドカップで優勝する",
    "Россия, Україна, Ελλάδα, עברית, العربية",
    "   leading and trailing spaces   ",
    "",
    ",",
    '""',
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_every_cell_comes_back_exactly(statement: str) -> None:
    call = resolved(
        prediction_statement=statement,
        outcome_note=statement,
        date_reasoning=statement or "x",
        clarifications=[{"question": "Why, exactly?", "answer": statement or "x"}],
    )
    rows = read_csv(csv_chunks([call, saved()]))
    assert rows[1] == csv_row(call)
    assert rows[2] == csv_row(saved())
    cells = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert cells["prediction_statement"] == statement
    assert cells["outcome_note"] == statement
    answer = call.clarifications[0].answer  # validation strips answers
    assert cells["clarifications"] == f"Why, exactly?: {answer}"


def test_text_written_is_utf8_without_bom_and_round_trips_through_bytes() -> None:
    statement = 'Émile dit « oui » — 🚀, "quoted"\r\nnext'
    data = "".join(csv_chunks([saved(prediction_statement=statement)])).encode("utf-8")
    assert not data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[1][CSV_COLUMNS.index("prediction_statement")] == statement


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_statement_round_trips(statement: str) -> None:
    call = saved().model_copy(update={"prediction_statement": statement})
    header, row = read_csv(csv_chunks([call]))
    expected = "'" + statement if statement.startswith(("=", "+", "-", "@", "\t", "\r")) else statement
    assert row[CSV_COLUMNS.index("prediction_statement")] == expected
    assert len(row) == len(header) == len(CSV_COLUMNS)


# CSV: formula injection


@pytest.mark.parametrize(
    "text", ["=1+1", '=HYPERLINK("http://evil.example","click")', "+33 6 12", "-2", "@SUM(A1)", "\tx", "\rx"]
)
def test_free_text_that_looks_like_a_formula_gets_an_apostrophe(text: str) -> None:
    call = TaggedPrediction.model_validate(
        item(prediction_statement=text, outcome_note=text, date_reasoning=text, tags=[text, "other"])
    ).model_copy(  # built unvalidated: validation strips the leading tab or CR from these
        update={
            "verification_method": VerificationMethod.model_construct(
                source=[text], criteria=[text], steps=["s"]
            ),
            "clarifications": [Clarification.model_construct(question=text, answer="yes")],
        }
    )
    (row,) = rows_by_column(csv_chunks([call]))
    for column in ("prediction_statement", "outcome_note", "date_reasoning", "criteria", "sources"):
        assert row[column] == "'" + text, column
    assert row["clarifications"] == f"'{text}: yes"
    assert row["tags"] == f"'{text}; other"


def test_only_free_text_is_guarded() -> None:
    call = saved(
        prediction_id="-p-1",
        model="=model",
        timezone="+05:30",
        prediction_statement="Rain = likely, -2 degrees, @noon",
    )
    (row,) = rows_by_column(csv_chunks([call]))
    assert row["prediction_id"] == "-p-1"
    assert row["model"] == "=model"
    assert row["timezone"] == "+05:30"
    assert (
        row["prediction_statement"] == "Rain = likely, -2 degrees, @noon"
    )  # only the first character counts
    assert row["created_at"] == "2026-11-20T09:15:00Z"


# CSV: streaming


def test_csv_is_produced_lazily() -> None:
    pulled: list[str] = []

    def calls() -> Iterator[SavedPrediction]:
        pulled.append("first")
        yield saved()
        raise RuntimeError("the second page failed")

    chunks = csv_chunks(calls())
    assert pulled == []
    assert next(chunks).startswith("prediction_id,")
    assert pulled == []  # the header needs no call
    assert next(chunks).startswith("p-1,")
    with pytest.raises(RuntimeError, match="second page"):
        next(chunks)


# JSON


@pytest.mark.parametrize("count", [0, 1, 3])
def test_json_chunks_join_into_a_valid_array(count: int) -> None:
    calls = [resolved(prediction_id=f"p-{n}") for n in range(count)]
    chunks = list(json_chunks(calls))
    assert chunks[0] == "[" and chunks[-1] == "]"
    assert len(chunks) == count + 2
    parsed = json.loads("".join(chunks))
    assert [p["prediction_id"] for p in parsed] == [f"p-{n}" for n in range(count)]
    for exported, call in zip(parsed, calls, strict=True):
        assert "user_id" not in exported
        expected = call.model_dump(mode="json")
        del expected["user_id"]
        assert exported == expected


def test_json_dates_are_utc_with_z_and_text_is_not_escaped() -> None:
    statement = 'Émile: 日本 🚀 "quoted"\nnext'
    text = "".join(json_chunks([resolved(prediction_statement=statement)]))
    assert "user-secret-sub" not in text
    assert "🚀" in text and "\\u" not in text  # ensure_ascii=False
    (exported,) = json.loads(text)
    assert exported["prediction_statement"] == statement
    for value in (
        exported["created_at"],
        exported["updated_at"],
        exported["verification_date"],
        exported["resolved_at"],
        exported["verdict"]["checked_at"],
        exported["verdict"]["evidence"][0]["retrieved_at"],
    ):
        assert value.endswith("Z"), value
    assert exported["resolved_at"] == "2027-04-01T04:00:00Z"


def test_json_includes_confidence_and_tags_when_the_model_has_them() -> None:
    call = TaggedPrediction.model_validate(item(confidence=0.7, tags=["weather"]))
    (exported,) = json.loads("".join(json_chunks([call])))
    assert (exported["confidence"], exported["tags"]) == (0.7, ["weather"])
    assert "user_id" not in exported


def test_json_is_produced_lazily() -> None:
    def calls() -> Iterator[SavedPrediction]:
        yield saved()
        raise RuntimeError("the second page failed")

    chunks = json_chunks(calls())
    assert next(chunks) == "["
    assert json.loads(next(chunks))["prediction_id"] == "p-1"
    with pytest.raises(RuntimeError, match="second page"):
        next(chunks)


# File names


def test_file_names_carry_the_kind_and_the_date() -> None:
    now = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    assert filename("csv", now) == "calledit-calls-2026-11-25.csv"
    assert filename("json", now) == "calledit-calls-2026-11-25.json"
    tokyo = now.astimezone(timezone(timedelta(hours=9)))
    assert filename("csv", tokyo) == "calledit-calls-2026-11-26.csv"  # the date of the time given


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="xlsx"):
        filename("xlsx", datetime(2026, 11, 25, tzinfo=UTC))  # type: ignore[arg-type]
