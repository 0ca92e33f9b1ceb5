"""Run one prediction call and expose it as an async stream of protocol events.

The Lambda stream worker, the local stack and the CLI all consume this stream. Text comes from
``Agent.stream_async`` deltas; tool start/end come from the ``BeforeToolCallEvent`` /
``AfterToolCallEvent`` hooks (parsed input, status) rather than the partial JSON of the stream.
Both feed one queue on the running loop, so events keep the order in which they happened.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

from calledit.agent import STRUCTURED_OUTPUT_TOOL, create_agent
from calledit.errors import CallError, ErrorCode
from calledit.models.selection import ModelChoice, select_model
from calledit.parsing import parse_prediction
from calledit.prompting import format_request
from calledit.protocol import CompleteEvent, ErrorEvent, Event, StatusEvent, TextEvent, ToolEvent
from calledit.schema import Prediction
from calledit.validation import check_prompt, check_timezone

logger = logging.getLogger(__name__)

TOOL_LABELS = {
    "current_time": "Checking current time",
    "parse_date_with_timezone": "Resolving the date",
}
MAX_TOOL_RESULT_CHARS = 1_000
_DONE = object()


class _ToolEvents:
    """Strands hook provider that turns tool calls into ``ToolEvent``s on the run's queue."""

    def __init__(self, emit: Any) -> None:
        self._emit = emit

    def register_hooks(self, registry: Any, **_: Any) -> None:
        from strands.hooks import AfterToolCallEvent, BeforeToolCallEvent

        registry.add_callback(BeforeToolCallEvent, self._before)
        registry.add_callback(AfterToolCallEvent, self._after)

    def _before(self, event: Any) -> None:
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

    def _after(self, event: Any) -> None:
        use = event.tool_use
        if use["name"] == STRUCTURED_OUTPUT_TOOL:
            return
        result = event.result or {}
        ok = event.exception is None and result.get("status") == "success"
        self._emit(
            ToolEvent(
                name=use["name"],
                tool_use_id=use["toolUseId"],
                phase="end",
                status="success" if ok else "error",
                input=_as_dict(use.get("input")),
                label=TOOL_LABELS.get(use["name"], f"Running {use['name']}"),
                result=_summary(result.get("content", [])),
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


async def stream_call(
    prompt: str,
    timezone: str = "UTC",
    *,
    choice: ModelChoice | None = None,
    cancel_signal: threading.Event | None = None,
    timeout_s: float | None = None,
) -> AsyncIterator[Event]:
    """Analyse ``prompt`` and yield status, text, tool and finally one terminal event.

    Never raises for bad input or model failure: those end the stream with an ``ErrorEvent``.
    Setting ``cancel_signal`` stops the agent at its next checkpoint and ends with status ``cancelled``;
    a run still going after ``timeout_s`` is stopped and ends with a ``timed_out`` error.
    """
    try:
        statement = check_prompt(prompt)
        zone = check_timezone(timezone)
        choice = choice or select_model()
    except CallError as exc:
        yield ErrorEvent(code=exc.code, message=exc.message)
        return

    cancel = cancel_signal or threading.Event()
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    loop_thread = threading.get_ident()

    def emit(item: Any) -> None:
        # Hooks normally run on this loop; a sync tool path may call from a worker thread.
        if threading.get_ident() == loop_thread:
            queue.put_nowait(item)
        else:
            loop.call_soon_threadsafe(queue.put_nowait, item)

    outcome: dict[str, Any] = {}

    async def produce() -> None:
        try:
            agent = create_agent(choice, hooks=[_ToolEvents(emit)])
            async for event in agent.stream_async(format_request(statement, zone), cancel_signal=cancel):
                text = event.get("data")
                if isinstance(text, str) and text:
                    emit(TextEvent(content=text))
                if "result" in event:
                    outcome["result"] = event["result"]
        except Exception as exc:  # reported as an error event; details go to the log only
            outcome["error"] = exc
        finally:
            emit(_DONE)

    yield StatusEvent(status="running", message=f"Analysing your prediction with {choice.label}")
    task = asyncio.create_task(produce())
    deadline = None if timeout_s is None else loop.time() + timeout_s
    try:
        while True:
            remaining = None if deadline is None else deadline - loop.time()
            try:
                item = await asyncio.wait_for(queue.get(), remaining)
            except TimeoutError:
                cancel.set()
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                yield ErrorEvent(
                    code=ErrorCode.TIMED_OUT,
                    message=f"The analysis took longer than {timeout_s:.0f} s and was stopped. Try again.",
                )
                return
            if item is _DONE:
                break
            yield item
        await task
        yield _final_event(outcome, choice.label, cancel)
    finally:
        if not task.done():  # the consumer went away: stop the agent, don't leak the task
            cancel.set()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def _final_event(outcome: dict[str, Any], label: str, cancel: threading.Event) -> Event:
    error = outcome.get("error")
    result = outcome.get("result")
    if error is None and (cancel.is_set() or getattr(result, "stop_reason", None) == "cancelled"):
        return StatusEvent(status="cancelled", message="The call was cancelled.")
    if error is not None:
        if isinstance(error, CallError):
            return ErrorEvent(code=error.code, message=error.message)
        logger.error("agent run failed", exc_info=error)
        name = type(error).__name__
        if "Throttl" in name:
            return ErrorEvent(
                code=ErrorCode.RATE_LIMITED, message="The model is busy right now; try again shortly."
            )
        return ErrorEvent(
            code=ErrorCode.MODEL_ERROR, message=f"The model could not finish the analysis ({name})."
        )
    try:
        prediction = _prediction_from(result)
    except CallError as exc:
        return ErrorEvent(code=exc.code, message=exc.message)
    return CompleteEvent(
        content=prediction.to_json(), prediction=prediction.model_dump(mode="json"), model=label
    )


def _prediction_from(result: Any) -> Prediction:
    structured = getattr(result, "structured_output", None)
    if isinstance(structured, Prediction):
        return structured
    message = getattr(result, "message", None) or {}
    text = "".join(block.get("text", "") for block in message.get("content", []))
    return parse_prediction(text)


async def run_call(prompt: str, timezone: str = "UTC", **kwargs: Any) -> list[Event]:
    """Collect every event of a call (convenient for tests and scripts)."""
    return [event async for event in stream_call(prompt, timezone, **kwargs)]
