"""Run the verification agent on a saved prediction, as an async stream of protocol events.

The same pieces as the analysis (``AgentRun``, ``RunHooks``, the budget), with the verification
tools: the time tools, ``fetch_url`` (SSRF-safe) and ``web_search`` when a provider is configured.
The stream ends with one terminal event: a ``verdict`` (the agent's draft completed with time,
model, mode and usage; "by" predictions checked early are never refuted), or an error/cancel.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from calledit import clock
from calledit.agent import create_agent
from calledit.agent_run import AgentRun, RunHooks, RunReport, record_usage, run_failure
from calledit.budget import RunBudget
from calledit.errors import CallError, ErrorCode
from calledit.prediction import format_utc
from calledit.protocol import ErrorEvent, Event, StatusEvent, VerdictEvent
from calledit.providers.selection import ModelChoice, select_model
from calledit.saved import SavedPrediction
from calledit.verdict import Verdict, VerdictDraft, VerificationMode, auto_resolves, settles_early
from calledit.verification.prompting import (
    VERIFICATION_SYSTEM_PROMPT,
    VerificationRequest,
    format_verification_request,
)

if TYPE_CHECKING:
    from strands.types.agent import Limits

VERDICT_TOOL = VerdictDraft.__name__  # Strands names the structured-output tool after the model


def verification_tools() -> list[Any]:
    """The time tools, fetch_url, and web_search when a search provider is configured."""
    from calledit.tools import TIME_TOOLS
    from calledit.verification.fetch import fetch_url
    from calledit.verification.search import search_tools

    return [*TIME_TOOLS, fetch_url, *search_tools()]


def request_for(saved: SavedPrediction, mode: VerificationMode) -> VerificationRequest:
    method = saved.verification_method
    return VerificationRequest(
        statement=saved.prediction_statement,
        verification_date=format_utc(saved.verification_date),
        timezone=saved.timezone,
        mode=mode,
        category=saved.verifiable_category,
        criteria=list(method.criteria),
        sources=list(method.source),
    )


async def stream_verification(
    saved: SavedPrediction,
    *,
    choice: ModelChoice | None = None,
    cancel_signal: threading.Event | None = None,
    budget: RunBudget | None = None,
    report: RunReport | None = None,
) -> AsyncIterator[Event]:
    """Verify ``saved`` now; never raises for a model or tool failure (those end with an error event)."""
    try:
        budget = budget or RunBudget.from_env()
        choice = choice or select_model(role="verification")
        tools = verification_tools()
    except CallError as exc:
        yield ErrorEvent(code=exc.code, message=exc.message)
        return
    now = clock.now()
    date_passed = saved.verification_date <= now
    # A "by" prediction is checked early until its date; on or after the date it is a final check.
    mode: VerificationMode = (
        "before_date" if saved.verification_mode == "before_date" and not date_passed else "at_date"
    )
    report = report if report is not None else RunReport()
    cancel = cancel_signal or threading.Event()
    run = AgentRun(cancel, budget.timeout_s)
    hooks = RunHooks(run.emit, budget, report, VERDICT_TOOL)
    limits: Limits = {"turns": budget.max_turns, "output_tokens": budget.max_output_tokens}
    yield StatusEvent(status="running", message=f"Verifying your call with {choice.label}")
    events = run.events(
        lambda: create_agent(
            choice,
            hooks=[hooks],
            budget=budget,
            tools=tools,
            system_prompt=VERIFICATION_SYSTEM_PROMPT,
            output=VerdictDraft,
        ),
        format_verification_request(request_for(saved, mode)),
        limits,
        after=lambda agent: record_usage(agent, report),
    )
    async with aclosing(events):
        async for event in events:
            yield event
    if run.outcome.timed_out:
        yield ErrorEvent(
            code=ErrorCode.TIMED_OUT,
            message=f"The verification took longer than {budget.timeout_s:.0f} s and was stopped. "
            "Try again later.",
        )
        return
    ended = run_failure(run.outcome, label=choice.label, cancel=cancel, budget=budget, what="a verdict")
    if ended is not None:
        yield ended
        return
    draft = getattr(run.outcome.result, "structured_output", None)
    if not isinstance(draft, VerdictDraft):
        yield ErrorEvent(code=ErrorCode.MODEL_ERROR, message="The model ended without a verdict. Try again.")
        return
    draft = settles_early(draft, mode, date_passed)
    verdict = Verdict(
        **draft.model_dump(), checked_at=clock.now(), model=choice.label, mode=mode, usage=report.usage
    )
    yield VerdictEvent(
        prediction_id=saved.prediction_id,
        verdict=verdict,
        applied=auto_resolves(verdict, saved.verifiable_category),
    )
