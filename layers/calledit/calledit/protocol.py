"""The WebSocket wire protocol: client actions in, typed events out.

Server -> client frames are JSON objects ``{type, request_id, seq, ...}``; ``seq`` increases
by one per frame of a request, so clients can detect gaps and drop duplicates after a resume.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, field_validator

from calledit.errors import BadInput, ErrorCode
from calledit.validation import MAX_PROMPT_CHARS, check_timezone

# Client request ids: uuid4 from the browser, but any short opaque token is accepted.
RequestId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]

# ---------------------------------------------------------------- client -> server


class _Action(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class MakeCall(_Action):
    """Start analysing a prediction."""

    action: Literal["makecall"]
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    timezone: str = "UTC"
    request_id: RequestId

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
    after_seq: int = Field(default=0, ge=0)


class Ping(_Action):
    """Keep-alive under API Gateway's 10-minute idle timeout."""

    action: Literal["ping"]


ClientAction = Annotated[MakeCall | Cancel | Resume | Ping, Field(discriminator="action")]
CLIENT_ACTION: TypeAdapter[MakeCall | Cancel | Resume | Ping] = TypeAdapter(ClientAction)
KNOWN_ACTIONS = ("makecall", "cancel", "resume", "ping")

# ---------------------------------------------------------------- server -> client

StatusName = Literal["accepted", "running", "cancelled", "completed", "failed", "resumed", "pong"]
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
    prediction: dict[str, Any]
    model: str


class ErrorEvent(_Event):
    """A failure the client can show; never carries a stack trace."""

    type: Literal["error"] = "error"
    code: ErrorCode
    message: str


Event = StatusEvent | TextEvent | ToolEvent | CompleteEvent | ErrorEvent
TERMINAL_TYPES = frozenset({"complete", "error"})


def frame(event: Event, request_id: str, seq: int) -> dict[str, Any]:
    """The wire frame for an event: its fields plus ``request_id`` and ``seq``."""
    body = event.model_dump(mode="json")
    body["request_id"] = request_id
    body["seq"] = seq
    return body


def encode(frame_body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as posted to the connection."""
    return json.dumps(frame_body, ensure_ascii=False, separators=(",", ":")).encode()
