"""The WebSocket wire protocol: client actions in, typed frames out. The one source of truth.

Server -> client frames are JSON objects ``{type, request_id, seq, ...}``. A request's own frames
are numbered 1, 2, 3, ... without gaps, across worker restarts and resumes; acknowledgements of
the action handler (accepted, resumed, refusals) carry ``seq`` 0; frames that belong to no request
(pong) carry ``request_id: null``. Every request ends with exactly one terminal frame (see
``is_terminal``). ``frontend/src/protocol.gen.ts`` is generated from this module
(``scripts/gen_protocol_ts.py``; CI fails when it is stale).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)

from calledit.clarification import MAX_ANSWER_CHARS, MAX_QUESTIONS, MAX_ROUNDS, Question, QuestionId
from calledit.errors import BadInput, ErrorCode
from calledit.prediction import Prediction
from calledit.usage import Usage
from calledit.validation import MAX_PROMPT_CHARS, MAX_SEQ, check_timezone
from calledit.verdict import Verdict
from calledit.verifiability import Verifiability

# Client request ids: uuid4 from the browser, but any short opaque token is accepted.
REQUEST_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
RequestId = Annotated[str, StringConstraints(pattern=REQUEST_ID_PATTERN)]
ACK_SEQ = 0  # acknowledgements and refusals from the action handler, outside the job's numbering

# ---------------------------------------------------------------- client -> server


class _Action(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class MakeCall(_Action):
    """Start analysing a prediction."""

    action: Literal["makecall"]
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    timezone: str = "UTC"
    request_id: RequestId
    clarify: bool = Field(default=True, description="false: never ask questions, assume and say so")

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            return check_timezone(value)
        except BadInput as exc:  # pydantic only wraps ValueError into a ValidationError
            raise ValueError(exc.message) from None


class Cancel(_Action):
    """Stop a running job of the caller's."""

    action: Literal["cancel"]
    request_id: RequestId


class Resume(_Action):
    """Re-attach to a job from a new connection; frames after ``after_seq`` are replayed."""

    action: Literal["resume"]
    request_id: RequestId
    after_seq: int = Field(default=0, ge=0, le=MAX_SEQ)


class Ping(_Action):
    """Keep-alive under API Gateway's 10-minute idle timeout."""

    action: Literal["ping"]


class Verify(_Action):
    """Verify one of the caller's saved predictions now, streaming the agent's work."""

    action: Literal["verify"]
    request_id: RequestId
    prediction_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f-]{36}$")]


class Clarify(_Action):
    """Answer the questions of a call that waits for input (``answers``), or ``skip`` them."""

    action: Literal["clarify"]
    request_id: RequestId
    answers: dict[QuestionId, Annotated[str, StringConstraints(max_length=MAX_ANSWER_CHARS)]] = Field(
        default_factory=dict, max_length=MAX_QUESTIONS
    )
    skip: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> Clarify:
        self.answers = {k: v for k, v in self.answers.items() if v}
        if self.skip == bool(self.answers):
            raise ValueError("send either answers (at least one, non-empty) or skip: true")
        return self


ClientMessage = MakeCall | Cancel | Resume | Ping | Verify | Clarify
CLIENT_ACTION: TypeAdapter[ClientMessage] = TypeAdapter(
    Annotated[ClientMessage, Field(discriminator="action")]
)
KNOWN_ACTIONS = ("makecall", "clarify", "verify", "cancel", "resume", "ping")

# ---------------------------------------------------------------- server -> client

StatusName = Literal["accepted", "running", "restarted", "cancelled", "resumed", "pong"]
ToolPhase = Literal["start", "end"]
ToolStatus = Literal["running", "success", "error"]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatusEvent(_Event):
    """Progress of the job (a line the UI shows while the model works)."""

    type: Literal["status"] = "status"
    status: StatusName
    message: str


class TextEvent(_Event):
    """A chunk of the model's explanatory text."""

    type: Literal["text"] = "text"
    content: str


class ToolEvent(_Event):
    """A tool call starting or ending; ``label`` is a human phrase like "Checking current time"."""

    type: Literal["tool"] = "tool"
    name: str
    tool_use_id: str
    phase: ToolPhase
    status: ToolStatus
    input: dict[str, Any] = Field(default_factory=dict)
    label: str = ""
    result: str | None = None


class CompleteEvent(_Event):
    """The final structured prediction; ``content`` is its JSON string for clients that JSON.parse it."""

    type: Literal["complete"] = "complete"
    content: str
    prediction: Prediction
    model: str
    usage: Usage = Field(default_factory=Usage)
    verifiability: Verifiability | None = Field(default=None, description="How checkable the call is")


class ClarifyEvent(_Event):
    """The analysis asks before assuming: the call waits for ``clarify`` (answers or skip)."""

    type: Literal["clarify"] = "clarify"
    round: int = Field(ge=1, le=MAX_ROUNDS)
    questions: list[Question] = Field(min_length=1, max_length=MAX_QUESTIONS)
    timeout_s: int = Field(description="Seconds until the call goes on with stated assumptions")


class VerdictEvent(_Event):
    """The verifier's answer about a saved prediction: the terminal frame of a ``verify`` request.

    ``applied``: the verdict resolved the call by itself (auto-resolve policy); otherwise it is
    proposed and waits for the user's confirm or override."""

    type: Literal["verdict"] = "verdict"
    prediction_id: str
    verdict: Verdict
    applied: bool = False


class NotificationEvent(_Event):
    """Something the user should know that belongs to no request (``request_id`` null, ``seq`` 0)."""

    type: Literal["notification"] = "notification"
    kind: Literal["verdict_ready", "due"]
    prediction_id: str
    title: str


class ErrorEvent(_Event):
    """A failure the client can show; never carries a stack trace."""

    type: Literal["error"] = "error"
    code: ErrorCode
    message: str
    retry_after: int | None = Field(default=None, description="Seconds to wait before trying again")


Event = (
    StatusEvent
    | TextEvent
    | ToolEvent
    | CompleteEvent
    | ClarifyEvent
    | VerdictEvent
    | NotificationEvent
    | ErrorEvent
)
EVENT_TYPES: tuple[type[_Event], ...] = (
    StatusEvent,
    TextEvent,
    ToolEvent,
    CompleteEvent,
    ClarifyEvent,
    VerdictEvent,
    NotificationEvent,
    ErrorEvent,
)

# Terminal frames, defined once: a request ends with exactly one of these.
TERMINAL_TYPES = frozenset({"complete", "verdict", "error"})
TERMINAL_STATUSES = frozenset({"cancelled"})


def is_terminal(frame_body: dict[str, Any] | Event) -> bool:
    """Whether this frame (or event) ends its request."""
    body = frame_body.model_dump() if isinstance(frame_body, BaseModel) else frame_body
    kind = body.get("type")
    return kind in TERMINAL_TYPES or (kind == "status" and body.get("status") in TERMINAL_STATUSES)


def frame(event: Event, request_id: str | None, seq: int) -> dict[str, Any]:
    """The wire frame for an event: its fields plus ``request_id`` and ``seq``."""
    body = event.model_dump(mode="json")
    body["request_id"] = request_id
    body["seq"] = seq
    return body


def encode(frame_body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as posted to the connection."""
    return json.dumps(frame_body, ensure_ascii=False, separators=(",", ":")).encode()
