"""Drive one Strands agent run as an async stream of protocol events, bounded by a deadline.

Text deltas from ``stream_async`` and whatever the run's hooks emit (tool events) go through one
queue on the running loop, so events keep the order in which they happened. The caller gets the
events, then ``outcome``: the agent's result, the exception that ended it, or a timeout. Used by
every agent of the app (analysis, verification).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from calledit.protocol import Event, TextEvent

if TYPE_CHECKING:
    from strands import Agent
    from strands.agent.agent_result import AgentResult

_DONE = object()


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
