"""Job records in DynamoDB: one per (user, request_id), moved through ``lifecycle`` by conditional writes.

Table JOBS_TABLE, key ``user_id`` + ``request_id``. Besides the jobs, each user's partition holds one
admission item (``request_id = "#slots"``; ``#`` never appears in a request id) whose string set
``active`` names the jobs holding the user's running-call slots: admission is one conditional
``ADD`` (atomic under any concurrency), a finished job ``DELETE``s itself from the set.

Every write that changes ``status`` is conditioned on the statuses ``lifecycle`` allows it to come
from, and a worker's writes on its ``run_id`` lease, so a zombie worker can never overwrite a job
another actor has finished or restarted.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from calledit import framelog
from calledit.aws import table
from calledit.clarification import Pause, pack_snapshot, unpack_snapshot
from calledit.lifecycle import TERMINAL, JobStatus, sources
from calledit.settings import get_settings
from calledit.storage.conditional import unless_condition_fails

JOB_TTL_S = 24 * 3600
SLOTS_KEY = "#slots"


class JobExists(Exception):
    """A job with this request_id already exists for the user."""


@dataclass(frozen=True)
class Job:
    """A snapshot of a job record."""

    user_id: str
    request_id: str
    status: JobStatus
    kind: str = "analysis"  # or "verification" (of prediction_id)
    prediction_id: str = ""
    connection_id: str = ""
    endpoint: str = ""
    prompt: str = ""
    timezone: str = "UTC"
    attach_version: int = 0
    resume_after: int = 0
    cancel_requested: bool = False
    next_seq: int = 1
    last_seq: int = 0
    run_id: str = ""
    restarts: int = 0
    heartbeat_at: float = 0.0
    renumber_terminal: bool = False
    frames: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    clarify: bool = True  # may the analysis ask the user questions
    clarify_round: int = 0  # the round of questions asked last (0: none)
    questions: list[dict[str, Any]] = field(default_factory=list)  # of that round
    interrupt_id: str = ""
    conversation: bytes | None = None  # the paused agent's snapshot (compressed)
    clarify_response: dict[str, Any] | None = None  # the answer (or skip) that resumes it
    awaiting_since: float = 0.0

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Job:
        log: Any = item.get("frame_log")
        raw_log = bytes(log.value) if hasattr(log, "value") else log
        return cls(
            user_id=str(item["user_id"]),
            request_id=str(item["request_id"]),
            status=JobStatus(str(item["status"])),
            kind=str(item.get("kind", "analysis")),
            prediction_id=str(item.get("prediction_id", "")),
            connection_id=str(item.get("connection_id", "")),
            endpoint=str(item.get("endpoint", "")),
            prompt=str(item.get("prompt", "")),
            timezone=str(item.get("timezone", "UTC")),
            attach_version=int(item.get("attach_version", 0)),
            resume_after=int(item.get("resume_after", 0)),
            cancel_requested=bool(item.get("cancel_requested", False)),
            next_seq=int(item.get("next_seq", 1)),
            last_seq=int(item.get("last_seq", 0)),
            run_id=str(item.get("run_id", "")),
            restarts=int(item.get("restarts", 0)),
            heartbeat_at=float(item.get("heartbeat_at", 0)),
            renumber_terminal=bool(item.get("renumber_terminal", False)),
            frames=framelog.unpack(raw_log, str(item["request_id"])),
            result=_plain(item["result"]) if item.get("result") else None,
            usage=_plain(item["usage"]) if item.get("usage") else None,
            clarify=bool(item.get("clarify", True)),
            clarify_round=int(item.get("clarify_round", 0)),
            questions=_json(item, "questions") or [],
            interrupt_id=str(item.get("interrupt_id", "")),
            conversation=_binary(item.get("conversation")),
            clarify_response=_json(item, "clarify_response"),
            awaiting_since=float(item.get("awaiting_since", 0)),
        )

    def snapshot(self) -> dict[str, Any] | None:
        """The paused agent's snapshot, if the job waits for (or got) an answer."""
        return unpack_snapshot(self.conversation) if self.conversation else None

    @property
    def terminal_frame(self) -> dict[str, Any] | None:
        """The frame that ended the job (the last one logged), if it has ended."""
        return self.frames[-1] if self.status in TERMINAL and self.frames else None


