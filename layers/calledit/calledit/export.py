"""Export a user's calls as CSV or JSON, streamed: generators of text chunks, no whole file in memory.

Pure domain code (no I/O, no AWS): the caller pulls the saved calls page by page and writes each
chunk to the response, so an export of thousands of calls never builds one big string.

CSV (RFC 4180): UTF-8 text without a BOM, ``\\r\\n`` line ends, minimal quoting by the stdlib
``csv`` module (a cell with a comma, a double quote or a line break is quoted, quotes doubled), one
header line then one line per call in the order of ``CSV_COLUMNS``:

=====================  =====================================================================
prediction_id          the call's id
created_at             when it was saved (ISO-8601 UTC, ``Z``)
prediction_statement   the call as written
verification_date      when it is checked (ISO-8601 UTC, ``Z``)
timezone               the user's IANA zone when the call was made
verifiable_category    how it can be checked (``api_tool_verifiable``, ...)
confidence             the user's probability that it comes true, up to 2 decimals (``0.7``)
tags                   the user's tags, joined with ``"; "``
status                 pending, verifying, proposed or resolved
outcome                true, false or inconclusive once resolved
resolved_at            when it was resolved (ISO-8601 UTC, ``Z``)
resolved_by            user or agent
outcome_note           the user's note on the outcome
verdict_outcome        the latest verdict's outcome (proposed or applied)
verdict_confidence     how sure that verdict is, 0 to 1
verdict_checked_at     when that verdict was reached (ISO-8601 UTC, ``Z``)
verification_mode      at_date, or before_date for a "by ..." call that may be confirmed early
verifiability_score    how checkable the call is, 0 to 1
date_reasoning         why the verification date is what it is
criteria               what must hold for it to come true, joined with ``" | "``
sources                where to look, joined with ``" | "``
clarifications         the questions answered before saving, ``"question: answer"`` joined with ``" | "``
model                  the model that structured the call
=====================  =====================================================================

A missing value (``None``: no outcome yet, no verdict, no confidence) is an empty cell.

Formula injection: a spreadsheet may run a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula. Cells in the free-text columns (``FREE_TEXT_COLUMNS``: statement, note,
date reasoning, criteria, sources, clarifications, tags), which hold what users and models wrote,
get a leading apostrophe when they start with one of those characters, so ``=1+1`` is exported as
``'=1+1``. Ids, dates, numbers and fixed vocabularies are never altered.

JSON: one array, each element the call as the API serves it (``SavedPrediction`` in JSON mode,
dates as ISO-8601 UTC with ``Z``), minus ``user_id``: the owner knows who they are, and an exported
file may be shared.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, Literal

from calledit.prediction import format_utc
from calledit.saved import SavedPrediction

ExportKind = Literal["csv", "json"]

CSV_COLUMNS: tuple[str, ...] = (
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
"""The CSV header, in order (see the module docstring for what each column holds)."""

FREE_TEXT_COLUMNS: frozenset[str] = frozenset(
    {
        "prediction_statement",
        "outcome_note",
        "date_reasoning",
        "criteria",
        "sources",
        "clarifications",
        "tags",
    }
)
"""Columns holding text people or models wrote: the only ones guarded against formula injection."""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters a spreadsheet may read as the start of a formula."""

LIST_SEPARATOR = " | "
TAG_SEPARATOR = "; "
CSV_LINE_END = "\r\n"

EXCLUDED_JSON_FIELDS = frozenset({"user_id"})


def csv_chunks(items: Iterable[SavedPrediction], *, header: bool = True) -> Iterator[str]:
    """The CSV export, one line per chunk: the header (when ``header``) then one line per call.

    Lazy: each call is read from ``items`` only when its line is requested, so ``items`` may be a
    generator over pages of a query. Pass ``header=False`` to continue an export in a later chunk.
    """
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_MINIMAL, lineterminator=CSV_LINE_END)
    if header:
        yield str(writer.writerow(CSV_COLUMNS))
    for item in items:
        yield str(writer.writerow(csv_row(item)))


