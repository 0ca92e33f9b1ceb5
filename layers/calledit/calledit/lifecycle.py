"""The job lifecycle: one state machine for every run (analysis now, verification later).

``queued -> running -> [awaiting_input <-> running] -> completed | failed | cancelled | timed_out``

- A job holds one of the user's admission slots while it is active (queued, running, awaiting input).
- A running job proves it is alive with a heartbeat; a job whose heartbeat is older than
  ``STALE_AFTER_S`` (or that sat queued longer than ``QUEUED_STALE_AFTER_S``) is stale: the next
  resume restarts it (at most ``MAX_RESTARTS`` times) and admission fails it, always with a
  terminal frame — never silence.
- Which frame ends a request is defined in ``protocol.is_terminal``; ``status_for`` maps it here.

Storage enforces these transitions with conditional writes (``storage.jobs``), so two actors
(worker, action handler, a zombie worker) can never both finish a job.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from calledit.errors import ErrorCode


class JobStatus(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    AWAITING_INPUT = "awaiting_input"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


ACTIVE = frozenset({JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.AWAITING_INPUT})
TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.TIMED_OUT})

# Allowed moves. running -> queued is a restart of a stale run; awaiting_input -> queued is an answer.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING} | TERMINAL),
    JobStatus.RUNNING: frozenset({JobStatus.AWAITING_INPUT, JobStatus.QUEUED} | TERMINAL),
    JobStatus.AWAITING_INPUT: frozenset({JobStatus.RUNNING, JobStatus.QUEUED} | TERMINAL),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
    JobStatus.TIMED_OUT: frozenset(),
}

MAX_ACTIVE_PER_USER = 3
HEARTBEAT_S = 10.0
STALE_AFTER_S = 30.0
# Async invokes can wait in Lambda's queue (throttling); the template drops events older than 60 s.
QUEUED_STALE_AFTER_S = 90.0
MAX_RESTARTS = 1


class IllegalTransition(Exception):
    """A move the state machine does not allow (a bug, not a user error)."""


def sources(target: JobStatus) -> frozenset[JobStatus]:
    """Every status a job may move to ``target`` from."""
    return frozenset(status for status, targets in TRANSITIONS.items() if target in targets)


def check_transition(current: JobStatus, target: JobStatus) -> None:
    """Raise ``IllegalTransition`` unless ``current -> target`` is allowed."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"{current} -> {target}")


def is_stale(status: JobStatus, heartbeat_at: float, now: float) -> bool:
    """Whether an active job's worker must be presumed dead."""
    if status is JobStatus.RUNNING:
        return now - heartbeat_at > STALE_AFTER_S
    if status is JobStatus.QUEUED:
        return now - heartbeat_at > QUEUED_STALE_AFTER_S
    return False  # awaiting_input waits for the user, not for a worker


def status_for(terminal: dict[str, Any]) -> JobStatus:
    """The job status a terminal frame stands for."""
    kind = terminal.get("type")
    if kind in ("complete", "verdict"):
        return JobStatus.COMPLETED
    if kind == "status" and terminal.get("status") == "cancelled":
        return JobStatus.CANCELLED
    if kind == "error" and terminal.get("code") == ErrorCode.TIMED_OUT:
        return JobStatus.TIMED_OUT
    return JobStatus.FAILED
