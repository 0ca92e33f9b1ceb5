"""Contract tests: the real runner, through each provider's real client library, against scripted servers.

Every provider (OpenAI-compatible chat completions over SSE, Anthropic Messages SSE, Bedrock
ConverseStream with AWS event-stream framing) is configured exactly as in production
(``CALLEDIT_MODEL=...`` read by ``select_model``). Each scenario checks the one terminal event, its
stable code, and that the run stayed within its budget (model requests, turns).
"""

from __future__ import annotations

from typing import Any

import pytest
from scripted import (
    ScriptedServer,
    always_throttled,
    auth_error,
    context_overflow,
    copied_current_time,
    happy,
    invalid_structured_output,
    prose_only,
    server_error_then_happy,
    throttled_then_happy,
    unknown_model,
)

from calledit.agent_run import RunReport
from calledit.analysis import analyse
from calledit.budget import RunBudget
from calledit.protocol import CompleteEvent, ErrorEvent, Event, ToolEvent

PROVIDERS = ["openai", "anthropic", "bedrock"]
STATEMENT = "The S&P 500 will close above 7000 by March 2027"
# Fast pauses for tests; the budget's bounds are the production ones.
BUDGET = RunBudget(throttle_retry_delay_s=0, timeout_s=60)


async def run(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, budget: RunBudget = BUDGET
) -> tuple[list[Event], RunReport]:
    for key, value in server.client_env().items():
        monkeypatch.setenv(key, value)
    report = RunReport()
    events = await analyse(STATEMENT, "Europe/Paris", budget=budget, report=report)
    return events, report


def terminal(events: list[Event]) -> Event:
    ends = [e for e in events if isinstance(e, CompleteEvent | ErrorEvent)]
    assert len(ends) == 1 and ends[0] is events[-1], [type(e).__name__ for e in events]
    return ends[0]


@pytest.fixture(autouse=True)
def instant_botocore_backoff(botocore_sleeps: list[float]) -> list[float]:
    return botocore_sleeps


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_text_two_tool_calls_and_structured_output(
    scripted_server: Any, monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    server = await scripted_server(provider, happy())
    events, report = await run(server, monkeypatch)
    final = terminal(events)
    assert isinstance(final, CompleteEvent), final
    tools = [(e.name, e.phase, e.status) for e in events if isinstance(e, ToolEvent)]
    assert tools == [
        ("current_time", "start", "running"),
        ("current_time", "end", "success"),
        ("parse_date_with_timezone", "start", "running"),
        ("parse_date_with_timezone", "end", "success"),
    ]
    assert final.prediction.prediction_statement == STATEMENT
    # End of March 2027 in Paris, from the tool's own result (the script copies it).
    assert final.prediction.verification_date.isoformat() == "2027-03-31T21:59:59+00:00"
    assert final.model == f"{provider}:scripted"
    assert final.usage.model_calls == server.request_count == 3
    assert final.usage.output_tokens > 0 and final.usage.input_tokens > 0
    assert report.usage == final.usage and report.corrections == []


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_throttle_then_success_completes(
    scripted_server: Any, monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    server = await scripted_server(provider, throttled_then_happy(retry_after=0.01))
    events, _ = await run(server, monkeypatch)
    assert isinstance(terminal(events), CompleteEvent)
    assert server.request_count == 4


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_server_error_then_success_completes(
    scripted_server: Any, monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    server = await scripted_server(provider, server_error_then_happy(retry_after=0.01))
    events, _ = await run(server, monkeypatch)
    assert isinstance(terminal(events), CompleteEvent)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_endless_throttling_ends_rate_limited_with_a_retry_hint(
    scripted_server: Any, monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    server = await scripted_server(provider, always_throttled(retry_after=0.01))
    events, _ = await run(server, monkeypatch)
    final = terminal(events)
    assert isinstance(final, ErrorEvent) and final.code == "rate_limited"
    assert final.retry_after is not None and final.retry_after > 0
    # 3 Strands attempts x 3 SDK attempts, never Strands' default 6 x 3 with 124 s of sleeping.
    assert server.request_count <= 9


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_structured_output_that_never_validates_ends_within_budget(
    scripted_server: Any, monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    server = await scripted_server(provider, invalid_structured_output())
    events, report = await run(server, monkeypatch)
    final = terminal(events)
    assert isinstance(final, ErrorEvent) and final.code == "model_error"
    assert "still invalid after one correction" in final.message
    assert "verification_date" in final.message  # the validation error, in words
    assert server.request_count == 2  # the first answer and its one repair
    assert report.usage.model_calls == 2


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_prose_instead_of_structured_output_is_one_plain_error(
    scripted_server: Any, monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    server = await scripted_server(provider, prose_only())
    events, _ = await run(server, monkeypatch)
    final = terminal(events)
    assert isinstance(final, ErrorEvent) and final.code == "model_error"
    assert "prose instead of a structured prediction" in final.message
    assert "Traceback" not in final.message and "\n" not in final.message
    assert server.request_count <= 8


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("script", "setting"), [(auth_error, "CALLEDIT_MODEL"), (unknown_model, "CALLEDIT_MODEL_ID")]
)
async def test_credentials_and_unknown_models_are_model_unavailable_and_name_the_setting(
    scripted_server: Any, monkeypatch: pytest.MonkeyPatch, provider: str, script: Any, setting: str
) -> None:
    server = await scripted_server(provider, script())
    events, _ = await run(server, monkeypatch)
    final = terminal(events)
    assert isinstance(final, ErrorEvent) and final.code == "model_unavailable", final
    assert setting in final.message or "Bedrock" in final.message
    assert server.request_count == 1  # never retried: it cannot work until configuration changes


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_context_overflow_is_a_model_error(
    scripted_server: Any, monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    server = await scripted_server(provider, context_overflow())
    events, _ = await run(server, monkeypatch)
    final = terminal(events)
    assert isinstance(final, ErrorEvent) and final.code == "model_error"
    assert "context window" in final.message


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_date_copied_from_current_time_is_replaced_by_the_tools_date(
    scripted_server: Any, monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    server = await scripted_server(provider, copied_current_time())
    events, report = await run(server, monkeypatch)
    final = terminal(events)
    assert isinstance(final, CompleteEvent)
    assert final.prediction.verification_date.isoformat() == "2027-03-31T21:59:59+00:00"
    assert "Corrected by CalledIt" in final.prediction.date_reasoning
    assert report.corrections and "did not come from the date tool" in report.corrections[0]


async def test_the_turn_budget_is_configurable_and_ends_a_looping_model(
    scripted_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model that keeps calling tools and never answers stops at the turn limit."""
    from scripted import Response, Script, ToolCall

    looping = Script.of(Response(tool_calls=[ToolCall("current_time", {"timezone": "UTC"})]), name="looping")
    server = await scripted_server("openai", looping)
    events, report = await run(server, monkeypatch, RunBudget(max_turns=4, throttle_retry_delay_s=0))
    final = terminal(events)
    assert isinstance(final, ErrorEvent) and final.code == "model_error" and "4 turns" in final.message
    assert server.request_count == 4 and report.usage.turns == 4