def csv_row(item: SavedPrediction) -> list[str]:
    """The cells of one call, in ``CSV_COLUMNS`` order, as written (guarded, ``None`` as ``""``)."""
    return [_cell(column, _CELLS[column](item)) for column in CSV_COLUMNS]


def json_chunks(items: Iterable[SavedPrediction]) -> Iterator[str]:
    """The JSON export as chunks of one array: ``"["``, each call (preceded by ``","`` after the
    first), then ``"]"``. Joined, the chunks are valid JSON for any number of calls.

    Lazy like ``csv_chunks``. Non-ASCII text is kept as is (``ensure_ascii=False``): encode as UTF-8.
    """
    yield "["
    separator = ""
    for item in items:
        yield separator + json.dumps(json_item(item), ensure_ascii=False)
        separator = ","
    yield "]"


def json_item(item: SavedPrediction) -> dict[str, Any]:
    """One call as exported in JSON: the API's JSON of the call minus ``user_id``."""
    return item.model_dump(mode="json", exclude=set(EXCLUDED_JSON_FIELDS))


def filename(kind: ExportKind, now: datetime) -> str:
    """The export's file name, dated by ``now``: ``calledit-calls-2026-11-25.csv``.

    The date is ``now``'s own calendar date: pass ``utc_now()`` for the UTC date or an aware local
    time for the user's.
    """
    if kind not in ("csv", "json"):
        raise ValueError(f"unknown export kind: {kind!r}")
    return f"calledit-calls-{now.date().isoformat()}.{kind}"


class _Echo:
    """A file-like that hands back what is written, so ``csv.writer.writerow`` returns the line."""

    def write(self, value: str) -> str:
        return value


def _cell(column: str, value: str | None) -> str:
    if value is None:
        return ""
    if column in FREE_TEXT_COLUMNS and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _date(value: datetime | None) -> str | None:
    return None if value is None else format_utc(value)


def _number(value: float | None) -> str | None:
    return None if value is None else repr(float(value))


def _probability(value: float | None) -> str | None:
    """Up to two decimals without trailing zeros: 0.7, 0.65, 0.05."""
    if value is None:
        return None
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def _confidence(item: SavedPrediction) -> str | None:
    value = getattr(item, "confidence", None)
    return _probability(value)


def _tags(item: SavedPrediction) -> str | None:
    tags: Iterable[str] = getattr(item, "tags", None) or []
    return TAG_SEPARATOR.join(tags)


def _clarifications(item: SavedPrediction) -> str:
    return LIST_SEPARATOR.join(f"{c.question}: {c.answer}" for c in item.clarifications)


_CELLS: dict[str, Callable[[SavedPrediction], str | None]] = {
    "prediction_id": lambda p: p.prediction_id,
    "created_at": lambda p: _date(p.created_at),
    "prediction_statement": lambda p: p.prediction_statement,
    "verification_date": lambda p: _date(p.verification_date),
    "timezone": lambda p: p.timezone,
    "verifiable_category": lambda p: str(p.verifiable_category),
    "confidence": _confidence,
    "tags": _tags,
    "status": lambda p: str(p.status),
    "outcome": lambda p: p.outcome,
    "resolved_at": lambda p: _date(p.resolved_at),
    "resolved_by": lambda p: p.resolved_by,
    "outcome_note": lambda p: p.outcome_note,
    "verdict_outcome": lambda p: p.verdict.outcome if p.verdict else None,
    "verdict_confidence": lambda p: _number(p.verdict.confidence) if p.verdict else None,
    "verdict_checked_at": lambda p: _date(p.verdict.checked_at) if p.verdict else None,
    "verification_mode": lambda p: p.verification_mode,
    "verifiability_score": lambda p: _number(p.verifiability.score) if p.verifiability else None,
    "date_reasoning": lambda p: p.date_reasoning,
    "criteria": lambda p: LIST_SEPARATOR.join(p.verification_method.criteria),
    "sources": lambda p: LIST_SEPARATOR.join(p.verification_method.source),
    "clarifications": _clarifications,
    "model": lambda p: p.model,
}
assert tuple(_CELLS) == CSV_COLUMNS, "every CSV column needs exactly one cell, in order"
