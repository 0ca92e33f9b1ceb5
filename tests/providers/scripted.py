"""Scripted model-provider servers for contract tests.

Local HTTP servers (aiohttp, 127.0.0.1, a free port) that speak three real provider wire protocols, so the
providers' *real* client libraries, used through Strands' real model classes, can be tested without a
network:

* ``openai``: Chat Completions, ``POST /v1/chat/completions``; streaming SSE (``data: {...}`` chunks,
  ``tool_calls`` deltas with ``function.arguments`` split over several chunks, a final usage chunk when
  ``stream_options.include_usage`` is set, ``data: [DONE]``) or a plain JSON completion.
* ``anthropic``: Messages API, ``POST /v1/messages``; streaming SSE (``message_start``,
  ``content_block_start`` text / tool_use, ``content_block_delta`` text_delta / input_json_delta,
  ``content_block_stop``, ``message_delta`` with stop_reason and usage, ``message_stop``) or a JSON message.
* ``bedrock``: Bedrock Runtime, ``POST /model/{modelId}/converse-stream`` answered in the AWS event-stream
  binary framing (``application/vnd.amazon.eventstream``), or ``POST /model/{modelId}/converse`` as JSON.

A neutral script drives all three: a :class:`Script` hands out one :data:`Turn` per incoming HTTP request
(retries included). A turn is a :class:`Response` (text chunks and/or :class:`ToolCall` s whose JSON
arguments are split into ``chunks`` pieces, a stop reason, usage) or a :class:`ProviderError`
(throttle, server, overloaded, auth, unknown_model, context_overflow), rendered in that provider's real
error shape. A script is a fixed list of turns (the last one repeats) or a function
``(request_body, index) -> Turn`` that can read the conversation the client sent (see
:func:`tool_result`, :func:`prediction_request`), which is how the ready-made scripts
(:data:`SCRIPTS`) follow the CalledIt tool loop.

Pointing clients at a server (``server.url`` is ``http://127.0.0.1:PORT``):

* OpenAI: ``OpenAIModel(client_args={"base_url": f"{url}/v1", "api_key": "x"}, model_id="scripted")``
  (or ``OPENAI_BASE_URL``).
* Anthropic: ``AnthropicModel(client_args={"base_url": url, "api_key": "x"}, model_id="scripted",
  max_tokens=1024)`` (or ``ANTHROPIC_BASE_URL``).
* Bedrock: ``BedrockModel(model_id="scripted", region_name="us-east-1", endpoint_url=url)``, or leave
  ``endpoint_url`` out and set ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME=url`` (botocore honours it), with dummy
  credentials in ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``.

:meth:`ScriptedServer.strands_model` builds the right one. By hand::

    python tests/providers/scripted.py openai --port 8000 --script happy
"""

from __future__ import annotations

import argparse
import asyncio
import binascii
import contextlib
import itertools
import json
import logging
import math
import re
import struct
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast, get_args

from aiohttp import web

if TYPE_CHECKING:
    from strands.models import Model

logger = logging.getLogger("scripted")

Provider: TypeAlias = Literal["openai", "anthropic", "bedrock"]
PROVIDERS: tuple[Provider, ...] = get_args(Provider)
StopReason: TypeAlias = Literal["end_turn", "tool_use", "max_tokens"]
ErrorKind: TypeAlias = Literal[
    "throttle", "server", "overloaded", "auth", "unknown_model", "context_overflow"
]
ERROR_KINDS: tuple[ErrorKind, ...] = get_args(ErrorKind)

STRUCTURED_OUTPUT_TOOL = "Prediction"
"""Strands names the structured output tool after the output model (``calledit.prediction.Prediction``)."""
DEFAULT_DATE_TEXT = "by March 2027"
INVALID_VERIFICATION_DATE = "2031-02-30T00:00:00Z"


# --------------------------------------------------------------------------------------------------
# The script model
# --------------------------------------------------------------------------------------------------


def split_evenly(text: str, pieces: int) -> list[str]:
    """``text`` cut into ``pieces`` consecutive, nearly equal, non-empty parts (fewer if it is shorter)."""
    count = max(1, min(pieces, len(text)))
    if not text:
        return [""]
    size, extra = divmod(len(text), count)
    parts: list[str] = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        parts.append(text[start:end])
        start = end
    return parts


@dataclass(frozen=True)
class ToolCall:
    """A tool call the scripted model makes; its JSON argument string is streamed in ``chunks`` pieces."""

    name: str
    arguments: Mapping[str, Any]
    chunks: int = 3

    @property
    def arguments_json(self) -> str:
        return json.dumps(self.arguments, ensure_ascii=False)

    def argument_chunks(self) -> list[str]:
        return split_evenly(self.arguments_json, self.chunks)


