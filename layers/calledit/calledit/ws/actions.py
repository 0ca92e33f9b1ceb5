"""WebSocket routes: $connect/$disconnect bookkeeping and the makecall / cancel / resume / ping actions.

Every problem with a client's message is answered with an ``error`` frame (stable code, plain
words) on the same connection; the route itself always returns 200 so API Gateway keeps the
connection open. Frames sent from here carry ``seq`` 0: they are acknowledgements outside the
job's own numbered stream, which the worker starts at 1.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from calledit.errors import ErrorCode
from calledit.protocol import (
    CLIENT_ACTION,
    KNOWN_ACTIONS,
    Cancel,
    ErrorEvent,
    Event,
    MakeCall,
    Ping,
    Resume,
    StatusEvent,
    encode,
    frame,
)
from calledit.settings import get_settings
from calledit.validation import MAX_FRAME_BYTES
from calledit.ws.jobs import ACTIVE, TERMINAL, Job, JobExists, JobStore
from calledit.ws.transport import ConnectionGone, ManagementApiTransport, Transport, TransportError

logger = logging.getLogger(__name__)

MAX_ACTIVE_JOBS_PER_USER = 3
OK: dict[str, Any] = {"statusCode": 200}
ACK_SEQ = 0


@dataclass(frozen=True)
class Caller:
    """The verified user and the connection a message came from."""

    user_id: str
    connection_id: str
    endpoint: str

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Caller:
        ctx = event.get("requestContext") or {}
        authorizer = ctx.get("authorizer") or {}
        user_id = str(authorizer.get("sub") or authorizer.get("principalId") or "")
        endpoint = get_settings().management_endpoint or f"https://{ctx.get('domainName')}/{ctx.get('stage')}"
        return cls(user_id=user_id, connection_id=str(ctx.get("connectionId", "")), endpoint=endpoint)


class _Rejected(Exception):
    """A message we refuse, with what to tell the client."""

    def __init__(self, code: ErrorCode, message: str, request_id: str = "") -> None:
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
    ) -> None:
        self.jobs = jobs or JobStore()
        self.invoker = invoker
        self.transport_factory = transport_factory

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
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
        logger.info("action %s", parsed.action, extra={"request_id": getattr(parsed, "request_id", "")})
        if isinstance(parsed, MakeCall):
            self._makecall(parsed, caller)
        elif isinstance(parsed, Cancel):
            self._cancel(parsed, caller)
        elif isinstance(parsed, Resume):
            self._resume(parsed, caller)
        elif isinstance(parsed, Ping):
            self._reply(caller, "", StatusEvent(status="pong", message="pong"))
        return OK

    # ------------------------------------------------------------------ parsing

    def _parse(self, event: dict[str, Any]) -> MakeCall | Cancel | Resume | Ping:
        """The validated action; raises ``_Rejected`` with a code and plain words otherwise."""
        body = event.get("body")
        if event.get("isBase64Encoded"):
            raise _Rejected(ErrorCode.BAD_REQUEST, "Binary messages are not supported; send JSON text.")
        if not isinstance(body, str) or not body.strip():
            raise _Rejected(ErrorCode.BAD_REQUEST, "Empty message; send a JSON object with an action.")
        if len(body.encode()) > MAX_FRAME_BYTES:
            raise _Rejected(ErrorCode.TOO_LARGE, "Message too large (limit 32 KB).")
        try:
            data = json.loads(body)
        except ValueError:
            raise _Rejected(ErrorCode.BAD_REQUEST, "The message is not valid JSON.") from None
        if not isinstance(data, dict):
            raise _Rejected(ErrorCode.BAD_REQUEST, "The message must be a JSON object.")
        raw_id = data.get("request_id")
        request_id = raw_id if isinstance(raw_id, str) and len(raw_id) <= 64 else ""
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

    # ------------------------------------------------------------------ actions

    def _makecall(self, call: MakeCall, caller: Caller) -> None:
        if self.jobs.count_active(caller.user_id) >= MAX_ACTIVE_JOBS_PER_USER:
            self._fail(
                caller,
                call.request_id,
                ErrorCode.RATE_LIMITED,
                f"You already have {MAX_ACTIVE_JOBS_PER_USER} calls running; wait for one to finish.",
            )
            return
        try:
            self.jobs.create(
                caller.user_id,
                call.request_id,
                connection_id=caller.connection_id,
                endpoint=caller.endpoint,
                prompt=call.prompt,
                timezone=call.timezone,
            )
        except JobExists:
            # A retried makecall (e.g. after a reconnect) behaves like resume from the start.
            self._resume(Resume(action="resume", request_id=call.request_id, after_seq=0), caller)
            return
        try:
            self.invoker({"user_id": caller.user_id, "request_id": call.request_id})
        except Exception:
            logger.exception("could not start the stream worker")
            self.jobs.finish(caller.user_id, call.request_id, "failed", last_seq=0, final_frame=None)
            self._fail(
                caller, call.request_id, ErrorCode.INTERNAL, "Could not start the analysis; try again."
            )
            return
        self._reply(caller, call.request_id, StatusEvent(status="accepted", message="Your call is queued."))

    def _cancel(self, cancel: Cancel, caller: Caller) -> None:
        job = self.jobs.get(caller.user_id, cancel.request_id)
        if job is None:
            self._fail(caller, cancel.request_id, ErrorCode.NOT_FOUND, "No such call to cancel.")
        elif job.status in ACTIVE:
            self.jobs.request_cancel(caller.user_id, cancel.request_id)
            self._reply(caller, cancel.request_id, StatusEvent(status="accepted", message="Cancelling…"))
        else:
            self._replay_final(caller, job)

    def _resume(self, resume: Resume, caller: Caller) -> None:
        job = self.jobs.get(caller.user_id, resume.request_id)
        if job is None:
            self._fail(caller, resume.request_id, ErrorCode.NOT_FOUND, "No such call to resume.")
            return
        if job.status in TERMINAL:
            self._replay_final(caller, job)
            return
        if job.status == "abandoned":
            if self.jobs.requeue(caller.user_id, resume.request_id, caller.connection_id):
                self.invoker({"user_id": caller.user_id, "request_id": resume.request_id})
                self._reply(
                    caller,
                    resume.request_id,
                    StatusEvent(status="resumed", message="The analysis was interrupted; restarting it."),
                )
            return
        self.jobs.attach(caller.user_id, resume.request_id, caller.connection_id, resume.after_seq)
        self._reply(
            caller, resume.request_id, StatusEvent(status="resumed", message="Re-attached to your call.")
        )
        latest = self.jobs.get(caller.user_id, resume.request_id)
        if latest is not None and latest.status in TERMINAL:  # finished while we were attaching
            self._replay_final(caller, latest)

    def _replay_final(self, caller: Caller, job: Job) -> None:
        if job.final_frame:
            self._post(caller, job.final_frame)
        else:
            self._reply(
                caller,
                job.request_id,
                StatusEvent(
                    status="failed" if job.status == "failed" else "cancelled",
                    message=f"The call {job.status}.",
                ),
            )

    # ------------------------------------------------------------------ replies

    def _fail(self, caller: Caller, request_id: str, code: ErrorCode, message: str) -> None:
        self._reply(caller, request_id, ErrorEvent(code=code, message=message))

    def _reply(self, caller: Caller, request_id: str, event: Event) -> None:
        self._post(caller, frame(event, request_id, ACK_SEQ))

    def _post(self, caller: Caller, body: dict[str, Any]) -> None:
        try:
            self.transport_factory(caller.endpoint, caller.connection_id).post(encode(body))
        except (ConnectionGone, TransportError) as exc:
            logger.info("could not reply: %s", type(exc).__name__)


def _describe(exc: ValidationError) -> tuple[ErrorCode, str]:
    """The first validation problem in plain words, with too_large for an over-long prompt."""
    err = exc.errors()[0]
    field = str(err["loc"][-1]) if err["loc"] else "message"
    if err["type"] == "missing":
        return ErrorCode.BAD_REQUEST, f"Missing field {field!r}."
    if field == "prompt" and err["type"] == "string_too_long":
        return ErrorCode.TOO_LARGE, "The prediction is too long (limit 2,000 characters)."
    if field == "prompt" and err["type"] == "string_too_short":
        return ErrorCode.BAD_REQUEST, "The prediction is empty: type what you expect to happen."
    if field == "request_id":
        return ErrorCode.BAD_REQUEST, "request_id must be 1-64 letters, digits, '-', '_', '.' or ':'."
    message = str(err["msg"]).removeprefix("Value error, ")
    return ErrorCode.BAD_REQUEST, f"Invalid {field}: {message}"
