"""The current time, overridable per task: ``calledit eval`` replays each case "as of" its reference.

Everything that asks "what time is it?" (the time tools, date grounding) goes through ``now()``.
The override is a context variable, so concurrent runs each see their own clock, including inside
tools Strands runs on worker threads (``asyncio.to_thread`` copies the context).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_FROZEN: ContextVar[datetime | None] = ContextVar("calledit_frozen_now", default=None)


def now() -> datetime:
    """Now, timezone-aware (UTC unless frozen at an instant with another offset)."""
    frozen = _FROZEN.get()
    return frozen if frozen is not None else datetime.now(UTC)


@contextmanager
def frozen_at(instant: datetime) -> Iterator[None]:
    """Make ``now()`` return ``instant`` in this context (tests and evaluation only)."""
    if instant.tzinfo is None:
        raise ValueError("a frozen clock needs a timezone-aware instant")
    token = _FROZEN.set(instant)
    try:
        yield
    finally:
        _FROZEN.reset(token)
