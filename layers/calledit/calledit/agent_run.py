"""Drive one Strands agent run as an async stream of protocol events, bounded by a deadline.

Text deltas from ``stream_async`` and whatever the run's hooks emit (tool events) go through one
queue on the running loop, so events keep the order in which they happened. The caller gets the
events, then ``outcome``: the agent's result, the exception that ended it, or a timeout. Used by
every agent of the app (analysis, verification).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from calledit.budget import RunBudget
from calledit.clarification import Pause
from calledit.errors import ErrorCode
from calledit.grounding import ResolvedEvidence
from calledit.protocol import ErrorEvent, Event, StatusEvent, TextEvent, ToolEvent
from calledit.providers.failures import RunFailure, classify
from calledit.tool_results import tool_payload
from calledit.usage import Usage

if TYPE_CHECKING:
    from strands import Agent
    from strands.agent.agent_result import AgentResult
    from strands.hooks import AfterToolCallEvent, BeforeModelCallEvent, BeforeToolCallEvent, HookRegistry

_DONE = object()
logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """How the run ended: a result, an error, or the deadline."""

    result: AgentResult | None = None
    error: BaseException | None = None
    timed_out: bool = False


class AgentRun:
    """One run: ``emit`` is safe from any thread; ``events`` streams until the run ends."""

    def __init__(self, cancel: threading.Event, timeout_s: float) -> None:
        self.cancel = cancel
        self.timeout_s = timeout_s
        self.outcome = Outcome()
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()

    def emit(self, item: Event | object) -> None:
        """Queue an event (hooks normally run on the loop; a sync tool may call from a thread)."""
        if threading.get_ident() == self._loop_thread:
            self._queue.put_nowait(item)
        else:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)

    async def events(
        self,
        make_agent: Callable[[], Agent],
        prompt: Any,
        limits: Any,
        after: Callable[[Agent], None] = lambda agent: None,
    ) -> AsyncGenerator[Event, None]:
        """The run's events until it ends (then read ``outcome``); stops the agent if abandoned."""
        task = asyncio.create_task(self._produce(make_agent, prompt, limits, after))
        deadline = self._loop.time() + self.timeout_s
        try:
            while True:
                try:
                    item = await asyncio.wait_for(self._queue.get(), deadline - self._loop.time())
                except TimeoutError:
                    self.outcome.timed_out = True
                    return
                if item is _DONE:
                    await task
                    return
                yield item
        finally:
            if not task.done():  # deadline, or the consumer went away: stop the agent, don't leak it
                self.cancel.set()
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def _produce(
        self, make_agent: Callable[[], Agent], prompt: Any, limits: Any, after: Callable[[Agent], None]
    ) -> None:
        agent = None
        try:
            agent = make_agent()
            async for event in agent.stream_async(prompt, cancel_signal=self.cancel, limits=limits):
                text = event.get("data")
                if isinstance(text, str) and text:
                    self.emit(TextEvent(content=text))
                if "result" in event:
                    self.outcome.result = event["result"]
        except Exception as exc:  # reported as an error event by the caller; details go to the log
            self.outcome.error = exc
        finally:
            if agent is not None:
                after(agent)
            self.emit(_DONE)


TOOL_LABELS = {
    "current_time": "Checking current time",
    "parse_date_with_timezone": "Resolving the date",
    "fetch_url": "Reading a page",
    "web_search": "Searching the web",
    "ask_clarifying_questions": "Asking you",
}
MAX_TOOL_RESULT_CHARS = 1_000


@dataclass
class RunReport:
    """What a run spent and what it corrected; filled while the stream runs (read it afterwards)."""

    usage: Usage = field(default_factory=Usage)
    corrections: list[str] = field(default_factory=list)
    pause: Pause | None = None  # set when the run stopped to ask the user (see clarification.py)


