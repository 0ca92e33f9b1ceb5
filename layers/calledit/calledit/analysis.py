"""Run one prediction analysis and expose it as an async stream of protocol events.

The Lambda stream worker, the local stack and the CLI all consume this stream. Text comes from
``Agent.stream_async`` deltas; tool start/end come from Strands' ``BeforeToolCallEvent`` /
``AfterToolCallEvent`` hooks (parsed input, status) rather than the partial JSON of the stream.
Both feed one queue on the running loop, so events keep the order in which they happened.

Every run is bounded (``RunBudget``): model turns and output tokens through Strands' ``limits``,
one structured-output repair, throttling retries sized to the deadline, and the wall clock. It
always ends with exactly one terminal event, or pauses with a ``clarify`` event when the agent asks
the user (``clarification.py``): ``answer`` may reply at once (the CLI), otherwise ``report.pause``
holds what the stream worker stores until the answer arrives (``resume``). The saved date is
grounded in the date tool's result.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from datetime import UTC
from typing import TYPE_CHECKING, Any

from calledit import clock
from calledit.agent import STRUCTURED_OUTPUT_TOOL, create_agent
from calledit.agent_run import AgentRun, Outcome, RunHooks, RunReport, record_usage, run_failure
from calledit.budget import RunBudget
from calledit.clarification import (
    MAX_SNAPSHOT_BYTES,
    STATE_CLARIFIED,
    Clarification,
    Pause,
    Question,
    Response,
    Resumption,
    answer_timeout_s,
    pack_snapshot,
    skip_response,
)
from calledit.errors import CallError, ErrorCode
from calledit.grounding import ground
from calledit.parsing import parse_prediction
from calledit.prediction import Prediction
from calledit.prompting import format_request
from calledit.protocol import ClarifyEvent, CompleteEvent, ErrorEvent, Event, StatusEvent
from calledit.providers.selection import ModelChoice, select_model
from calledit.validation import check_prompt, check_timezone
from calledit.verifiability import assess

if TYPE_CHECKING:
    from strands import Agent
    from strands.types.agent import Limits

logger = logging.getLogger(__name__)


Answerer = Callable[[ClarifyEvent], Response | None]


async def stream_analysis(
    prompt: str,
    timezone: str = "UTC",
    *,
    choice: ModelChoice | None = None,
    cancel_signal: threading.Event | None = None,
    budget: RunBudget | None = None,
    report: RunReport | None = None,
    clarify: bool = True,
    resume: Resumption | None = None,
    answer: Answerer | None = None,
) -> AsyncIterator[Event]:
    """Analyse ``prompt`` and yield status, text, tool and finally one terminal event (or ``clarify``).

    Never raises for bad input or model failure: those end the stream with an ``ErrorEvent``.
    Setting ``cancel_signal`` stops the agent at its next checkpoint and ends with status
    ``cancelled``; a run past ``budget.timeout_s`` is stopped and ends with ``timed_out``.
    ``clarify=False`` never offers the question tool. When the agent asks, ``answer`` is called with
    the questions; a response continues the run here, None pauses it (``report.pause``). ``resume``
    continues a paused run (possibly in another process) with the user's response.
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
    from calledit.tools import TIME_TOOLS  # deferred: importing Strands is slow

    tools: list[Any] = list(TIME_TOOLS)
    if clarify or resume:
        from calledit.clarify_tool import ask_clarifying_questions

        tools.append(ask_clarifying_questions)
    segment = _Segment(choice, budget, report, cancel, tools)
    if resume is None:
        yield StatusEvent(status="running", message=f"Analysing your prediction with {choice.label}")
        agent_input: Any = format_request(statement, zone)
    else:
        yield StatusEvent(status="running", message="Thanks: going on with your answer.")
        agent_input = resume.prompt()
    snapshot = resume.snapshot if resume else None
    while True:
        async with aclosing(segment.run(agent_input, snapshot)) as stretch:
            async for event in stretch:
                yield event
        pause = report.pause
        if segment.outcome.timed_out or pause is None or cancel.is_set():
            break
        asked = ClarifyEvent(round=pause.round, questions=pause.questions, timeout_s=answer_timeout_s())
        response = answer(asked) if answer is not None else None
        if response is None and len(pack_snapshot(pause.snapshot)) > MAX_SNAPSHOT_BYTES:
            logger.warning("conversation too large to pause for an answer; going on with assumptions")
            response = skip_response()
        yield asked
        if response is None:
            return  # paused: the caller keeps report.pause and resumes later
        report.pause = None
        resumption = Resumption(snapshot=pause.snapshot, interrupt_id=pause.interrupt_id, response=response)
        agent_input, snapshot = resumption.prompt(), pause.snapshot
    if segment.outcome.timed_out:
        yield ErrorEvent(
            code=ErrorCode.TIMED_OUT,
            message=f"The analysis took longer than {budget.timeout_s:.0f} s and was stopped. "
            "Try again in a moment.",
        )
        return
    for event in _final_events(segment, choice.label, statement, zone):
        yield event


