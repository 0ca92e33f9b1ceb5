"""Run one prediction analysis and expose it as an async stream of protocol events.

The Lambda stream worker, the local stack and the CLI all consume this stream. Text comes from
``Agent.stream_async`` deltas; tool start/end come from Strands' ``BeforeToolCallEvent`` /
``AfterToolCallEvent`` hooks (parsed input, status) rather than the partial JSON of the stream.
Both feed one queue on the running loop, so events keep the order in which they happened.

Every run is bounded (``RunBudget``): model turns and output tokens through Strands' ``limits``,
one structured-output repair, throttling retries sized to the deadline, and the wall clock. It
always ends with exactly one terminal event; the saved date is grounded in the date tool's result.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import UTC
from typing import TYPE_CHECKING, Any

from calledit import clock
from calledit.agent import STRUCTURED_OUTPUT_TOOL, create_agent
from calledit.agent_run import AgentRun, Outcome, RunHooks, RunReport, record_usage, run_failure
from calledit.budget import RunBudget
from calledit.errors import CallError, ErrorCode
from calledit.grounding import ground
from calledit.parsing import parse_prediction
from calledit.prediction import Prediction
from calledit.prompting import format_request
from calledit.protocol import CompleteEvent, ErrorEvent, Event, StatusEvent
from calledit.providers.selection import ModelChoice, select_model
from calledit.validation import check_prompt, check_timezone

if TYPE_CHECKING:
    from strands.types.agent import Limits

logger = logging.getLogger(__name__)


async def stream_analysis(
    prompt: str,
    timezone: str = "UTC",
    *,
    choice: ModelChoice | None = None,
    cancel_signal: threading.Event | None = None,
    budget: RunBudget | None = None,
    report: RunReport | None = None,
) -> AsyncIterator[Event]:
    """Analyse ``prompt`` and yield status, text, tool and finally one terminal event.

    Never raises for bad input or model failure: those end the stream with an ``ErrorEvent``.
    Setting ``cancel_signal`` stops the agent at its next checkpoint and ends with status
    ``cancelled``; a run past ``budget.timeout_s`` is stopped and ends with ``timed_out``.
    """
    try:
        statement = check_prompt(prompt)
        zone = check_timezone(timezone)
        budget = budget or RunBudget.from_env()
        choice = choice or select_model()
    except CallError as exc:
        yield ErrorEvent(code=exc.code, message=exc.message)
        return
    report = report if report is not None else RunReport()
    cancel = cancel_signal or threading.Event()
    run = AgentRun(cancel, budget.timeout_s)
    hooks = RunHooks(run.emit, budget, report, STRUCTURED_OUTPUT_TOOL)
    limits: Limits = {"turns": budget.max_turns, "output_tokens": budget.max_output_tokens}
    yield StatusEvent(status="running", message=f"Analysing your prediction with {choice.label}")
    events = run.events(
        lambda: create_agent(choice, hooks=[hooks], budget=budget),
        format_request(statement, zone),
        limits,
        after=lambda agent: record_usage(agent, report),
    )
    async with aclosing(events):  # a consumer that leaves stops the agent now, not at garbage collection
        async for event in events:
            yield event
    if run.outcome.timed_out:
        yield ErrorEvent(
            code=ErrorCode.TIMED_OUT,
            message=f"The analysis took longer than {budget.timeout_s:.0f} s and was stopped. "
            "Try again in a moment.",
        )
        return
    for event in _final_events(run.outcome, choice.label, cancel, hooks, budget, report, statement, zone):
        yield event


def _final_events(
    outcome: Outcome,
    label: str,
    cancel: threading.Event,
    hooks: RunHooks,
    budget: RunBudget,
    report: RunReport,
    statement: str,
    zone: str,
) -> list[Event]:
    ended = run_failure(outcome, label=label, cancel=cancel, budget=budget, what="a valid prediction")
    if ended is not None:
        return [ended]
    try:
        prediction = _prediction_from(outcome.result)
    except CallError as exc:
        return [ErrorEvent(code=exc.code, message=exc.message)]
    grounded = ground(
        prediction, hooks.evidence, statement=statement, timezone=zone, now=clock.now().astimezone(UTC)
    )
    events: list[Event] = []
    if grounded.correction:
        report.corrections.append(grounded.correction)
        logger.warning("prediction corrected: %s", grounded.correction)
        events.append(StatusEvent(status="running", message="Checked the date against the date tool."))
    final = grounded.prediction
    events.append(CompleteEvent(content=final.to_json(), prediction=final, model=label, usage=report.usage))
    return events


def _prediction_from(result: Any) -> Prediction:
    structured = getattr(result, "structured_output", None)
    if isinstance(structured, Prediction):
        return structured
    message = getattr(result, "message", None) or {}
    text = "".join(block.get("text", "") for block in message.get("content", []))
    return parse_prediction(text)


async def analyse(prompt: str, timezone: str = "UTC", **kwargs: Any) -> list[Event]:
    """Collect every event of a call (convenient for tests and scripts)."""
    return [event async for event in stream_analysis(prompt, timezone, **kwargs)]
