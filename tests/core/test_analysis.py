"""The runner drives the real Strands agent loop with the offline model and the real time tools."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

import pytest

from calledit.analysis import analyse, stream_analysis
from calledit.prediction import Prediction, VerifiableCategory
from calledit.protocol import CompleteEvent, ErrorEvent, StatusEvent, TextEvent, ToolEvent
from calledit.providers.offline import OFFLINE_MODEL_NAME, OfflineHeuristicModel
from calledit.providers.selection import ModelChoice


def offline(delay_s: float = 0.0) -> ModelChoice:
    return ModelChoice(OfflineHeuristicModel(delay_s=delay_s), OFFLINE_MODEL_NAME)


async def test_full_call_streams_text_tools_and_a_valid_prediction() -> None:
    statement = "The S&P 500 will close above 7000 by March 2027"
    events = await analyse(statement, "Europe/Paris", choice=offline())
    assert isinstance(events[0], StatusEvent) and events[0].status == "running"
    assert OFFLINE_MODEL_NAME in events[0].message
    tools = [e for e in events if isinstance(e, ToolEvent)]
    assert [(t.name, t.phase, t.status) for t in tools] == [
        ("current_time", "start", "running"),
        ("current_time", "end", "success"),
        ("parse_date_with_timezone", "start", "running"),
        ("parse_date_with_timezone", "end", "success"),
    ]
    assert tools[0].input == {"timezone": "Europe/Paris"}
    assert tools[0].label == "Checking current time"
    assert tools[2].input["date_text"] == "by March 2027"
    text = "".join(e.content for e in events if isinstance(e, TextEvent))
    assert "Offline heuristic model (no LLM)" in text and "```json" in text
    final = events[-1]
    assert isinstance(final, CompleteEvent) and final.model == OFFLINE_MODEL_NAME
    prediction = Prediction.model_validate_json(final.content)
    assert prediction == final.prediction
    assert prediction.prediction_statement == statement  # verbatim
    # End of March 2027 in Paris (CEST, UTC+2 after the 28 March switch) is 21:59:59 UTC.
    assert prediction.verification_date == datetime(2027, 3, 31, 21, 59, 59, tzinfo=UTC)
    assert prediction.verifiable_category is VerifiableCategory.API_TOOL_VERIFIABLE
    assert prediction.initial_status == "pending"


@pytest.mark.parametrize(
    ("statement", "category"),
    [
        ("It will rain in Paris tomorrow", VerifiableCategory.API_TOOL_VERIFIABLE),
        ("I will run a marathon within 6 months", VerifiableCategory.HUMAN_VERIFIABLE_ONLY),
        ("Apple will release a foldable iPhone by 2028", VerifiableCategory.STRANDS_TOOL_VERIFIABLE),
        ("Something vague will happen", VerifiableCategory.HUMAN_VERIFIABLE_ONLY),
    ],
)
async def test_categories_and_fallback_date(statement: str, category: VerifiableCategory) -> None:
    final = (await analyse(statement, "America/New_York", choice=offline(), clarify=False))[-1]
    assert isinstance(final, CompleteEvent), final
    prediction = final.prediction
    assert prediction.verifiable_category is category
    assert prediction.verification_date > datetime.now(UTC)


async def test_no_date_phrase_assumes_one_year_and_says_so() -> None:
    final = (await analyse("Something vague will happen", "UTC", choice=offline(), clarify=False))[-1]
    assert isinstance(final, CompleteEvent)
    assert "one year was assumed" in final.prediction.date_reasoning


@pytest.mark.parametrize(
    ("prompt", "tz", "code"),
    [
        ("   ", "UTC", "bad_request"),
        ("x" * 2001, "UTC", "too_large"),
        ("Rain tomorrow", "Nope/Zone", "bad_request"),
    ],
)
async def test_bad_input_ends_with_an_error_event(prompt: str, tz: str, code: str) -> None:
    events = await analyse(prompt, tz, choice=offline())
    assert len(events) == 1 and isinstance(events[0], ErrorEvent) and events[0].code == code


async def test_cancel_signal_stops_the_run() -> None:
    cancel = threading.Event()
    events = []
    async for event in stream_analysis(
        "Bitcoin above 100k by 2030", "UTC", choice=offline(0.002), cancel_signal=cancel
    ):
        events.append(event)
        if isinstance(event, TextEvent):
            cancel.set()
    assert isinstance(events[-1], StatusEvent) and events[-1].status == "cancelled"
    assert not any(isinstance(e, CompleteEvent) for e in events)


async def test_consumer_leaving_early_stops_the_agent() -> None:
    cancel = threading.Event()
    stream = stream_analysis("Bitcoin above 100k by 2030", "UTC", choice=offline(0.002), cancel_signal=cancel)
    async for event in stream:
        if isinstance(event, TextEvent):
            break
    await stream.aclose()  # type: ignore[attr-defined]
    assert cancel.is_set()
    await asyncio.sleep(0)


async def test_model_failure_becomes_a_model_error_event() -> None:
    class Broken(OfflineHeuristicModel):
        async def stream(self, *args, **kwargs):
            raise RuntimeError("provider exploded with secret details")
            yield {}

    events = await analyse("Rain tomorrow", "UTC", choice=ModelChoice(Broken(), "broken"))
    final = events[-1]
    assert isinstance(final, ErrorEvent) and final.code == "model_error"
    assert "secret details" not in final.message
