"""``calledit eval``: each case is replayed as of its reference time and scored against its gold."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from calledit.evaluation.harness import Case, evaluate, load, render
from calledit.providers.offline import OFFLINE_MODEL_NAME, OfflineHeuristicModel
from calledit.providers.selection import ModelChoice


def offline() -> ModelChoice:
    return ModelChoice(OfflineHeuristicModel(), OFFLINE_MODEL_NAME)


def case(**fields: object) -> Case:
    row = {
        "id": "t1",
        "statement": "Bitcoin will close above 150k by March 2027",
        "timezone": "Europe/Paris",
        "reference": "2026-11-25T10:00:00+01:00",
        "gold_date": "2027-03-31T21:59:59Z",
        "gold_category": "api_tool_verifiable",
        "kind": "month_deadline",
        **fields,
    }
    return Case.from_row(row)


async def test_a_case_is_replayed_as_of_its_reference_time() -> None:
    # "tomorrow" said on 2019-06-30 in Tokyo is the end of 2019-07-01 there, whatever today is.
    old = case(
        statement="It will rain in Tokyo tomorrow",
        timezone="Asia/Tokyo",
        reference="2019-06-30T09:00:00+09:00",
        gold_date="2019-07-01T14:59:59Z",
        gold_category="api_tool_verifiable",
        kind="tomorrow",
    )
    summary, outcomes = await evaluate([old, case(id="t2")], offline())
    assert [o.date for o in outcomes] == ["2019-07-01T14:59:59Z", "2027-03-31T21:59:59Z"]
    assert summary.date_exact == 2 and summary.dated == 2 and summary.completed == 2
    assert summary.mean_turns == 4.0 and summary.mean_model_calls == 4.0
    assert "date exact match      2/2 (100.0 %)" in render(summary)


async def test_misses_and_failures_are_counted_by_kind(tmp_path: Path) -> None:
    wrong = case(id="w", gold_date="2027-03-30T21:59:59Z", gold_category="human_verifiable_only")
    summary, outcomes = await evaluate([wrong], offline())
    assert outcomes[0].date_match is False and outcomes[0].category_match is False
    assert summary.date_misses_by_kind == {"month_deadline": 1}


def test_the_bundled_dataset_loads(tmp_path: Path) -> None:
    cases = load()
    assert len(cases) >= 100 and all(isinstance(c.reference, datetime) for c in cases)
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({**case().__dict__, "reference": "2026-11-25T10:00:00+01:00"}) + "\n")
    assert load(path)[0].statement.startswith("Bitcoin")