@dataclass(frozen=True)
class Usage:
    """Token counts reported for a response."""

    input_tokens: int
    output_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class Response:
    """A successful model response: one text block (streamed as ``text`` chunks), then the tool calls.

    ``stop_reason`` defaults to ``tool_use`` when there are tool calls, else ``end_turn``; ``usage``
    defaults to a deterministic estimate from the request and response sizes.
    """

    text: Sequence[str] = ()
    tool_calls: Sequence[ToolCall] = ()
    stop_reason: StopReason | None = None
    usage: Usage | None = None

    @property
    def effective_stop_reason(self) -> StopReason:
        if self.stop_reason is not None:
            return self.stop_reason
        return "tool_use" if self.tool_calls else "end_turn"

    @property
    def full_text(self) -> str:
        return "".join(self.text)

    def usage_for(self, body: Mapping[str, Any]) -> Usage:
        if self.usage is not None:
            return self.usage
        produced = len(self.full_text) + sum(len(call.arguments_json) for call in self.tool_calls)
        return Usage(max(1, len(json.dumps(body)) // 4), max(1, produced // 4))


@dataclass(frozen=True)
class ProviderError:
    """An error response in the provider's real shape.

    ``retry_after`` (seconds) adds a ``Retry-After`` header (whole seconds, rounded up) and, when it is not
    a whole number, also the non-standard ``retry-after-ms`` header that the openai and anthropic SDKs
    read first: tests use ``retry_after=0.01`` to keep SDK retries fast. botocore ignores both.
    ``status`` and ``message`` override the defaults (e.g. Bedrock ``throttle`` with ``status=400``, or
    ``unknown_model`` with ``status=404`` for ``ResourceNotFoundException``).
    """

    kind: ErrorKind
    retry_after: float | None = None
    status: int | None = None
    message: str | None = None


Turn: TypeAlias = Response | ProviderError
TurnFunction: TypeAlias = Callable[[dict[str, Any], int], Turn]


class ScriptError(RuntimeError):
    """A script could not answer a request (the server answers HTTP 501 and records it in ``errors``)."""


class Script:
    """Hands out one turn per incoming request: from a fixed list (the last turn repeats), or from a
    function of the request body (parsed JSON) and the 0-based request index."""

    def __init__(self, turns: Sequence[Turn] | TurnFunction, name: str = "custom") -> None:
        if not callable(turns):
            if not turns:
                raise ValueError("a script needs at least one turn")
            turns = tuple(turns)
        self._turns: Sequence[Turn] | TurnFunction = turns
        self.name = name

    @classmethod
    def of(cls, *turns: Turn, name: str = "custom") -> Script:
        return cls(turns, name=name)

    def turn_for(self, body: dict[str, Any], index: int) -> Turn:
        if callable(self._turns):
            return self._turns(body, index)
        return self._turns[min(index, len(self._turns) - 1)]

    def __repr__(self) -> str:
        return f"Script({self.name!r})"


ScriptLike: TypeAlias = Script | Sequence[Turn] | TurnFunction | Turn
"""Anything :class:`ScriptedServer` accepts as a script: a Script, a list of turns, a function, one turn."""


def as_script(script: ScriptLike) -> Script:
    if isinstance(script, Script):
        return script
    if isinstance(script, Response | ProviderError):
        return Script.of(script)
    return Script(script)


# --------------------------------------------------------------------------------------------------
# Reading the conversation a client sent (works on all three request formats)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolUseView:
    """A tool call the assistant made earlier in the conversation."""

    tool_use_id: str
    name: str
    input: Any


@dataclass(frozen=True)
class ToolResultView:
    """A tool result the client sent back; ``value`` is the decoded JSON when the content is JSON."""

    tool_use_id: str
    name: str | None
    value: Any
    is_error: bool


@dataclass
class Conversation:
    """A provider-neutral view of a request's messages."""

    user_texts: list[str] = field(default_factory=list)
    assistant_texts: list[str] = field(default_factory=list)
    tool_uses: list[ToolUseView] = field(default_factory=list)
    tool_results: list[ToolResultView] = field(default_factory=list)
    tool_names: list[str] = field(default_factory=list)


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _result_value(content: Any) -> Any:
    """Decode tool-result content: a string (OpenAI), text blocks (Anthropic), text/json blocks (Bedrock)."""
    if isinstance(content, str):
        return _decode(content)
    values: list[Any] = []
    for block in content if isinstance(content, list) else [content]:
        if isinstance(block, dict) and "json" in block:
            values.append(block["json"])
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            values.append(_decode(block["text"]))
    if len(values) == 1:
        return values[0]
    return values


def conversation(body: Mapping[str, Any]) -> Conversation:
    """Parse the messages of an OpenAI, Anthropic or Bedrock Converse request body."""
    view = Conversation()
    raw_results: list[tuple[str, Any, bool]] = []
    for message in body.get("messages") or []:
        role = message.get("role")
        content = message.get("content")
        blocks: list[Any] = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        if role == "tool":  # OpenAI tool message
            raw_results.append((str(message.get("tool_call_id")), content, False))
            continue
        for call in message.get("tool_calls") or []:  # OpenAI assistant tool calls
            function = call.get("function", {})
            view.tool_uses.append(
                ToolUseView(
                    call.get("id", ""), function.get("name", ""), _decode(function.get("arguments", ""))
                )
            )
        for block in blocks:
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if "toolUse" in block:  # Bedrock
                use = block["toolUse"]
                view.tool_uses.append(
                    ToolUseView(use.get("toolUseId", ""), use.get("name", ""), use.get("input"))
                )
            elif kind == "tool_use":  # Anthropic
                view.tool_uses.append(
                    ToolUseView(block.get("id", ""), block.get("name", ""), block.get("input"))
                )
            elif "toolResult" in block:  # Bedrock
                result = block["toolResult"]
                raw_results.append(
                    (result.get("toolUseId", ""), result.get("content"), result.get("status") == "error")
                )
            elif kind == "tool_result":  # Anthropic
                raw_results.append(
                    (block.get("tool_use_id", ""), block.get("content"), bool(block.get("is_error")))
                )
            elif isinstance(block.get("text"), str) and kind in (None, "text"):
                (view.user_texts if role == "user" else view.assistant_texts).append(block["text"])
    names = {use.tool_use_id: use.name for use in view.tool_uses}
    view.tool_results = [
        ToolResultView(tool_use_id, names.get(tool_use_id), _result_value(content), is_error)
        for tool_use_id, content, is_error in raw_results
    ]
    tools = body.get("tools") or (body.get("toolConfig") or {}).get("tools") or []
    for tool in tools:
        name = (tool.get("function") or tool.get("toolSpec") or tool).get("name")
        if isinstance(name, str):
            view.tool_names.append(name)
    return view


def message_count(body: Mapping[str, Any]) -> int:
    """Conversation messages in a request, not counting OpenAI's ``system``/``developer`` messages (Anthropic
    and Bedrock carry the system prompt outside ``messages``)."""
    return sum(
        1 for message in body.get("messages") or [] if message.get("role") not in ("system", "developer")
    )


def tool_result(body: Mapping[str, Any], name: str) -> ToolResultView | None:
    """The last result of tool ``name`` in the request, if any."""
    matches = [result for result in conversation(body).tool_results if result.name == name]
    return matches[-1] if matches else None


def find_value(value: Any, key: str) -> Any:
    """The first value stored under ``key`` anywhere in nested dicts/lists (depth first), else None."""
    if isinstance(value, dict):
        if key in value:
            return value[key]
        children: Any = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        found = find_value(child, key)
        if found is not None:
            return found
    return None


_PREDICTION = re.compile(r"<prediction>\n?(?P<statement>.*?)\n?</prediction>", re.S)
_TIMEZONE = re.compile(r"<user_timezone>(?P<tz>[^<]*)</user_timezone>")


def prediction_request(body: Mapping[str, Any]) -> tuple[str, str]:
    """The prediction statement (verbatim, between ``<prediction>`` tags) and the user's timezone from the
    first user message; falls back to the whole message and ``UTC``."""
    texts = conversation(body).user_texts
    text = texts[0] if texts else ""
    statement = _PREDICTION.search(text)
    tz = _TIMEZONE.search(text)
    return (
        statement["statement"] if statement else text.strip(),
        (tz["tz"].strip() if tz else "") or "UTC",
    )


def prediction_arguments(
    statement: str, verification_date: str, *, date_text: str = DEFAULT_DATE_TEXT
) -> dict[str, Any]:
    """A valid ``Prediction`` object (see ``calledit.prediction.Prediction``)."""
    return {
        "prediction_statement": statement,
        "verification_date": verification_date,
        "date_reasoning": f'"{date_text}" resolved with parse_date_with_timezone to {verification_date}.',
        "verification_method": {
            "source": ["Official announcements and reputable news coverage"],
            "criteria": [f"The predicted outcome has happened on or before {verification_date}"],
            "steps": [
                f"On {verification_date}, search for reports about: {statement[:200]}",
                "Decide whether the outcome happened before the deadline",
            ],
        },
        "verifiable_category": "strands_tool_verifiable",
        "category_reasoning": "A general web lookup on the verification date settles it.",
        "initial_status": "pending",
    }


# --------------------------------------------------------------------------------------------------
# Ready-made scripts
# --------------------------------------------------------------------------------------------------

_FINAL_TEXT = "The prediction is recorded."


def _happy_turn(
    body: dict[str, Any], *, date_text: str, date_from: Literal["parse", "current_time"], chunks: int
) -> Turn:
    view = conversation(body)
    if any(use.name == STRUCTURED_OUTPUT_TOOL for use in view.tool_uses):
        return Response(text=[_FINAL_TEXT])
    statement, tz = prediction_request(body)
    now = tool_result(body, "current_time")
    parsed = tool_result(body, "parse_date_with_timezone")
    if parsed is not None:
        source = parsed if date_from == "parse" else now
        utc = find_value(source.value, "utc") if source is not None else None
        if not isinstance(utc, str):
            raise ScriptError(f"no UTC date in the {date_from} tool result: {source!r}")
        return Response(
            text=["The deadline resolves ", f"to {utc}. ", "Returning the structured prediction."],
            tool_calls=[
                ToolCall(
                    STRUCTURED_OUTPUT_TOOL, prediction_arguments(statement, utc, date_text=date_text), chunks
                )
            ],
        )
    if now is not None:
        arguments: dict[str, Any] = {"date_text": date_text, "timezone": tz}
        reference = find_value(now.value, "local")
        if isinstance(reference, str):
            arguments["reference"] = reference
        return Response(
            text=["Now I resolve ", f'"{date_text}" ', "in the user's timezone."],
            tool_calls=[ToolCall("parse_date_with_timezone", arguments, chunks)],
        )
    return Response(
        text=["Let me check ", "the current time ", f"in {tz}."],
        tool_calls=[ToolCall("current_time", {"timezone": tz}, chunks)],
    )


def happy(*, date_text: str = DEFAULT_DATE_TEXT, chunks: int = 4) -> Script:
    """current_time -> parse_date_with_timezone -> ``Prediction`` (verification_date = the parse tool's UTC
    result) -> a short end_turn text. The step is chosen from the tool results in the request, so
    retries and reordered scripts stay consistent."""

    def turn(body: dict[str, Any], index: int) -> Turn:
        return _happy_turn(body, date_text=date_text, date_from="parse", chunks=chunks)

    return Script(turn, name="happy")


def copied_current_time(*, date_text: str = DEFAULT_DATE_TEXT, chunks: int = 4) -> Script:
    """Like :func:`happy`, but the prediction's verification_date is the UTC *now* from current_time."""

    def turn(body: dict[str, Any], index: int) -> Turn:
        return _happy_turn(body, date_text=date_text, date_from="current_time", chunks=chunks)

    return Script(turn, name="copied_current_time")


def _errors_then(error: ProviderError, then: Script, failures: int, name: str) -> Script:
    def turn(body: dict[str, Any], index: int) -> Turn:
        return error if index < failures else then.turn_for(body, index - failures)

    return Script(turn, name=name)


def throttled_then_happy(*, retry_after: float | None = 1.0, failures: int = 1) -> Script:
    """The first ``failures`` requests get 429, then :func:`happy`."""
    return _errors_then(ProviderError("throttle", retry_after), happy(), failures, "throttled_then_happy")


def server_error_then_happy(*, retry_after: float | None = None, failures: int = 1) -> Script:
    """The first ``failures`` requests get 500, then :func:`happy`."""
    return _errors_then(ProviderError("server", retry_after), happy(), failures, "server_error_then_happy")


def always_throttled(*, retry_after: float | None = 1.0) -> Script:
    return Script.of(ProviderError("throttle", retry_after), name="always_throttled")


def always_server_error(*, retry_after: float | None = None) -> Script:
    return Script.of(ProviderError("server", retry_after), name="always_server_error")


def invalid_structured_output(*, chunks: int = 4) -> Script:
    """Every request is answered with the ``Prediction`` tool call dated 2031-02-30 (never validates)."""

    def turn(body: dict[str, Any], index: int) -> Turn:
        statement, _ = prediction_request(body)
        arguments = prediction_arguments(statement, INVALID_VERIFICATION_DATE)
        return Response(
            text=["Here it is."], tool_calls=[ToolCall(STRUCTURED_OUTPUT_TOOL, arguments, chunks)]
        )

    return Script(turn, name="invalid_structured_output")


def prose_only() -> Script:
    """Always plain text, never a tool call, stop reason end_turn."""
    return Script.of(
        Response(text=["I think this prediction ", "is plausible, ", "but I will not call any tool."]),
        name="prose_only",
    )


def auth_error() -> Script:
    return Script.of(ProviderError("auth"), name="auth_error")


def unknown_model() -> Script:
    return Script.of(ProviderError("unknown_model"), name="unknown_model")


def context_overflow() -> Script:
    return Script.of(ProviderError("context_overflow"), name="context_overflow")


def overloaded() -> Script:
    return Script.of(ProviderError("overloaded"), name="overloaded")


SCRIPTS: dict[str, Callable[[], Script]] = {
    "happy": happy,
    "throttled_then_happy": throttled_then_happy,
    "server_error_then_happy": server_error_then_happy,
    "always_throttled": always_throttled,
    "always_server_error": always_server_error,
    "invalid_structured_output": invalid_structured_output,
    "prose_only": prose_only,
    "auth_error": auth_error,
    "unknown_model": unknown_model,
    "context_overflow": context_overflow,
    "overloaded": overloaded,
    "copied_current_time": copied_current_time,
}


# --------------------------------------------------------------------------------------------------
# Error shapes
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorShape:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


def _retry_headers(retry_after: float | None) -> dict[str, str]:
    if retry_after is None:
        return {}
    headers = {"retry-after": str(max(0, math.ceil(retry_after)))}
    if retry_after != int(retry_after):
        headers["retry-after-ms"] = str(round(retry_after * 1000))
    return headers


_OPENAI_ERRORS: dict[ErrorKind, tuple[int, str, str | None, str]] = {
    # kind: (status, type, code, message)
    "throttle": (
        429,
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for {model} in organization org-scripted on requests per min (RPM): "
        "Limit 3, Used 3, Requested 1. Please try again in 20s.",
    ),
    "server": (
        500,
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    "overloaded": (503, "server_error", None, "The engine is currently overloaded, please try again later."),
    "auth": (
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: x. You can find your API key at https://platform.openai.com/account/api-keys.",
    ),
    "unknown_model": (
        404,
        "invalid_request_error",
        "model_not_found",
        "The model `{model}` does not exist or you do not have access to it.",
    ),
    "context_overflow": (
        400,
        "invalid_request_error",
        "context_length_exceeded",
        "This model's maximum context length is 128000 tokens. However, your messages resulted in "
        "131072 tokens. Please reduce the length of the messages.",
    ),
}

_ANTHROPIC_ERRORS: dict[ErrorKind, tuple[int, str, str]] = {
    "throttle": (
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests per minute. "
        "For details, refer to: https://docs.claude.com/en/api/rate-limits.",
    ),
    "server": (500, "api_error", "Internal server error"),
    "overloaded": (529, "overloaded_error", "Overloaded"),
    "auth": (401, "authentication_error", "invalid x-api-key"),
    "unknown_model": (404, "not_found_error", "model: {model}"),
    "context_overflow": (400, "invalid_request_error", "prompt is too long: 212345 tokens > 200000 maximum"),
}

_BEDROCK_ERRORS: dict[ErrorKind, tuple[int, str, str]] = {
    "throttle": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "server": (
        500,
        "InternalServerException",
        "The system encountered an unexpected error during processing. Try your request again.",
    ),
    "overloaded": (503, "ServiceUnavailableException", "Bedrock is unable to process your request."),
    "auth": (403, "AccessDeniedException", "You don't have access to the model with the specified model ID."),
    "unknown_model": (400, "ValidationException", "The provided model identifier is invalid."),
    "context_overflow": (400, "ValidationException", "Input is too long for requested model."),
}
_BEDROCK_NOT_FOUND = (
    "ResourceNotFoundException",
    "Could not resolve the foundation model from the provided model identifier.",
)


def error_shape(provider: Provider, error: ProviderError, *, model: str = "scripted") -> ErrorShape:
    """The status, headers and JSON body a provider answers ``error`` with."""
    request_id = uuid.uuid4().hex
    headers = _retry_headers(error.retry_after)
    if provider == "openai":
        status, kind, code, message = _OPENAI_ERRORS[error.kind]
        message = (error.message or message).format(model=model)
        headers["x-request-id"] = f"req_{request_id}"
        body: dict[str, Any] = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    elif provider == "anthropic":
        status, kind, message = _ANTHROPIC_ERRORS[error.kind]
        message = (error.message or message).format(model=model)
        headers["request-id"] = f"req_{request_id}"
        body = {
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": f"req_{request_id}",
        }
    else:
        status, kind, message = _BEDROCK_ERRORS[error.kind]
        if error.kind == "unknown_model" and error.status == 404:
            kind, message = _BEDROCK_NOT_FOUND
        message = error.message or message
        headers["x-amzn-RequestId"] = str(uuid.UUID(request_id))
        headers["x-amzn-ErrorType"] = f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"
        body = {"message": message}
    return ErrorShape(error.status or status, headers, body)


# --------------------------------------------------------------------------------------------------
# AWS event-stream framing
# --------------------------------------------------------------------------------------------------


def encode_event_stream_message(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One ``application/vnd.amazon.eventstream`` message: prelude (total length, headers length, CRC32),
    string headers, payload, message CRC32."""
    encoded_headers = b""
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        encoded_headers += struct.pack("!B", len(raw_name)) + raw_name
        encoded_headers += struct.pack("!BH", 7, len(raw_value)) + raw_value  # 7: string
    total_length = 12 + len(encoded_headers) + len(payload) + 4
    prelude = struct.pack("!II", total_length, len(encoded_headers))
    prelude += struct.pack("!I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + encoded_headers + payload
    return message + struct.pack("!I", binascii.crc32(message) & 0xFFFFFFFF)


def bedrock_event(event_type: str, payload: Mapping[str, Any]) -> bytes:
    return encode_event_stream_message(
        {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
        json.dumps(payload).encode(),
    )


# --------------------------------------------------------------------------------------------------
# Wire renderers: a Response as each provider streams it
# --------------------------------------------------------------------------------------------------

_OPENAI_FINISH: dict[StopReason, str] = {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length"}


def _sse(data: Mapping[str, Any] | str, event: str | None = None) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {text}\n\n".encode()


def openai_stream(response: Response, body: Mapping[str, Any], request_index: int) -> Iterator[bytes]:
    model = str(body.get("model", "scripted"))
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    base = {
        "id": f"chatcmpl-scripted{request_index}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_scripted",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        data: dict[str, Any] = {
            **base,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            data["usage"] = None
        return _sse(data)

    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for piece in response.text:
        yield chunk({"content": piece})
    for index, call in enumerate(response.tool_calls):
        first = {
            "index": index,
            "id": f"call_scripted{request_index}_{index}",
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        yield chunk({"tool_calls": [first]})
        for piece in call.argument_chunks():
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, _OPENAI_FINISH[response.effective_stop_reason])
    if include_usage:
        usage = response.usage_for(body)
        yield _sse(
            {
                **base,
                "choices": [],
                "usage": {
                    "prompt_tokens": usage.input_tokens,
                    "completion_tokens": usage.output_tokens,
                    "total_tokens": usage.total_tokens,
                    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                    "completion_tokens_details": {"reasoning_tokens": 0},
                },
            }
        )
    yield _sse("[DONE]")


def openai_completion(response: Response, body: Mapping[str, Any], request_index: int) -> dict[str, Any]:
    usage = response.usage_for(body)
    message: dict[str, Any] = {"role": "assistant", "content": response.full_text or None, "refusal": None}
    if response.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_scripted{request_index}_{index}",
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json},
            }
            for index, call in enumerate(response.tool_calls)
        ]
    return {
        "id": f"chatcmpl-scripted{request_index}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model", "scripted")),
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": _OPENAI_FINISH[response.effective_stop_reason],
            }
        ],
        "usage": {
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
        },
    }


def _anthropic_content(response: Response, request_index: int) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if response.text:
        blocks.append({"type": "text", "text": response.full_text})
    for index, call in enumerate(response.tool_calls):
        blocks.append(
            {
                "type": "tool_use",
                "id": f"toolu_scripted{request_index}_{index}",
                "name": call.name,
                "input": dict(call.arguments),
            }
        )
    return blocks


def anthropic_stream(response: Response, body: Mapping[str, Any], request_index: int) -> Iterator[bytes]:
    usage = response.usage_for(body)
    message: dict[str, Any] = {
        "id": f"msg_scripted{request_index}",
        "type": "message",
        "role": "assistant",
        "model": str(body.get("model", "scripted")),
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {
            "input_tokens": usage.input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 1,
        },
    }
    yield _sse({"type": "message_start", "message": message}, "message_start")
    yield _sse({"type": "ping"}, "ping")
    block = 0
    if response.text:
        yield _sse(
            {"type": "content_block_start", "index": block, "content_block": {"type": "text", "text": ""}},
            "content_block_start",
        )
        for piece in response.text:
            delta = {"type": "text_delta", "text": piece}
            yield _sse({"type": "content_block_delta", "index": block, "delta": delta}, "content_block_delta")
        yield _sse({"type": "content_block_stop", "index": block}, "content_block_stop")
        block += 1
    for index, call in enumerate(response.tool_calls):
        start = {
            "type": "tool_use",
            "id": f"toolu_scripted{request_index}_{index}",
            "name": call.name,
            "input": {},
        }
        yield _sse(
            {"type": "content_block_start", "index": block, "content_block": start}, "content_block_start"
        )
        for piece in ["", *call.argument_chunks()]:
            delta = {"type": "input_json_delta", "partial_json": piece}
            yield _sse({"type": "content_block_delta", "index": block, "delta": delta}, "content_block_delta")
        yield _sse({"type": "content_block_stop", "index": block}, "content_block_stop")
        block += 1
    yield _sse(
        {
            "type": "message_delta",
            "delta": {"stop_reason": response.effective_stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": usage.output_tokens},
        },
        "message_delta",
    )
    yield _sse({"type": "message_stop"}, "message_stop")


def anthropic_message(response: Response, body: Mapping[str, Any], request_index: int) -> dict[str, Any]:
    usage = response.usage_for(body)
    return {
        "id": f"msg_scripted{request_index}",
        "type": "message",
        "role": "assistant",
        "model": str(body.get("model", "scripted")),
        "content": _anthropic_content(response, request_index),
        "stop_reason": response.effective_stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens},
    }


def bedrock_stream(response: Response, body: Mapping[str, Any], request_index: int) -> Iterator[bytes]:
    """ConverseStream events. Like real Bedrock, a text block has no contentBlockStart; a toolUse does."""
    usage = response.usage_for(body)
    yield bedrock_event("messageStart", {"role": "assistant"})
    block = 0
    if response.text:
        for piece in response.text:
            yield bedrock_event("contentBlockDelta", {"contentBlockIndex": block, "delta": {"text": piece}})
        yield bedrock_event("contentBlockStop", {"contentBlockIndex": block})
        block += 1
    for index, call in enumerate(response.tool_calls):
        tool_use = {"toolUseId": f"tooluse_scripted{request_index}_{index}", "name": call.name}
        yield bedrock_event("contentBlockStart", {"contentBlockIndex": block, "start": {"toolUse": tool_use}})
        for piece in call.argument_chunks():
            delta = {"toolUse": {"input": piece}}
            yield bedrock_event("contentBlockDelta", {"contentBlockIndex": block, "delta": delta})
        yield bedrock_event("contentBlockStop", {"contentBlockIndex": block})
        block += 1
    yield bedrock_event("messageStop", {"stopReason": response.effective_stop_reason})
    yield bedrock_event(
        "metadata",
        {
            "usage": {
                "inputTokens": usage.input_tokens,
                "outputTokens": usage.output_tokens,
                "totalTokens": usage.total_tokens,
            },
            "metrics": {"latencyMs": 7},
        },
    )


def bedrock_converse(response: Response, body: Mapping[str, Any], request_index: int) -> dict[str, Any]:
    usage = response.usage_for(body)
    content: list[dict[str, Any]] = [{"text": response.full_text}] if response.text else []
    for index, call in enumerate(response.tool_calls):
        content.append(
            {
                "toolUse": {
                    "toolUseId": f"tooluse_scripted{request_index}_{index}",
                    "name": call.name,
                    "input": dict(call.arguments),
                }
            }
        )
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": response.effective_stop_reason,
        "usage": {
            "inputTokens": usage.input_tokens,
            "outputTokens": usage.output_tokens,
            "totalTokens": usage.total_tokens,
        },
        "metrics": {"latencyMs": 7},
    }


# --------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the server received, with the turn it was answered with."""

    index: int
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    turn: Turn | None = None


_STREAM_CONTENT_TYPE: dict[Provider, str] = {
    "openai": "text/event-stream; charset=utf-8",
    "anthropic": "text/event-stream; charset=utf-8",
    "bedrock": "application/vnd.amazon.eventstream",
}
_STREAMERS: dict[Provider, Callable[[Response, Mapping[str, Any], int], Iterator[bytes]]] = {
    "openai": openai_stream,
    "anthropic": anthropic_stream,
    "bedrock": bedrock_stream,
}
_NON_STREAMING: dict[Provider, Callable[[Response, Mapping[str, Any], int], dict[str, Any]]] = {
    "openai": openai_completion,
    "anthropic": anthropic_message,
    "bedrock": bedrock_converse,
}


class ScriptedServer:
    """A scripted provider on 127.0.0.1: ``async with ScriptedServer("openai", happy()) as server: ...``.

    ``requests`` holds every request body (parsed JSON) in arrival order, retries included;
    ``recorded`` the full :class:`RecordedRequest` s; ``errors`` exceptions raised by the script.
    ``chunk_delay`` pauses (seconds) between streamed chunks.
    """

    def __init__(
        self,
        provider: Provider,
        script: ScriptLike,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        chunk_delay: float = 0.0,
    ) -> None:
        if provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}; choose one of {', '.join(PROVIDERS)}")
        self.provider: Provider = provider
        self.script = as_script(script)
        self.host = host
        self.port = port
        self.chunk_delay = chunk_delay
        self.recorded: list[RecordedRequest] = []
        self.errors: list[BaseException] = []
        self._runner: web.AppRunner | None = None
        self._counter = itertools.count()

    # -- lifecycle ---------------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        if self.provider == "openai":
            app.router.add_post("/v1/chat/completions", self._handle)
            app.router.add_post("/chat/completions", self._handle)
        elif self.provider == "anthropic":
            app.router.add_post("/v1/messages", self._handle)
        else:
            app.router.add_post("/model/{model_id}/converse-stream", self._handle)
            app.router.add_post("/model/{model_id}/converse", self._handle)
        return app

    async def start(self) -> ScriptedServer:
        if self._runner is not None:
            return self
        runner = web.AppRunner(self._app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        logger.debug("provider=<%s>, url=<%s> | scripted server started", self.provider, self.url)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> ScriptedServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- inspection --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (OpenAI clients need ``f"{url}/v1"``: see :attr:`base_url`)."""
        if self._runner is None:
            raise RuntimeError("the scripted server is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What the provider's client takes as its base URL / endpoint."""
        return f"{self.url}/v1" if self.provider == "openai" else self.url

    @property
    def requests(self) -> list[dict[str, Any]]:
        return [recorded.body for recorded in self.recorded]

    @property
    def request_count(self) -> int:
        return len(self.recorded)

    def reset(self) -> None:
        self.recorded.clear()
        self.errors.clear()
        self._counter = itertools.count()

    def client_env(self) -> dict[str, str]:
        """Environment variables pointing the provider's own SDK (or the CalledIt CLI) at this server."""
        if self.provider == "openai":
            return {
                "CALLEDIT_MODEL": "openai",
                "CALLEDIT_MODEL_BASE_URL": self.base_url,
                "CALLEDIT_MODEL_API_KEY": "x",
                "CALLEDIT_MODEL_ID": "scripted",
                "OPENAI_BASE_URL": self.base_url,
                "OPENAI_API_KEY": "x",
            }
        if self.provider == "anthropic":
            return {
                "CALLEDIT_MODEL": "anthropic",
                "CALLEDIT_MODEL_BASE_URL": self.base_url,
                "CALLEDIT_MODEL_API_KEY": "x",
                "CALLEDIT_MODEL_ID": "scripted",
                "ANTHROPIC_BASE_URL": self.base_url,
                "ANTHROPIC_API_KEY": "x",
            }
        return {
            "CALLEDIT_MODEL": "bedrock",
            "CALLEDIT_MODEL_ID": "scripted",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
        }

    def strands_model(
        self, *, max_retries: int | None = None, model_id: str = "scripted", **config: Any
    ) -> Model:
        """The Strands model class for this provider pointed at this server.

        ``max_retries``: SDK-level retries (openai/anthropic ``max_retries``; for Bedrock botocore
        ``retries={"mode": "standard", "total_max_attempts": max_retries + 1}``). None keeps the SDK default
        (openai 2, anthropic 2, botocore standard mode 3 attempts).
        """
        if self.provider == "openai":
            from strands.models.openai import OpenAIModel

            client_args: dict[str, Any] = {"base_url": self.base_url, "api_key": "x"}
            if max_retries is not None:
                client_args["max_retries"] = max_retries
            return OpenAIModel(client_args=client_args, model_id=model_id, **config)
        if self.provider == "anthropic":
            from strands.models.anthropic import AnthropicModel

            client_args = {"base_url": self.base_url, "api_key": "x"}
            if max_retries is not None:
                client_args["max_retries"] = max_retries
            config.setdefault("max_tokens", 1024)
            return AnthropicModel(client_args=client_args, model_id=model_id, **config)

        from botocore.config import Config
        from strands.models.bedrock import BedrockModel

        boto_config = None
        if max_retries is not None:
            # botocore's retries["max_attempts"] counts retries; total_max_attempts counts the first try too
            boto_config = Config(
                retries={"mode": "standard", "total_max_attempts": max_retries + 1}, read_timeout=30
            )
        return BedrockModel(
            model_id=model_id,
            region_name="us-east-1",
            endpoint_url=self.url,
            boto_client_config=boto_config,
            **config,
        )

    # -- handling ----------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_raw": raw.decode(errors="replace")}
        index = next(self._counter)
        model = str(body.get("model") or request.match_info.get("model_id") or "scripted")
        try:
            turn: Turn | None = self.script.turn_for(body, index)
        except Exception as exc:  # a broken script must be visible, not a hang
            logger.exception("script=<%s>, index=<%d> | script failed", self.script.name, index)
            self.errors.append(exc)
            turn = None
        self.recorded.append(
            RecordedRequest(index, request.method, request.path, dict(request.headers), body, turn)
        )
        logger.info("%s request #%d %s -> %s", self.provider, index, request.path, _describe(turn))
        if turn is None:
            message = f"scripted server: script {self.script.name} failed on request {index}"
            # 501 + x-should-retry: false, so that no SDK retries it (botocore retries 500/502/503/504)
            error = ProviderError("server", status=501, message=message)
            shape = error_shape(self.provider, error, model=model)
            headers = {**shape.headers, "x-should-retry": "false"}
            return web.json_response(shape.body, status=shape.status, headers=headers)
        if isinstance(turn, ProviderError):
            shape = error_shape(self.provider, turn, model=model)
            return web.json_response(shape.body, status=shape.status, headers=shape.headers)
        streaming = (
            request.path.endswith("/converse-stream")
            if self.provider == "bedrock"
            else bool(body.get("stream"))
        )
        if not streaming:
            return web.json_response(_NON_STREAMING[self.provider](turn, body, index))
        headers = {"Content-Type": _STREAM_CONTENT_TYPE[self.provider]}
        if self.provider == "bedrock":
            headers["x-amzn-RequestId"] = str(uuid.uuid4())
        else:
            headers["Cache-Control"] = "no-cache"
        response = web.StreamResponse(status=200, headers=headers)
        await response.prepare(request)
        try:
            for chunk in _STREAMERS[self.provider](turn, body, index):
                await response.write(chunk)
                if self.chunk_delay:
                    await asyncio.sleep(self.chunk_delay)
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            logger.debug("index=<%d> | client went away mid-stream", index)
        return response


def _describe(turn: Turn | None) -> str:
    if turn is None:
        return "script error (500)"
    if isinstance(turn, ProviderError):
        return f"error {turn.kind}"
    calls = ", ".join(call.name for call in turn.tool_calls)
    return f"{len(turn.full_text)} chars of text, tool calls [{calls}], {turn.effective_stop_reason}"


ServerFactory: TypeAlias = Callable[..., Awaitable[ScriptedServer]]
"""The ``scripted_server`` fixture: ``await scripted_server(provider, script, **options)``."""
ThreadedServerFactory: TypeAlias = Callable[..., ScriptedServer]
"""The ``threaded_scripted_server`` fixture: ``threaded_scripted_server(provider, script, **options)``."""


@contextlib.contextmanager
def serve_in_thread(provider: Provider, script: ScriptLike, **options: Any) -> Iterator[ScriptedServer]:
    """Run a :class:`ScriptedServer` on its own event loop in a daemon thread (for synchronous code such as
    ``Agent.__call__``); yields the running server."""
    server = ScriptedServer(provider, script, **options)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.stop())
        loop.close()

    thread = threading.Thread(target=run, name=f"scripted-{provider}", daemon=True)
    thread.start()
    ready.wait(timeout=10)
    if failure:
        raise failure[0]
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


async def _serve_forever(server: ScriptedServer) -> None:
    async with server:
        print(f"scripted {server.provider} server ({server.script.name}) at {server.base_url}", flush=True)
        print("point the client at it with:", flush=True)
        for key, value in server.client_env().items():
            print(f"  export {key}={value}", flush=True)
        print("Ctrl-C to stop", flush=True)
        await asyncio.Event().wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a scripted model provider on 127.0.0.1.")
    parser.add_argument("provider", choices=PROVIDERS)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--script", choices=sorted(SCRIPTS), default="happy")
    parser.add_argument("--chunk-delay", type=float, default=0.0, help="seconds between streamed chunks")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logger.setLevel(logging.DEBUG if args.verbose else logging.INFO)
    provider = cast(Provider, args.provider)
    server = ScriptedServer(provider, SCRIPTS[args.script](), port=args.port, chunk_delay=args.chunk_delay)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(server))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
