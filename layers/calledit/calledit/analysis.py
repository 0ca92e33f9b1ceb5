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

import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING, Any

from calledit import clock
from calledit.agent import STRUCTURED_OUTPUT_TOOL, create_agent
from calledit.agent_run import AgentRun, Outcome
from calledit.budget import RunBudget
from calledit.errors import CallError, ErrorCode
from calledit.grounding import ResolvedEvidence, ground
from calledit.parsing import parse_prediction
from calledit.prediction import Prediction
from calledit.prompting import format_request
from calledit.protocol import CompleteEvent, ErrorEvent, Event, StatusEvent, ToolEvent, Usage
from calledit.providers.failures import RunFailure, classify
from calledit.providers.selection import ModelChoice, select_model
from calledit.validation import check_prompt, check_timezone

if TYPE_CHECKING:
    from strands.hooks import AfterToolCallEvent, BeforeModelCallEvent, BeforeToolCallEvent, HookRegistry
    from strands.types.agent import Limits

logger = logging.getLogger(__name__)

TOOL_LABELS = {
    "current_time": "Checking current time",
    "parse_date_with_timezone": "Resolving the date",
}
MAX_TOOL_RESULT_CHARS = 1_000


@dataclass
class RunReport:
    """What a run spent and what it corrected; filled while the stream runs (read it afterwards)."""

    usage: Usage = field(default_factory=Usage)
    corrections: list[str] = field(default_factory=list)


class _OutOfRepairs(Exception):
    """The structured output failed validation again after its one repair attempt."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class _RunHooks:
    """Strands hooks of one run: tool events for the client, date evidence, repair and call counts."""

    def __init__(self, emit: Any, budget: RunBudget, report: RunReport) -> None:
        self._emit = emit
        self._budget = budget
        self._report = report
        self.evidence: list[ResolvedEvidence] = []
        self.failed_outputs = 0

    def register_hooks(self, registry: HookRegistry, **_: Any) -> None:
        from strands.hooks import AfterToolCallEvent, BeforeModelCallEvent, BeforeToolCallEvent

        registry.add_callback(BeforeToolCallEvent, self._before_tool)
        registry.add_callback(AfterToolCallEvent, self._after_tool)
        registry.add_callback(BeforeModelCallEvent, self._before_model)

    def _before_model(self, event: BeforeModelCallEvent) -> None:
        self._report.usage.model_calls += 1

    def _before_tool(self, event: BeforeToolCallEvent) -> None:
        use = event.tool_use
        if use["name"] == STRUCTURED_OUTPUT_TOOL:
            return  # the schema hand-off is shown as the final card, not as a tool chip
        self._emit(
            ToolEvent(
                name=use["name"],
                tool_use_id=use["toolUseId"],
                phase="start",
                status="running",
                input=_as_dict(use.get("input")),
                label=TOOL_LABELS.get(use["name"], f"Running {use['name']}"),
            )
        )

    def _after_tool(self, event: AfterToolCallEvent) -> None:
        use = event.tool_use
        result: Any = event.result or {}
        ok = event.exception is None and result.get("status") == "success"
        content = result.get("content", [])
        if use["name"] == STRUCTURED_OUTPUT_TOOL:
            if not ok:
                self.failed_outputs += 1
                if self.failed_outputs > self._budget.structured_output_repairs:
                    raise _OutOfRepairs(_summary(content))
            return
        if ok and use["name"] == "parse_date_with_timezone":
            found = ResolvedEvidence.from_tool(_as_dict(use.get("input")), _payload(content))
            if found is not None:
                self.evidence.append(found)
        self._emit(
            ToolEvent(
                name=use["name"],
                tool_use_id=use["toolUseId"],
                phase="end",
                status="success" if ok else "error",
                input=_as_dict(use.get("input")),
                label=TOOL_LABELS.get(use["name"], f"Running {use['name']}"),
                result=_summary(content),
            )
        )


def _as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _payload(content: list[Any]) -> Any:
    for item in content:
        if "json" in item:
            return item["json"]
        if "text" in item:
            try:
                return json.loads(item["text"])
            except ValueError:
                return None
    return None


def _summary(content: list[Any]) -> str:
    parts = [
        json.dumps(c["json"], ensure_ascii=False) if "json" in c else str(c.get("text", "")) for c in content
    ]
    text = " ".join(p for p in parts if p)
    return text if len(text) <= MAX_TOOL_RESULT_CHARS else text[: MAX_TOOL_RESULT_CHARS - 1] + "…"


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
    hooks = _RunHooks(run.emit, budget, report)
    limits: Limits = {"turns": budget.max_turns, "output_tokens": budget.max_output_tokens}
    yield StatusEvent(status="running", message=f"Analysing your prediction with {choice.label}")
    events = run.events(
        lambda: create_agent(choice, hooks=[hooks], budget=budget),
        format_request(statement, zone),
        limits,
        after=lambda agent: _record_usage(agent, report),
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


def _record_usage(agent: Any, report: RunReport) -> None:
    metrics = agent.event_loop_metrics
    usage = metrics.accumulated_usage
    report.usage.input_tokens = int(usage.get("inputTokens", 0))
    report.usage.output_tokens = int(usage.get("outputTokens", 0))
    report.usage.turns = int(metrics.cycle_count)


def _final_events(
    outcome: Outcome,
    label: str,
    cancel: threading.Event,
    hooks: _RunHooks,
    budget: RunBudget,
    report: RunReport,
    statement: str,
    zone: str,
) -> list[Event]:
    error, result = outcome.error, outcome.result
    stop = getattr(result, "stop_reason", None)
    if error is None and (cancel.is_set() or stop == "cancelled"):
        return [StatusEvent(status="cancelled", message="The call was cancelled.")]
    try:
        if error is not None:
            raise _failure(error, label)
        if stop == "limit_turns":
            raise RunFailure(
                ErrorCode.MODEL_ERROR,
                f"The model did not produce a valid prediction within {budget.max_turns} turns. "
                "Try again, or rephrase the prediction more simply.",
            )
        if stop in ("limit_output_tokens", "limit_total_tokens"):
            raise RunFailure(
                ErrorCode.MODEL_ERROR,
                f"The model wrote more than its budget of {budget.max_output_tokens} tokens without "
                "finishing. Try again.",
            )
        prediction = _prediction_from(result)
    except RunFailure as failure:
        return [ErrorEvent(code=failure.code, message=failure.message, retry_after=failure.retry_after)]
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


def _failure(error: BaseException, label: str) -> RunFailure:
    if isinstance(error, _OutOfRepairs) or isinstance(error.__cause__, _OutOfRepairs):
        detail = error.detail if isinstance(error, _OutOfRepairs) else str(error.__cause__)
        return RunFailure(
            ErrorCode.MODEL_ERROR,
            "The model's prediction was still invalid after one correction "
            f"({detail[:300]}). Try again, or rephrase the prediction.",
        )
    failure = classify(error, label)
    log = logger.warning if failure.code == ErrorCode.RATE_LIMITED else logger.error
    log("agent run failed: %s", failure.code, exc_info=error)
    return failure


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
