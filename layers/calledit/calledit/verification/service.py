"""Verify one saved prediction end to end: claim it, run the agent, record the verdict (or let go).

Shared by the live ``verify`` action (the stream worker) and the scheduled verifier (queue consumer).
Claiming moves the prediction pending|proposed -> verifying under a condition, so a scheduled and a
swept message, or two taps on "Verify now", never verify the same prediction twice at once.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

from calledit import clock
from calledit.agent_run import RunReport
from calledit.budget import RunBudget
from calledit.errors import ErrorCode
from calledit.prediction import PredictionStatus
from calledit.protocol import ErrorEvent, Event, VerdictEvent, is_terminal
from calledit.providers.selection import ModelChoice
from calledit.storage.predictions import PredictionStore
from calledit.verification.run import stream_verification
from calledit.verification.schedules import VerificationSchedules


async def verify_saved(
    user_id: str,
    prediction_id: str,
    *,
    store: PredictionStore,
    choice: ModelChoice | None = None,
    cancel_signal: threading.Event | None = None,
    budget: RunBudget | None = None,
    report: RunReport | None = None,
    recheck_proposed: bool = True,
) -> AsyncIterator[Event]:
    """The verification's events, ending with one terminal event; the prediction is updated first.

    ``recheck_proposed=False`` (scheduled checks) leaves a call whose verdict waits for the user alone.
    """
    import asyncio

    saved = await asyncio.to_thread(
        store.claim_verification, user_id, prediction_id, clock.now(), proposed=recheck_proposed
    )
    if saved is None:
        current = await asyncio.to_thread(store.get, user_id, prediction_id)
        if current is None:
            yield ErrorEvent(code=ErrorCode.NOT_FOUND, message="No such prediction.")
        elif current.status is PredictionStatus.RESOLVED:
            yield ErrorEvent(code=ErrorCode.CONFLICT, message="This call is already resolved.")
        elif current.status is PredictionStatus.PROPOSED:
            yield ErrorEvent(code=ErrorCode.CONFLICT, message="A verdict already waits for your answer.")
        else:
            yield ErrorEvent(code=ErrorCode.CONFLICT, message="This call is being verified right now.")
        return
    async for event in stream_verification(
        saved, choice=choice, cancel_signal=cancel_signal, budget=budget, report=report
    ):
        if is_terminal(event):
            if isinstance(event, VerdictEvent):
                updated = await asyncio.to_thread(
                    store.record_verdict, user_id, prediction_id, event.verdict, applies=event.applied
                )
                applied = updated is not None and updated.status is PredictionStatus.RESOLVED
                event = event.model_copy(update={"applied": applied})
                if applied:  # its one-time schedule (a "by" call settled early) has nothing left to do
                    await asyncio.to_thread(VerificationSchedules().cancel, prediction_id)
            else:
                await asyncio.to_thread(store.release_verification, user_id, prediction_id)
        yield event
