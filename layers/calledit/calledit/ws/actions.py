"""WebSocket message routes: makecall / clarify / verify / cancel / resume / ping (``$default`` for
anything else).

Every problem with a client's message is answered with an ``error`` frame (stable code, plain
words) on the same connection; the route itself always returns 200 so API Gateway keeps the
connection open. Frames sent from here directly carry ``seq`` 0 (acknowledgements outside the job's
numbering); frames replayed from a job's log keep their own ``seq``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from pydantic import ValidationError

from calledit.errors import ErrorCode, describe_validation, is_too_large
from calledit.lifecycle import ACTIVE, MAX_ACTIVE_PER_USER, MAX_RESTARTS, TERMINAL, JobStatus, is_stale
from calledit.prediction import PredictionStatus
from calledit.protocol import (
    ACK_SEQ,
    CLIENT_ACTION,
    KNOWN_ACTIONS,
    Cancel,
    Clarify,
    ClientMessage,
    ErrorEvent,
    Event,
    MakeCall,
    Ping,
    Resume,
    StatusEvent,
    Verify,
    encode,
    frame,
    is_terminal,
)
from calledit.settings import get_settings
from calledit.storage.jobs import Job, JobExists, JobStore
from calledit.storage.predictions import PredictionStore
from calledit.validation import MAX_FRAME_BYTES
from calledit.ws.events import MessageEvent
from calledit.ws.transport import ConnectionGone, ManagementApiTransport, Transport, TransportError

logger = logging.getLogger(__name__)

OK: dict[str, Any] = {"statusCode": 200}
RETRY_AFTER_S = 15


@dataclass(frozen=True)
class Caller:
    """The verified user and the connection a message came from."""

    user_id: str
    connection_id: str
    endpoint: str
    connected_at: int = 0  # epoch ms when the connection opened: the newer connection wins a resume

    @classmethod
    def from_event(cls, event: MessageEvent) -> Caller:
        ctx = event.request_context
        endpoint = get_settings().management_endpoint or f"https://{ctx.domain_name}/{ctx.stage}"
        return cls(
            user_id=ctx.authorizer.user_id,
            connection_id=ctx.connection_id,
            endpoint=endpoint,
            connected_at=int(ctx.connected_at.timestamp() * 1000),
        )


class _Rejected(Exception):
    """A message we refuse, with what to tell the client."""

    def __init__(self, code: ErrorCode, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.request_id = code, message, request_id


Invoker = Callable[[dict[str, Any]], None]
TransportFactory = Callable[[str, str], Transport]


def invoke_worker(payload: dict[str, Any]) -> None:
    """Hand the job to the stream worker (async Lambda invoke: returns as soon as it is queued)."""
    from calledit.aws import lambda_client

    lambda_client().invoke(
        FunctionName=get_settings().stream_worker_function,
        InvocationType="Event",
        Payload=json.dumps(payload).encode(),
    )


class ActionHandler:
    """Dispatches one message event; dependencies are injectable for tests."""

    def __init__(
        self,
        jobs: JobStore | None = None,
        invoker: Invoker = invoke_worker,
        transport_factory: TransportFactory = ManagementApiTransport,
        predictions: PredictionStore | None = None,
    ) -> None:
        self.jobs = jobs or JobStore()
        self._predictions = predictions
        self.invoker = invoker
        self.transport_factory = transport_factory

    def __call__(self, raw: dict[str, Any] | MessageEvent) -> dict[str, Any]:
        try:
            event = raw if isinstance(raw, MessageEvent) else parse(event=raw, model=MessageEvent)
        except ValidationError:
            logger.exception("not an API Gateway WebSocket message event")
            return {"statusCode": 400}
        caller = Caller.from_event(event)
        if not caller.user_id:  # defence in depth: $connect never lets an anonymous client in
            logger.error("message without authorizer context")
            return {"statusCode": 403}
        try:
            parsed = self._parse(event)
        except _Rejected as exc:
            logger.info("message rejected", extra={"code": exc.code.value, "request_id": exc.request_id})
            self._fail(caller, exc.request_id, exc.code, exc.message)
            return OK
        logger.info("action %s", parsed.action, extra={"request_id": getattr(parsed, "request_id", None)})
        if isinstance(parsed, MakeCall):
            self._makecall(parsed, caller)
        elif isinstance(parsed, Verify):
            self._verify(parsed, caller)
        elif isinstance(parsed, Clarify):
            self._clarify(parsed, caller)
        elif isinstance(parsed, Cancel):
            self._cancel(parsed, caller)
        elif isinstance(parsed, Resume):
            self._resume(parsed, caller)
        elif isinstance(parsed, Ping):
            self._reply(caller, None, StatusEvent(status="pong", message="pong"))
        return OK

    @property
    def predictions(self) -> PredictionStore:
        if self._predictions is None:  # created on first use: most actions never need it
            self._predictions = PredictionStore()
        return self._predictions

    # ------------------------------------------------------------------ parsing

    def _parse(self, event: MessageEvent) -> ClientMessage:
        """The validated action; raises ``_Rejected`` with a code and plain words otherwise."""
        body = event.body
        if event.is_base64_encoded:
            raise _Rejected(ErrorCode.BAD_REQUEST, "Binary messages are not supported; send JSON text.")
        if not isinstance(body, str) or not body.strip():
            raise _Rejected(ErrorCode.BAD_REQUEST, "Empty message; send a JSON object with an action.")
        if len(body.encode()) > MAX_FRAME_BYTES:
            raise _Rejected(ErrorCode.TOO_LARGE, f"Message too large (limit {MAX_FRAME_BYTES // 1024} KB).")
        try:
            data = json.loads(body)
        except RecursionError:  # e.g. thousands of nested brackets
            raise _Rejected(ErrorCode.BAD_REQUEST, "The message is nested too deeply.") from None
        except ValueError:
            raise _Rejected(ErrorCode.BAD_REQUEST, "The message is not valid JSON.") from None
        if not isinstance(data, dict):
            raise _Rejected(ErrorCode.BAD_REQUEST, "The message must be a JSON object.")
        raw_id = data.get("request_id")
        request_id = raw_id if isinstance(raw_id, str) and len(raw_id) <= 64 else None
        action = data.get("action")
        if action not in KNOWN_ACTIONS:
            raise _Rejected(
                ErrorCode.UNKNOWN_ACTION,
                f"Unknown action {str(action)[:40]!r}; use one of: {', '.join(KNOWN_ACTIONS)}.",
                request_id,
            )
        try:
            return CLIENT_ACTION.validate_python(data)
        except ValidationError as exc:
            raise _Rejected(*_describe(exc), request_id) from None

    # ------------------------------------------------------------------ makecall

    def _makecall(self, call: MakeCall, caller: Caller) -> None:
        self._queue(
            caller,
            call.request_id,
            "Your call is queued.",
            prompt=call.prompt,
            timezone=call.timezone,
            clarify=call.clarify,
        )

    def _verify(self, verify: Verify, caller: Caller) -> None:
        """Start a live verification of one of the caller's saved predictions."""
        rid = verify.request_id
        saved = self.predictions.get(caller.user_id, verify.prediction_id)
        if saved is None:  # missing or another user's: the same answer
            self._fail(caller, rid, ErrorCode.NOT_FOUND, "No such prediction.")
            return
        if saved.status is PredictionStatus.RESOLVED:
            self._fail(caller, rid, ErrorCode.CONFLICT, "This call is already resolved.")
            return
        self._queue(
            caller,
            rid,
            "Your verification is queued.",
            prompt=saved.prediction_statement,
            timezone=saved.timezone,
            kind="verification",
            prediction_id=saved.prediction_id,
        )

    def _queue(self, caller: Caller, rid: str, accepted: str, **job: Any) -> None:
        """Create the job, take an admission slot for it and start its worker; a repeated request id
        resumes the job from the start, and no free slot ends it with ``rate_limited``."""
        user = caller.user_id
        try:
            self.jobs.create(
                user,
                rid,
                connection_id=caller.connection_id,
                endpoint=caller.endpoint,
                connected_at=caller.connected_at,
                **job,
            )
        except JobExists:
            # A retried request (e.g. after a reconnect) behaves like resume from the start.
            self._resume(Resume(action="resume", request_id=rid, after_seq=0), caller)
            return
        if not self._admit(user, rid):
            self.jobs.delete(user, rid)
            self._fail(
                caller,
                rid,
                ErrorCode.RATE_LIMITED,
                f"You already have {MAX_ACTIVE_PER_USER} calls running; wait for one to finish "
                f"(try again in about {RETRY_AFTER_S} s).",
                retry_after=RETRY_AFTER_S,
            )
            return
        self._reply(caller, rid, StatusEvent(status="accepted", message=accepted))
        self._start(user, rid, caller)

    def _admit(self, user: str, rid: str) -> bool:
        """Take a slot; when all are taken, free those of finished or dead jobs and try once more."""
        if self.jobs.admit(user, rid, MAX_ACTIVE_PER_USER):
            return True
        now = self.jobs.now()
        for holder in self.jobs.slot_holders(user) - {rid}:
            job = self.jobs.get(user, holder)
            if job is None or job.status in TERMINAL:
                self.jobs.release(user, holder)
            elif is_stale(job.status, job.heartbeat_at, now):
                self._expire(job, renumber=True)
        return self.jobs.admit(user, rid, MAX_ACTIVE_PER_USER)

    def _start(self, user: str, rid: str, caller: Caller) -> None:
        try:
            self.invoker({"user_id": user, "request_id": rid})
        except Exception:
            logger.exception("could not start the stream worker")
            job = self.jobs.get(user, rid)
            if job is not None:
                terminal = frame(
                    ErrorEvent(code=ErrorCode.INTERNAL, message="Could not start the analysis; try again."),
                    rid,
                    job.last_seq + 1,
                )
                if self.jobs.finish(
                    job, JobStatus.FAILED, [*job.frames, terminal], expect={"status": job.status.value}
                ):
                    self._post(caller, terminal)

    # ------------------------------------------------------------------ clarify

    def _clarify(self, reply: Clarify, caller: Caller) -> None:
        """The user's answers (or skip) to the questions a call waits on: queue it to go on."""
        from calledit.clarification import answers_response, skip_response

        user, rid = caller.user_id, reply.request_id
        job = self.jobs.get(user, rid)
        if job is None:  # missing or another user's: the same answer
            self._fail(caller, rid, ErrorCode.NOT_FOUND, "No such call.")
            return
        if job.status is not JobStatus.AWAITING_INPUT:
            self._fail(caller, rid, ErrorCode.CONFLICT, "This call is not waiting for an answer.")
            return
        known = {str(q.get("id")) for q in job.questions}
        if unknown := sorted(set(reply.answers) - known):
            self._fail(
                caller,
                rid,
                ErrorCode.BAD_REQUEST,
                f"Unknown question id(s) {', '.join(unknown)}; this call asked: {', '.join(sorted(known))}.",
            )
            return
        response = skip_response() if reply.skip else answers_response(reply.answers)
        queued = self.jobs.answer(
            user,
            rid,
            job.clarify_round,
            response,
            connection=(caller.connection_id, caller.endpoint, caller.connected_at),
        )
        if queued is None:  # the timeout (or another tab) answered first
            self._fail(caller, rid, ErrorCode.CONFLICT, "This call is not waiting for an answer.")
            return
        message = "Going on with stated assumptions." if reply.skip else "Thanks: going on with your answer."
        self._reply(caller, rid, StatusEvent(status="accepted", message=message))
        self._start(user, rid, caller)

    # ------------------------------------------------------------------ cancel

    def _cancel(self, cancel: Cancel, caller: Caller) -> None:
        user, rid = caller.user_id, cancel.request_id
        job = self.jobs.get(user, rid)
        if job is None:
            self._fail(caller, rid, ErrorCode.NOT_FOUND, "No such call to cancel.")
            return
        if job.status in (JobStatus.QUEUED, JobStatus.AWAITING_INPUT):
            # No worker is running it: end it here, with its one terminal frame.
            terminal = frame(
                StatusEvent(status="cancelled", message="The call was cancelled."), rid, job.last_seq + 1
            )
            done = self.jobs.finish(
                job, JobStatus.CANCELLED, [*job.frames, terminal], expect={"status": job.status.value}
            )
            if done is not None:
                self._post(caller, terminal)
                return
            job = self.jobs.get(user, rid) or job  # a worker claimed it meanwhile
        if job.status is JobStatus.RUNNING:
            self.jobs.request_cancel(user, rid)
            self._reply(caller, rid, StatusEvent(status="accepted", message="Cancelling…"))
            return
        # Already over: its terminal frame was (or will be, by resume) delivered once; never twice.
        self._reply(
            caller, rid, StatusEvent(status="accepted", message=f"This call already ended ({job.status}).")
        )

    # ------------------------------------------------------------------ resume

    def _resume(self, resume: Resume, caller: Caller) -> None:
        user, rid, after = caller.user_id, resume.request_id, resume.after_seq
        job = self.jobs.get(user, rid)
        if job is None:
            self._fail(caller, rid, ErrorCode.NOT_FOUND, "No such call to resume.")
            return
        if job.status in ACTIVE and is_stale(job.status, job.heartbeat_at, self.jobs.now()):
            self._recover(job, caller, after)
            return
        if job.status in TERMINAL:
            self._reply(caller, rid, StatusEvent(status="resumed", message="Replaying your call."))
            self._replay(caller, job, after)
            return
        attached = self.jobs.attach(
            user, rid, caller.connection_id, caller.endpoint, after, connected_at=caller.connected_at
        )
        if attached is None:  # a newer connection already follows it (resumes can land out of order)
            self._reply(
                caller,
                rid,
                StatusEvent(status="resumed", message="This call is followed on a newer connection."),
            )
            return
        self._reply(caller, rid, StatusEvent(status="resumed", message="Re-attached to your call."))
        # Finished while we were attaching, or held by no worker: the worker won't post to us.
        if attached.status is not JobStatus.RUNNING:
            self._replay(caller, attached, after)

    def _recover(self, job: Job, caller: Caller, after: int) -> None:
        """The job's worker is presumed dead: restart it once (numbering continues), else fail it."""
        self._reply(
            caller, job.request_id, StatusEvent(status="resumed", message="Re-attached to your call.")
        )
        self._replay(caller, job, after)
        next_seq = max(job.last_seq, after) + 1
        if job.restarts < MAX_RESTARTS:
            restarted = self.jobs.restart(
                job,
                connection_id=caller.connection_id,
                endpoint=caller.endpoint,
                next_seq=next_seq,
                connected_at=caller.connected_at,
            )
            if restarted is not None:
                logger.warning("restarting a stale job", extra={"request_id": job.request_id})
                self._start(job.user_id, job.request_id, caller)
                return
        else:
            expired = self._expire(job, seq=next_seq)
            if expired is not None:
                self._post(caller, expired)
                return
        latest = self.jobs.get(job.user_id, job.request_id)  # someone else moved it: show where it is
        if latest is not None and latest.status in TERMINAL:
            self._replay(caller, latest, max(after, job.last_seq))

    def _expire(self, job: Job, *, seq: int | None = None, renumber: bool = False) -> dict[str, Any] | None:
        """Fail a stale job with a terminal frame; the frame, or None if the job moved on meanwhile."""
        if job.status is JobStatus.QUEUED:
            event = ErrorEvent(
                code=ErrorCode.RATE_LIMITED,
                message="The analysis could not start (the service is busy). Try again in a minute.",
                retry_after=60,
            )
        else:
            event = ErrorEvent(
                code=ErrorCode.INTERNAL,
                message="The analysis stopped unexpectedly and could not be finished. Try again.",
            )
        terminal = frame(event, job.request_id, seq or job.last_seq + 1)
        done = self.jobs.finish(
            job,
            JobStatus.FAILED,
            [*job.frames, terminal],
            expect={"heartbeat_at": job.heartbeat_at, "status": job.status.value},
            renumber_terminal=renumber,
        )
        return terminal if done is not None else None

    def _replay(self, caller: Caller, job: Job, after: int) -> None:
        """Post every logged frame after ``after``; a terminal frame the client cannot have seen is
        renumbered after its position when the log could not know it (a dead worker's last frames)."""
        frames = [body for body in job.frames if int(body["seq"]) > after]
        terminal = job.terminal_frame
        if terminal is not None and job.renumber_terminal and not any(is_terminal(f) for f in frames):
            frames.append({**terminal, "seq": after + 1})
        for body in frames:
            if not self._post(caller, body):
                return

    # ------------------------------------------------------------------ replies

    def _fail(
        self,
        caller: Caller,
        request_id: str | None,
        code: ErrorCode,
        message: str,
        retry_after: int | None = None,
    ) -> None:
        self._reply(caller, request_id, ErrorEvent(code=code, message=message, retry_after=retry_after))

    def _reply(self, caller: Caller, request_id: str | None, event: Event) -> None:
        self._post(caller, frame(event, request_id, ACK_SEQ))

    def _post(self, caller: Caller, body: dict[str, Any]) -> bool:
        try:
            self.transport_factory(caller.endpoint, caller.connection_id).post(encode(body))
        except (ConnectionGone, TransportError) as exc:
            logger.info("could not reply: %s", type(exc).__name__)
            return False
        return True


def _describe(exc: ValidationError) -> tuple[ErrorCode, str]:
    """The validation problems in plain words; an over-long prompt is ``too_large``."""
    # The first location is the discriminator (the action's name): not a field the client named.
    errors = [{**err, "loc": err["loc"][1:]} for err in exc.errors()]
    return (ErrorCode.TOO_LARGE if is_too_large(errors) else ErrorCode.BAD_REQUEST), describe_validation(
        errors
    )