class OutOfRepairs(Exception):
    """The structured output failed validation again after its one repair attempt."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class RunHooks:
    """Strands hooks of one run: tool events for the client, date evidence, repair and call counts.

    ``structured_tool`` is the structured-output tool (shown as the final card, never as a chip);
    its invalid answers get ``budget.structured_output_repairs`` repairs, then the run stops.
    """

    def __init__(self, emit: Any, budget: RunBudget, report: RunReport, structured_tool: str) -> None:
        self._emit = emit
        self._budget = budget
        self._report = report
        self._structured_tool = structured_tool
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
        if use["name"] == self._structured_tool:
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
        if use["name"] == self._structured_tool:
            if not ok:
                self.failed_outputs += 1
                if self.failed_outputs > self._budget.structured_output_repairs:
                    raise OutOfRepairs(_summary(content))
            return
        if ok and use["name"] == "parse_date_with_timezone":
            found = ResolvedEvidence.from_tool(_as_dict(use.get("input")), tool_payload(content))
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


def _summary(content: list[Any]) -> str:
    parts = [
        json.dumps(c["json"], ensure_ascii=False) if "json" in c else str(c.get("text", "")) for c in content
    ]
    text = " ".join(p for p in parts if p)
    return text if len(text) <= MAX_TOOL_RESULT_CHARS else text[: MAX_TOOL_RESULT_CHARS - 1] + "…"


def run_failure(
    outcome: Outcome, *, label: str, cancel: threading.Event, budget: RunBudget, what: str
) -> Event | None:
    """The terminal event of a run that produced no answer (cancelled, failed, over budget), or None.

    ``what`` names the answer in messages ("a valid prediction", "a verdict").
    """
    from calledit.errors import ErrorCode
    from calledit.providers.failures import RunFailure

    error, result = outcome.error, outcome.result
    stop = getattr(result, "stop_reason", None)
    if error is None and (cancel.is_set() or stop == "cancelled"):
        return StatusEvent(status="cancelled", message="The call was cancelled.")
    failure: RunFailure | None = None
    if error is not None:
        failure = _failure(error, label, what)
    elif stop == "limit_turns":
        failure = RunFailure(
            ErrorCode.MODEL_ERROR,
            f"The model did not produce {what} within {budget.max_turns} turns. "
            "Try again, or rephrase the prediction more simply.",
        )
    elif stop in ("limit_output_tokens", "limit_total_tokens"):
        failure = RunFailure(
            ErrorCode.MODEL_ERROR,
            f"The model wrote more than its budget of {budget.max_output_tokens} tokens without finishing. "
            "Try again.",
        )
    if failure is None:
        return None
    return ErrorEvent(code=failure.code, message=failure.message, retry_after=failure.retry_after)


def _failure(error: BaseException, label: str, what: str) -> RunFailure:
    if isinstance(error, OutOfRepairs) or isinstance(error.__cause__, OutOfRepairs):
        detail = error.detail if isinstance(error, OutOfRepairs) else str(error.__cause__)
        return RunFailure(
            ErrorCode.MODEL_ERROR,
            f"The model's answer ({what}) was still invalid after one correction ({detail[:300]}). "
            "Try again, or rephrase the prediction.",
        )
    failure = classify(error, label)
    log = (
        logging.getLogger(__name__).warning
        if failure.code == ErrorCode.RATE_LIMITED
        else logging.getLogger(__name__).error
    )
    log("agent run failed: %s", failure.code, exc_info=error)
    return failure


def record_usage(agent: Any, report: RunReport) -> None:
    """Add the agent's token counts and turns to the report (model calls are counted by the hooks).

    Adds: a run paused for the user's answer continues in a fresh agent, whose counts start at zero.
    """
    metrics = agent.event_loop_metrics
    usage = metrics.accumulated_usage
    report.usage.input_tokens += int(usage.get("inputTokens", 0))
    report.usage.output_tokens += int(usage.get("outputTokens", 0))
    report.usage.turns += int(metrics.cycle_count)
