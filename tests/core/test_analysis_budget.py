"""The runner's bounds and checks, driven by a scripted model through the real Strands agent loop."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from scripted_model import ScriptedModel, Step, tool_results
from strands.types.exceptions import ModelThrottledException

from calledit.agent_run import RunReport
from calledit.analysis import analyse
from calledit.budget import RunBudget
from calledit.protocol import CompleteEvent, ErrorEvent, Event, ToolEvent
from calledit.providers.selection import ModelChoice

STATEMENT = "Bitcoin will close above 150k by March 2027"
FAST = RunBudget(throttle_retry_delay_s=0, timeout_s=60)


def prediction(date: str, **extra: Any) -> dict[str, Any]:
    return {
        "prediction_statement": STATEMENT,
        "verification_date": date,
        "date_reasoning": "The model's own reasoning.",
        "verification_method": {"source": ["CoinMarketCap"], "criteria": ["Close > 150k"], "steps": ["Look"]},
        "verifiable_category": "api_tool_verifiable",
        "category_reasoning": "Needs price data.",
        **extra,
    }


def answer_with_tool_date(messages: Any) -> Step:
    resolved = tool_results(messages).get("parse_date_with_timezone", {})
    return Step(tools=[("Prediction", prediction(resolved["utc"]))])


async def run(steps: list[Any], budget: RunBudget = FAST) -> tuple[list[Event], RunReport, ScriptedModel]:
    model = ScriptedModel(steps)
    report = RunReport()
    events = await analyse(
        STATEMENT, "UTC", choice=ModelChoice(model, "scripted"), budget=budget, report=report
    )
    return events, report, model


def final(events: list[Event]) -> Event:
    ends = [e for e in events if isinstance(e, CompleteEvent | ErrorEvent)]
    assert len(ends) == 1 and ends[0] is events[-1]
    return ends[0]


async def test_a_well_behaved_model_keeps_its_grounded_date_and_reports_usage() -> None:
    events, report, model = await run(
        [
            Step(text="Resolving.", tools=[("parse_date_with_timezone", {"date_text": "by March 2027"})]),
            answer_with_tool_date,
        ]
    )
    end = final(events)
    assert isinstance(end, CompleteEvent)
    assert end.prediction.verification_date == datetime(2027, 3, 31, 23, 59, 59, tzinfo=UTC)
    assert end.prediction.date_reasoning == "The model's own reasoning."
    assert report.corrections == []
    assert end.usage.model_calls == 2 == len(model.requests)
    assert end.usage.output_tokens == 20 and end.usage.turns >= 2


async def test_a_model_that_never_calls_the_date_tool_gets_the_date_resolved_for_it() -> None:
    events, report, _ = await run([Step(tools=[("Prediction", prediction("2027-06-01T00:00:00Z"))])])
    end = final(events)
    assert isinstance(end, CompleteEvent)
    assert end.prediction.verification_date == datetime(2027, 3, 31, 23, 59, 59, tzinfo=UTC)
    assert "the date tool was never used" in end.prediction.date_reasoning
    assert "by March 2027" in end.prediction.date_reasoning
    assert report.corrections


async def test_a_date_in_the_past_is_corrected_like_an_ungrounded_one() -> None:
    events, _, _ = await run(
        [
            Step(tools=[("parse_date_with_timezone", {"date_text": "by March 2027"})]),
            Step(tools=[("Prediction", prediction("2020-01-01T00:00:00Z"))]),
        ]
    )
    end = final(events)
    assert isinstance(end, CompleteEvent)
    assert end.prediction.verification_date.year == 2027
    assert "did not come from the date tool" in end.prediction.date_reasoning


async def test_a_tool_error_is_shown_and_the_run_goes_on() -> None:
    events, _, _ = await run(
        [
            Step(tools=[("parse_date_with_timezone", {"date_text": "when pigs fly"})]),
            Step(tools=[("parse_date_with_timezone", {"date_text": "by March 2027"})]),
            answer_with_tool_date,
        ]
    )
    ends = [(e.name, e.status) for e in events if isinstance(e, ToolEvent) and e.phase == "end"]
    assert ends == [("parse_date_with_timezone", "error"), ("parse_date_with_timezone", "success")]
    assert isinstance(final(events), CompleteEvent)


async def test_throttling_ends_rate_limited_after_a_bounded_number_of_attempts() -> None:
    events, report, model = await run([Step(error=ModelThrottledException("slow down"))])
    end = final(events)
    assert isinstance(end, ErrorEvent) and end.code == "rate_limited" and end.retry_after
    assert len(model.requests) == 3 and report.usage.model_calls == 3


async def test_broken_json_in_the_structured_output_gets_one_repair_then_a_clear_error() -> None:
    events, _, model = await run([Step(tools=[("Prediction", '{"prediction_statement": "x", ')])])
    end = final(events)
    assert isinstance(end, ErrorEvent) and end.code == "model_error"
    assert "still invalid after one correction" in end.message
    assert len(model.requests) == 2


async def test_one_repair_is_enough_when_the_model_fixes_its_answer() -> None:
    events, _, model = await run(
        [
            Step(tools=[("parse_date_with_timezone", {"date_text": "by March 2027"})]),
            Step(tools=[("Prediction", prediction("2031-02-30T00:00:00Z"))]),
            answer_with_tool_date,
        ]
    )
    assert isinstance(final(events), CompleteEvent)
    assert len(model.requests) == 3
    repair_request = model.requests[2]
    shown = str(repair_request[-1])
    assert "verification_date" in shown  # the validation error was shown to the model


async def test_the_output_token_budget_ends_a_rambling_model() -> None:
    events, _, _ = await run(
        [Step(text="blah " * 50, tools=[("current_time", {"timezone": "UTC"})], output_tokens=600)],
        RunBudget(max_output_tokens=1000, throttle_retry_delay_s=0),
    )
    end = final(events)
    assert isinstance(end, ErrorEvent) and end.code == "model_error" and "1000 tokens" in end.message


@pytest.mark.parametrize("turns", [1, 3])
async def test_the_turn_budget_is_exact(turns: int) -> None:
    events, _, model = await run(
        [Step(tools=[("current_time", {"timezone": "UTC"})])],
        RunBudget(max_turns=turns, throttle_retry_delay_s=0),
    )
    end = final(events)
    assert isinstance(end, ErrorEvent) and f"{turns} turns" in end.message
    assert len(model.requests) == turns