def _json(item: dict[str, Any], key: str) -> Any:
    return json.loads(str(item[key])) if item.get(key) else None


def _binary(value: Any) -> bytes | None:
    if value is None:
        return None
    return bytes(value.value) if hasattr(value, "value") else bytes(value)


def _plain(value: Any) -> Any:
    """DynamoDB Decimals back to ints/floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _dynamo(value: Any) -> Any:
    """Floats to Decimals (boto3 refuses floats)."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dynamo(v) for v in value]
    return value


class JobStore:
    """DynamoDB access for job records and admission slots."""

    def __init__(self, table_name: str | None = None, clock: Any = time.time) -> None:
        self._table = table(table_name or get_settings().jobs_table)
        self._clock = clock

    def now(self) -> float:
        return float(self._clock())

    # ------------------------------------------------------------------ reads

    def get(self, user_id: str, request_id: str) -> Job | None:
        """The job, or None (also for another user's request id: the key includes the user)."""
        item = self._table.get_item(
            Key={"user_id": user_id, "request_id": request_id}, ConsistentRead=True
        ).get("Item")
        return Job.from_item(item) if item else None

    # ------------------------------------------------------------------ creation and admission

    def create(
        self,
        user_id: str,
        request_id: str,
        *,
        connection_id: str,
        endpoint: str,
        prompt: str,
        timezone: str,
        kind: str = "analysis",
        prediction_id: str = "",
        connected_at: int = 0,
        clarify: bool = True,
    ) -> Job:
        """Insert a queued job; raises ``JobExists`` if the request id was used by this user."""
        now = self.now()
        item: dict[str, Any] = {
            "user_id": user_id,
            "request_id": request_id,
            "kind": kind,
            "prediction_id": prediction_id,
            "status": JobStatus.QUEUED.value,
            "connection_id": connection_id,
            "connected_at": connected_at,
            "endpoint": endpoint,
            "prompt": prompt,
            "timezone": timezone,
            "clarify": clarify,
            "attach_version": 0,
            "resume_after": 0,
            "cancel_requested": False,
            "next_seq": 1,
            "last_seq": 0,
            "restarts": 0,
            "heartbeat_at": _dynamo(now),
            "created_at": int(now),
            "updated_at": int(now),
            "expires_at": int(now) + JOB_TTL_S,
        }
        put = unless_condition_fails(
            lambda: self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(request_id)")
        )
        if put is None:
            raise JobExists(request_id)
        return Job.from_item(item)

    def delete(self, user_id: str, request_id: str) -> None:
        """Forget a job that never started (refused at admission)."""
        self._table.delete_item(
            Key={"user_id": user_id, "request_id": request_id},
            ConditionExpression="#s = :queued",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":queued": JobStatus.QUEUED.value},
        )

    def admit(self, user_id: str, request_id: str, limit: int) -> bool:
        """Take one of the user's ``limit`` slots for this job, atomically; False when all are taken."""
        taken = unless_condition_fails(
            lambda: self._table.update_item(
                Key={"user_id": user_id, "request_id": SLOTS_KEY},
                UpdateExpression="ADD active :rid",
                ConditionExpression=(
                    "attribute_not_exists(active) OR size(active) < :limit OR contains(active, :id)"
                ),
                ExpressionAttributeValues={":rid": {request_id}, ":limit": limit, ":id": request_id},
            )
        )
        return taken is not None

    def release(self, user_id: str, request_id: str) -> None:
        """Give the job's slot back (idempotent)."""
        self._table.update_item(
            Key={"user_id": user_id, "request_id": SLOTS_KEY},
            UpdateExpression="DELETE active :rid",
            ExpressionAttributeValues={":rid": {request_id}},
        )

    def slot_holders(self, user_id: str) -> set[str]:
        """The request ids holding the user's slots."""
        item = self._table.get_item(
            Key={"user_id": user_id, "request_id": SLOTS_KEY}, ConsistentRead=True
        ).get("Item")
        active: Any = (item or {}).get("active") or set()
        return {str(rid) for rid in active}

    # ------------------------------------------------------------------ transitions

    def _write(
        self,
        user_id: str,
        request_id: str,
        values: dict[str, Any],
        *,
        to: JobStatus | None = None,
        run_id: str | None = None,
        expect: dict[str, Any] | None = None,
        remove: tuple[str, ...] = (),
        add_version: bool = False,
        newer_than: tuple[str, int] | None = None,
    ) -> Job | None:
        """One conditional update; the new job, or None when its condition did not hold."""
        now = self.now()
        values = {**values, "updated_at": int(now)}
        if to is not None:
            values["status"] = to.value
        names = {f"#{k}": k for k in values}
        attr_values: dict[str, Any] = {f":{k}": _dynamo(v) for k, v in values.items()}
        update = "SET " + ", ".join(f"#{k} = :{k}" for k in values)
        if add_version:
            update += " ADD attach_version :one"
            attr_values[":one"] = 1
        if remove:
            update += " REMOVE " + ", ".join(remove)
        conditions = ["attribute_exists(request_id)"]
        if to is not None:
            allowed = sorted(sources(to))
            names["#status"] = "status"
            placeholders = []
            for i, status in enumerate(allowed):
                attr_values[f":from{i}"] = status.value
                placeholders.append(f":from{i}")
            conditions.append(f"#status IN ({', '.join(placeholders)})")
        if run_id is not None:
            names["#run_id"] = "run_id"
            attr_values[":lease"] = run_id
            conditions.append("#run_id = :lease")
        if newer_than is not None:
            names["#newer"] = newer_than[0]
            attr_values[":newer"] = newer_than[1]
            conditions.append("(attribute_not_exists(#newer) OR #newer <= :newer)")
        for i, (key, expected) in enumerate((expect or {}).items()):
            names[f"#x{i}"] = key
            attr_values[f":x{i}"] = _dynamo(expected)
            conditions.append(f"#x{i} = :x{i}")
        response = unless_condition_fails(
            lambda: self._table.update_item(
                Key={"user_id": user_id, "request_id": request_id},
                UpdateExpression=update,
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attr_values,
                ReturnValues="ALL_NEW",
            )
        )
        return None if response is None else Job.from_item(response["Attributes"])

    def claim(self, user_id: str, request_id: str, run_id: str) -> Job | None:
        """queued -> running under a new lease; None if the job is not queued (duplicate delivery)."""
        return self._write(
            user_id,
            request_id,
            {"run_id": run_id, "heartbeat_at": self.now(), "cancel_requested": False},
            to=JobStatus.RUNNING,
            expect={"status": JobStatus.QUEUED.value},
        )

    def save_progress(
        self, user_id: str, request_id: str, run_id: str, frames: list[dict[str, Any]], last_seq: int
    ) -> Job | None:
        """Heartbeat + frame log flush in one write; None when the lease was lost (restarted/finished)."""
        return self._write(
            user_id,
            request_id,
            {"frame_log": framelog.pack(frames), "last_seq": last_seq, "heartbeat_at": self.now()},
            run_id=run_id,
            expect={"status": JobStatus.RUNNING.value},
        )

    def finish(
        self,
        job: Job,
        status: JobStatus,
        frames: list[dict[str, Any]],
        *,
        run_id: str | None = None,
        expect: dict[str, Any] | None = None,
        result: dict[str, Any] | None = None,
        usage: dict[str, Any] | None = None,
        renumber_terminal: bool = False,
    ) -> Job | None:
        """Move to a terminal status with the full frame log (its last frame the terminal one), then
        free the slot. None when another actor got there first."""
        values: dict[str, Any] = {
            "frame_log": framelog.pack(frames),
            "last_seq": int(frames[-1]["seq"]) if frames else job.last_seq,
            "renumber_terminal": renumber_terminal,
        }
        if result is not None:
            values["result"] = result
        if usage is not None:
            values["usage"] = usage
        done = self._write(job.user_id, job.request_id, values, to=status, run_id=run_id, expect=expect)
        if done is not None:
            self.release(job.user_id, job.request_id)
        return done

    def pause(
        self, job: Job, frames: list[dict[str, Any]], pause: Pause, *, usage: dict[str, Any]
    ) -> Job | None:
        """running -> awaiting_input under the worker's lease: the log, the questions and the agent's
        snapshot are saved; numbering goes on from the next frame when the answer resumes it."""
        last_seq = int(frames[-1]["seq"]) if frames else job.last_seq
        return self._write(
            job.user_id,
            job.request_id,
            {
                "frame_log": framelog.pack(frames),
                "last_seq": last_seq,
                "next_seq": last_seq + 1,
                "clarify_round": pause.round,
                "questions": json.dumps([q.model_dump() for q in pause.questions]),
                "interrupt_id": pause.interrupt_id,
                "conversation": pack_snapshot(pause.snapshot),
                "awaiting_since": self.now(),
                "heartbeat_at": self.now(),
                "usage": usage,
                "run_id": "",
            },
            to=JobStatus.AWAITING_INPUT,
            run_id=job.run_id,
            expect={"status": JobStatus.RUNNING.value},
            remove=("clarify_response",),
        )

    def answer(
        self,
        user_id: str,
        request_id: str,
        round_: int,
        response: dict[str, Any],
        *,
        connection: tuple[str, str, int] | None = None,
    ) -> Job | None:
        """awaiting_input -> queued with the user's response, only if that round still waits (an
        answer and the timeout can race: one wins). ``connection`` (id, endpoint, connected_at) makes
        the answering connection the one the rest of the call streams to."""
        values: dict[str, Any] = {"clarify_response": json.dumps(response), "heartbeat_at": self.now()}
        if connection is not None:
            values.update(
                {"connection_id": connection[0], "endpoint": connection[1], "connected_at": connection[2]}
            )
        return self._write(
            user_id,
            request_id,
            values,
            to=JobStatus.QUEUED,
            expect={"status": JobStatus.AWAITING_INPUT.value, "clarify_round": round_},
            add_version=connection is not None,
        )

    def restart(
        self, job: Job, *, connection_id: str, endpoint: str, next_seq: int, connected_at: int = 0
    ) -> Job | None:
        """A stale run back to queued on a (new) connection, numbering from ``next_seq``."""
        return self._write(
            job.user_id,
            job.request_id,
            {
                "connection_id": connection_id,
                "connected_at": connected_at,
                "endpoint": endpoint,
                "next_seq": next_seq,
                "last_seq": next_seq - 1,
                "resume_after": next_seq - 1,
                "restarts": job.restarts + 1,
                "heartbeat_at": self.now(),
                "run_id": "",
                "cancel_requested": False,
            },
            to=JobStatus.QUEUED,
            expect={"heartbeat_at": job.heartbeat_at, "status": job.status.value},
        )

    def request_cancel(self, user_id: str, request_id: str) -> Job | None:
        """Flag a running job for cancellation; the worker notices within its poll interval."""
        return self._write(
            user_id, request_id, {"cancel_requested": True}, expect={"status": JobStatus.RUNNING.value}
        )

    def attach(
        self,
        user_id: str,
        request_id: str,
        connection_id: str,
        endpoint: str,
        after_seq: int,
        *,
        connected_at: int = 0,
    ) -> Job | None:
        """Point the job at a connection (resume); the worker replays frames after ``after_seq``.

        Only a connection opened no earlier than the one the job follows may take it over: two resumes
        can land in either order, and a late one from an older (dead) socket must not win.
        """
        return self._write(
            user_id,
            request_id,
            {
                "connection_id": connection_id,
                "endpoint": endpoint,
                "resume_after": after_seq,
                "connected_at": connected_at,
            },
            add_version=True,
            newer_than=("connected_at", connected_at),
        )