class _Segment:
    """One stretch of the agent's run: from the request (or an answer) to its end or next question."""

    def __init__(
        self,
        choice: ModelChoice,
        budget: RunBudget,
        report: RunReport,
        cancel: threading.Event,
        tools: list[Any],
    ) -> None:
        self.choice, self.budget, self.report, self.cancel, self.tools = choice, budget, report, cancel, tools
        self.outcome = Outcome()
        self.hooks: RunHooks | None = None
        self.clarified: list[Clarification] = []

    async def run(self, agent_input: Any, snapshot: dict[str, Any] | None) -> AsyncGenerator[Event, None]:
        run = AgentRun(self.cancel, self.budget.timeout_s)
        hooks = self.hooks = RunHooks(run.emit, self.budget, self.report, STRUCTURED_OUTPUT_TOOL)
        limits: Limits = {"turns": self.budget.max_turns, "output_tokens": self.budget.max_output_tokens}

        def make_agent() -> Agent:
            agent = create_agent(self.choice, hooks=[hooks], budget=self.budget, tools=self.tools)
            if snapshot is not None:
                from strands.types._snapshot import Snapshot

                agent.load_snapshot(Snapshot.from_dict(snapshot))
            return agent

        def after(agent: Agent) -> None:
            record_usage(agent, self.report)
            self.report.pause = _pause_of(agent)
            answered = agent.state.get(STATE_CLARIFIED) or []
            self.clarified = [Clarification.model_validate(c) for c in answered]

        events = run.events(make_agent, agent_input, limits, after=after)
        async with aclosing(events):  # a consumer that leaves stops the agent now, not at garbage collection
            async for event in events:
                yield event
        self.outcome = run.outcome


def _pause_of(agent: Agent) -> Pause | None:
    """The agent's pending clarification (the tool raised its interrupt), as a resumable pause."""
    state = agent._interrupt_state
    if not state.activated:
        return None
    pending = [i for i in state.interrupts.values() if i.response is None and i.name.startswith("clarify-")]
    if not pending:
        return None
    reason = pending[0].reason or {}
    return Pause(
        round=int(reason.get("round", 1)),
        questions=[Question.model_validate(q) for q in reason.get("questions", [])],
        interrupt_id=pending[0].id,
        snapshot=agent.take_snapshot(preset="session").to_dict(),
    )


def _final_events(segment: _Segment, label: str, statement: str, zone: str) -> list[Event]:
    report, hooks = segment.report, segment.hooks
    assert hooks is not None
    ended = run_failure(
        segment.outcome, label=label, cancel=segment.cancel, budget=segment.budget, what="a valid prediction"
    )
    if ended is not None:
        return [ended]
    try:
        prediction = _prediction_from(segment.outcome.result)
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
    final = grounded.prediction.model_copy(update={"clarifications": segment.clarified})
    events.append(
        CompleteEvent(
            content=final.to_json(),
            prediction=final,
            model=label,
            usage=report.usage,
            verifiability=assess(final),
        )
    )
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
