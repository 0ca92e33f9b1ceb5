"""The coalescing sender: protocol events in on the token path, few well-ordered posts out.

- Text deltas are merged and posted at most once per ``window_s`` (the first one immediately).
- Any other event flushes the text before it (order is kept) and is posted without waiting.
- Posting runs in one background thread, so a slow ``post_to_connection`` never stalls the model;
  the producer only waits when ``max_pending`` frames are queued (a bounded buffer).
- Every frame gets the request id and the next ``seq``; text is split to stay under 32 KB.
- Throttling is retried with exponential backoff and full jitter. When the connection is gone the
  sender stops posting but keeps numbering and recording frames: the run goes on to its end and a
  resumed connection (``reattach``) gets everything after its last ``seq``, from the first frame of
  the request (``history`` holds the frames of earlier runs of a restarted job).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from calledit.protocol import Event, TextEvent, encode, frame
from calledit.validation import MAX_FRAME_BYTES
from calledit.ws.transport import ConnectionGone, Throttled, Transport, TransportError

logger = logging.getLogger(__name__)

FRAME_BUDGET = MAX_FRAME_BYTES - 1024  # room for the envelope: type, request_id, seq


@dataclass
class SenderStats:
    """What the sender did (for logs, tests and benchmarks)."""

    posts: int = 0
    frames: int = 0
    retries: int = 0
    bytes: int = 0
    post_started_at: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for throttled posts: ``base * 2**attempt`` capped, full jitter."""

    attempts: int = 6
    base_s: float = 0.05
    cap_s: float = 2.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap_s, self.base_s * 2**attempt))  # noqa: S311 - jitter, not crypto


def split_text(text: str, budget: int = FRAME_BUDGET) -> list[str]:
    """Split ``text`` into pieces whose UTF-8 size (JSON-escaped) fits ``budget`` bytes."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for ch in text:
        # JSON escaping can grow a character up to 6 bytes (\uXXXX); count the worst case.
        cost = len(ch.encode()) if ch.isprintable() and ch not in '"\\' else 6
        if size + cost > budget and current:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += cost
    if current:
        pieces.append("".join(current))
    return pieces


class CoalescingSender:
    """See the module docstring. Use as ``async with CoalescingSender(...) as sender``."""

    def __init__(
        self,
        transport: Transport,
        request_id: str,
        *,
        window_s: float = 0.05,
        start_seq: int = 1,
        history: list[dict[str, Any]] | None = None,
        max_pending: int = 256,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self.request_id = request_id
        self.window_s = window_s
        self.max_pending = max_pending
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.stats = SenderStats()
        # Every frame of the request, in seq order: earlier runs' (already delivered) then this run's.
        self.frames: list[dict[str, Any]] = list(history or [])
        self.gone = False
        self._next_seq = start_seq
        self._posted = len(self.frames)  # index into self.frames of the next frame to post
        self._held: int | None = None  # frames from this index on wait for release()
        self._generation = 0  # bumped by reattach
        self._text: list[str] = []
        self._last_text_post: float | None = None
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ws-post")

    async def __aenter__(self) -> CoalescingSender:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def last_seq(self) -> int:
        """The seq of the newest frame made (posted or queued)."""
        return self._next_seq - 1

    async def send(self, event: Event) -> None:
        """Queue an event; returns at once unless ``max_pending`` frames are already waiting."""
        if isinstance(event, TextEvent):
            self._text.append(event.content)
        else:
            self._frame_text()
            self._add(event)
        self._wakeup.set()
        while not self.gone and len(self.frames) - self._posted > self.max_pending:
            self._drained.clear()
            await self._drained.wait()

    def hold(self, event: Event) -> None:
        """Queue the run's last frame (terminal, or a question) without posting it until ``release``:
        the job must record it first, or a client acting on it at once (answer, new call, resume)
        would find the job still running."""
        self._frame_text()
        if self._held is None:
            self._held = len(self.frames)
        self._add(event)
        self._wakeup.set()

    def release(self) -> None:
        """Post the held frames (the job now records them)."""
        self._held = None
        self._wakeup.set()

    def reattach(self, transport: Transport, after_seq: int) -> None:
        """Continue on a new connection, replaying every frame after ``after_seq``."""
        self.transport = transport
        self.gone = False
        self._generation += 1  # a post in flight to the old connection must not move our position
        self._posted = next((i for i, f in enumerate(self.frames) if f["seq"] > after_seq), len(self.frames))
        self._wakeup.set()

    def flush_text(self) -> None:
        """Turn buffered text into frames now (before the log is saved)."""
        self._frame_text()

    async def close(self, timeout_s: float = 30.0) -> None:
        """Flush what is queued (unless the client is gone) and stop the posting task."""
        self._closing = True
        self._frame_text()
        self._wakeup.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout_s)
            except TimeoutError:
                logger.warning("sender close timed out", extra={"request_id": self.request_id})
                self._task.cancel()
        self._executor.shutdown(wait=False)

    # ------------------------------------------------------------------ internals

    def _add(self, event: Event) -> None:
        self.frames.append(frame(event, self.request_id, self._next_seq))
        self._next_seq += 1
        self.stats.frames += 1

    def _frame_text(self) -> None:
        if not self._text:
            return
        text = "".join(self._text)
        self._text.clear()
        for piece in split_text(text):
            self._add(TextEvent(content=piece))

    async def _run(self) -> None:
        while True:
            if self.gone:
                self._drained.set()
                if self._closing:
                    return
            elif self._posted < self._postable():
                await self._post_next()
                continue
            elif self._text:
                wait = self._text_wait()
                if wait <= 0:
                    self._frame_text()
                    continue
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):  # a non-text event (or close) cuts the wait short
                    await asyncio.wait_for(self._wakeup.wait(), wait)
                continue
            else:
                self._drained.set()
                if self._closing:
                    return
            self._wakeup.clear()
            await self._wakeup.wait()

    def _postable(self) -> int:
        return len(self.frames) if self._held is None else min(self._held, len(self.frames))

    def _text_wait(self) -> float:
        if self._closing or self._last_text_post is None:
            return 0.0  # the first text frame goes at once
        return self._last_text_post + self.window_s - self.clock()

    async def _post_next(self) -> None:
        body = self.frames[self._posted]
        data = encode(body)
        loop = asyncio.get_running_loop()
        generation, transport = self._generation, self.transport
        attempt = 0
        while True:
            if generation != self._generation:
                return  # re-attached meanwhile: the new connection's replay takes over
            started = self.clock()
            if body["type"] == "text":
                self._last_text_post = started
            try:
                self.stats.post_started_at.append(started)
                self.stats.posts += 1
                await loop.run_in_executor(self._executor, transport.post, data)
            except Throttled:
                if generation != self._generation:
                    return
                if attempt + 1 >= self.retry.attempts:
                    logger.warning("giving up after throttling", extra={"request_id": self.request_id})
                    self._lost()
                    return
                self.stats.retries += 1
                await asyncio.sleep(self.retry.delay(attempt))
                attempt += 1
                continue
            except (ConnectionGone, TransportError) as exc:
                logger.info("connection lost: %s", type(exc).__name__, extra={"request_id": self.request_id})
                if generation == self._generation:
                    self._lost()
                return
            break
        if generation != self._generation:
            return
        self.stats.bytes += len(data)
        self._posted += 1
        if len(self.frames) - self._posted <= self.max_pending:
            self._drained.set()

    def _lost(self) -> None:
        """The connection is unusable: stop posting until a resume re-attaches one."""
        self.gone = True
        self._drained.set()
