"""``calledit eval``: run the configured model over the evaluation dataset and score it.

Each case is replayed "as of" its reference time (``clock.frozen_at``), so gold dates stay valid on
any day. Scores: verification date exact match (rows with a gold date), category agreement, how
undated statements were handled, model turns / requests / tokens per call, and failures by kind.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from calledit import clock
from calledit.agent_run import RunReport
from calledit.analysis import stream_analysis
from calledit.budget import RunBudget
from calledit.prediction import format_utc
from calledit.protocol import CompleteEvent, ErrorEvent
from calledit.providers.selection import ModelChoice, select_model

DATASET = Path(__file__).resolve().parent / "dataset.jsonl"


@dataclass(frozen=True)
class Case:
    """One row of the dataset (written by us, with hand-computed gold dates)."""

    id: str
    statement: str
    timezone: str
    reference: datetime
    gold_date: str | None
    gold_category: str
    kind: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Case:
        return cls(
            id=str(row["id"]),
            statement=str(row["statement"]),
            timezone=str(row["timezone"]),
            reference=datetime.fromisoformat(str(row["reference"])),
            gold_date=row.get("gold_date"),
            gold_category=str(row["gold_category"]),
            kind=str(row["kind"]),
        )


def load(path: Path = DATASET) -> list[Case]:
    """The cases of a JSON-lines dataset."""
    with path.open(encoding="utf-8") as handle:
        return [Case.from_row(json.loads(line)) for line in handle if line.strip()]


@dataclass
class Outcome:
    """What the model made of one case."""

    id: str
    kind: str
    ok: bool
    date: str | None = None
    date_match: bool | None = None
    category: str | None = None
    category_match: bool | None = None
    failure: str | None = None
    corrected: bool = False
    turns: int = 0
    model_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    seconds: float = 0.0


async def evaluate_case(case: Case, choice: ModelChoice, budget: RunBudget) -> Outcome:
    """Run one case as of its reference time."""
    report = RunReport()
    final: CompleteEvent | ErrorEvent | None = None
    started = time.monotonic()
    with clock.frozen_at(case.reference):
        # One-shot: the dataset scores what the model makes of the statement alone, without asking.
        async for event in stream_analysis(
            case.statement, case.timezone, choice=choice, budget=budget, report=report, clarify=False
        ):
            if isinstance(event, CompleteEvent | ErrorEvent):
                final = event
    outcome = Outcome(
        id=case.id,
        kind=case.kind,
        ok=isinstance(final, CompleteEvent),
        corrected=bool(report.corrections),
        turns=report.usage.turns,
        model_calls=report.usage.model_calls,
        input_tokens=report.usage.input_tokens,
        output_tokens=report.usage.output_tokens,
        seconds=round(time.monotonic() - started, 3),
    )
    if isinstance(final, CompleteEvent):
        outcome.date = format_utc(final.prediction.verification_date)
        outcome.date_match = outcome.date == case.gold_date if case.gold_date else None
        outcome.category = final.prediction.verifiable_category.value
        outcome.category_match = outcome.category == case.gold_category
    else:
        outcome.failure = final.code.value if isinstance(final, ErrorEvent) else "no_terminal_event"
    return outcome


@dataclass
class Summary:
    """Scores over all cases."""

    model: str
    cases: int
    completed: int
    dated: int
    date_exact: int
    category_agree: int
    undated: int
    corrected: int
    mean_turns: float
    mean_model_calls: float
    mean_input_tokens: float
    mean_output_tokens: float
    failures: dict[str, int] = field(default_factory=dict)
    date_misses_by_kind: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarise(model: str, cases: Sequence[Case], outcomes: Sequence[Outcome]) -> Summary:
    """Aggregate the outcomes."""
    done = [o for o in outcomes if o.ok]
    dated = [o for o, c in zip(outcomes, cases, strict=True) if c.gold_date]
    n = max(1, len(outcomes))
    return Summary(
        model=model,
        cases=len(outcomes),
        completed=len(done),
        dated=len(dated),
        date_exact=sum(1 for o in dated if o.date_match),
        category_agree=sum(1 for o in done if o.category_match),
        undated=len(outcomes) - len(dated),
        corrected=sum(1 for o in outcomes if o.corrected),
        mean_turns=round(sum(o.turns for o in outcomes) / n, 2),
        mean_model_calls=round(sum(o.model_calls for o in outcomes) / n, 2),
        mean_input_tokens=round(sum(o.input_tokens for o in outcomes) / n, 1),
        mean_output_tokens=round(sum(o.output_tokens for o in outcomes) / n, 1),
        failures=dict(Counter(o.failure for o in outcomes if o.failure)),
        date_misses_by_kind=dict(Counter(o.kind for o in dated if not o.date_match)),
    )


async def evaluate(
    cases: Iterable[Case],
    choice: ModelChoice | None = None,
    *,
    concurrency: int = 1,
    budget: RunBudget | None = None,
) -> tuple[Summary, list[Outcome]]:
    """Run every case (``concurrency`` at a time) and score them."""
    chosen = choice or select_model()
    run_budget = budget or RunBudget.from_env()
    all_cases = list(cases)
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(case: Case) -> Outcome:
        async with gate:
            return await evaluate_case(case, chosen, run_budget)

    outcomes = await asyncio.gather(*(one(case) for case in all_cases))
    return summarise(chosen.label, all_cases, outcomes), list(outcomes)


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / max(1, whole):.1f} %)"


def render(summary: Summary) -> str:
    """A short human-readable report."""
    pct = _pct
    lines = [
        f"model                 {summary.model}",
        f"cases                 {summary.cases} ({summary.dated} dated, {summary.undated} without a date)",
        f"completed             {pct(summary.completed, summary.cases)}",
        f"date exact match      {pct(summary.date_exact, summary.dated)}",
        f"category agreement    {pct(summary.category_agree, summary.cases)}",
        f"dates corrected       {summary.corrected} (grounding replaced the model's date)",
        f"per call              {summary.mean_turns} turns, {summary.mean_model_calls} model requests, "
        f"{summary.mean_input_tokens} input / {summary.mean_output_tokens} output tokens",
        f"failures              {summary.failures or 'none'}",
        f"date misses by kind   {summary.date_misses_by_kind or 'none'}",
    ]
    return "\n".join(lines)
