"""Contract tests of the scripted provider servers, driven through Strands' REAL model classes and the
providers' real SDKs (openai 2.x, anthropic, botocore), never through the CalledIt runner.

Measured behaviour (strands-agents 1.62, openai 2.54, anthropic 0.125, botocore 1.44), one logical
``model.stream()`` call, SDK retries left at their defaults ("retry": does the SDK itself retry it;
"reqs": HTTP requests the one call made):

=========  =================  ==================================================================  =====  ====
provider   error kind         what surfaces through Strands (``__cause__``)                       retry  reqs
=========  =================  ==================================================================  =====  ====
openai     throttle 429       ``ModelThrottledException`` (``openai.RateLimitError``)             yes    3
openai     server 500         ``openai.InternalServerError`` (not wrapped)                        yes    3
openai     overloaded 503     ``openai.InternalServerError`` (not wrapped)                        yes    3
openai     auth 401           ``openai.AuthenticationError`` (not wrapped)                        no     1
openai     unknown model 404  ``openai.NotFoundError`` (not wrapped)                              no     1
openai     context 400        ``ContextWindowOverflowException`` (``openai.BadRequestError``)     no     1
anthropic  throttle 429       ``ModelThrottledException`` (``anthropic.RateLimitError``)          yes    3
anthropic  server 500         ``anthropic.InternalServerError`` (not wrapped)                     yes    3
anthropic  overloaded 529     ``anthropic.OverloadedError`` (not wrapped, NOT a throttle)         yes    3
anthropic  auth 401           ``anthropic.AuthenticationError`` (not wrapped)                     no     1
anthropic  unknown model 404  ``anthropic.NotFoundError`` (not wrapped)                           no     1
anthropic  context 400        ``ContextWindowOverflowException`` (``anthropic.BadRequestError``)  no     1
bedrock    throttle 429/400   ``ModelThrottledException`` (``ClientError`` ThrottlingException)   yes    3
bedrock    server 500         ``ClientError`` InternalServerException (not wrapped)               yes    3
bedrock    overloaded 503     ``ClientError`` ServiceUnavailableException (NOT a throttle)        yes    3
bedrock    auth 403           ``ClientError`` AccessDeniedException                               no     1
bedrock    unknown model 400  ``ClientError`` ValidationException "model identifier invalid"      no     1
bedrock    unknown model 404  ``ClientError`` ResourceNotFoundException                           no     1
bedrock    context 400        ``ContextWindowOverflowException`` (``ClientError`` Validation)     no     1
=========  =================  ==================================================================  =====  ====

``ClientError`` is ``botocore.exceptions.ClientError`` (the class is the client's generated
``client.exceptions.<Code>``; match on ``error.response["Error"]["Code"]``). With ``max_retries=0``
(openai/anthropic ``client_args``) or ``Config(retries={"total_max_attempts": 1})`` (Bedrock) every row
makes exactly 1 request. Beware: botocore's ``retries={"max_attempts": n}`` counts *retries* (n + 1
requests), while ``AWS_MAX_ATTEMPTS`` and ``total_max_attempts`` count all attempts.

SDK retry defaults (what production gets unless it configures them):

* openai / anthropic: ``max_retries=2`` (3 attempts) on 408, 409, 429 and >= 500 (so 529 too), and on
  connection errors. Delay: ``retry-after-ms`` then ``Retry-After`` if 0 < value <= 60 s, else
  0.5 s * 2**n * jitter(0.75..1) capped at 8 s. openai does not retry at all when ``Retry-After`` > 120 s.
  Both obey an ``x-should-retry: true/false`` response header.
* botocore 1.44: retry mode ``standard`` by default (no longer ``legacy``): 3 attempts on throttling
  codes (ThrottlingException etc., whatever the HTTP status) and on HTTP 500/502/503/504. Delay:
  rand(0,1) * 2**i s for throttles (so up to 1 s then 2 s), rand(0,1) * 0.05 * 2**i s otherwise; it ignores
  ``Retry-After`` (only ``x-amz-retry-after`` raises the delay). ``AWS_RETRY_MODE`` / ``AWS_MAX_ATTEMPTS``
  or ``BedrockModel(boto_client_config=Config(retries=...))`` change it. Passing ``boto_client_config``
  also drops Strands' default ``read_timeout`` (120 s) unless the config sets one.

On top of that, ``strands.Agent`` retries ``ModelThrottledException`` (only) with its default
``ModelRetryStrategy``: 6 attempts, sleeping 4, 8, 16, 32, 64 s between them. An always-throttled
provider therefore costs 6 x 3 = 18 HTTP requests and about 124 s before ``ModelThrottledException``
reaches the caller (measured here with ``initial_delay=0``). 500/503/529, auth and unknown-model errors are
not retried by the agent; they surface after the SDK's own attempts.

Agent-level behaviour over the scripts (every provider alike):

* ``happy``: 3 requests (messages 1, 3, 5); the run ends right after the ``Prediction`` tool result with
  stop reason ``tool_use``: Strands never asks the model again, so the 4th scripted turn is unused.
* ``prose_only``: 2 requests: Strands answers an end_turn without the structured output tool by
  forcing it once (OpenAI: only the ``Prediction`` tool, ``tool_choice`` function; Anthropic: all tools,
  ``tool_choice {"type": "tool"}``; Bedrock: all tools, ``toolChoice {"tool": ...}``), then raises
  ``StructuredOutputException``.
* ``invalid_structured_output``: Strands sends the validation error back as an error tool result and asks
  again, with NO limit: by hand it went on for ~240 requests (37 s for openai, 69 s for anthropic; the
  conversation grows by 2 messages per request) until a ``RecursionError`` wrapped in
  ``EventLoopException``. Production code must bound the model calls itself. The test below ends the loop
  with an auth error after a few requests.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ClientError
from scripted import (
    ERROR_KINDS,
    INVALID_VERIFICATION_DATE,
    PROVIDERS,
    STRUCTURED_OUTPUT_TOOL,
    ErrorKind,
    Provider,
    ProviderError,
    Response,
    Script,
    ScriptedServer,
    ServerFactory,
    ThreadedServerFactory,
    ToolCall,
    Usage,
    always_throttled,
    auth_error,
    bedrock_event,
    context_overflow,
    conversation,
    copied_current_time,
    encode_event_stream_message,
    error_shape,
    happy,
    invalid_structured_output,
    message_count,
    prediction_request,
    prose_only,
    server_error_then_happy,
    split_evenly,
    throttled_then_happy,
    unknown_model,
)
from strands import Agent, tool
from strands.agent import ModelRetryStrategy
from strands.event_loop.streaming import process_stream
from strands.models import Model
from strands.types.content import Messages
from strands.types.exceptions import (
    ContextWindowOverflowException,
    ModelThrottledException,
    StructuredOutputException,
)
from strands.types.streaming import StreamEvent
from strands.types.tools import ToolSpec

from calledit.prediction import Prediction
from calledit.prompting import format_request

STATEMENT = "It will snow in Paris by March 2027"
TIMEZONE = "Europe/Paris"
NOW_LOCAL = "2026-05-04T10:00:00+02:00"
NOW_UTC = "2026-05-04T08:00:00Z"
DEADLINE_UTC = "2027-03-31T21:59:59Z"
FAST = 0.01  # retry_after for the openai/anthropic SDKs (sent as retry-after-ms), keeps retries instant

TOOL_SPECS: list[ToolSpec] = [
    {
        "name": "current_time",
        "description": "The current time in a timezone.",
        "inputSchema": {"json": {"type": "object", "properties": {"timezone": {"type": "string"}}}},
    },
    {
        "name": "parse_date_with_timezone",
        "description": "Resolve a time phrase.",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {
                    "date_text": {"type": "string"},
                    "timezone": {"type": "string"},
                    "reference": {"type": "string"},
                },
                "required": ["date_text"],
            }
        },
    },
]


def user_message() -> Messages:
    return [{"role": "user", "content": [{"text": format_request(STATEMENT, TIMEZONE)}]}]


def tool_exchange(
    tool_use_id: str, name: str, tool_input: dict[str, Any], result: dict[str, Any]
) -> Messages:
    """An assistant tool call and the user's tool result, in Strands' message format (result as JSON
    content, as ``calledit.tools`` returns it)."""
    return [
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": tool_use_id, "name": name, "input": tool_input}}],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": tool_use_id, "status": "success", "content": [{"json": result}]}}
            ],
        },
    ]


CURRENT_TIME_RESULT = {"timezone": TIMEZONE, "local": NOW_LOCAL, "utc": NOW_UTC, "weekday": "Monday"}
PARSE_RESULT = {
    "phrase": "by March 2027",
    "timezone": TIMEZONE,
    "local": "2027-03-31T23:59:59+02:00",
    "utc": DEADLINE_UTC,
    "kind": "deadline",
    "in_past": False,
}


async def collect(
    model: Model, messages: Messages, tool_specs: list[ToolSpec] | None = None
) -> list[StreamEvent]:
    return [event async for event in model.stream(messages, tool_specs, "You are scripted.")]


async def final_message(
    model: Model, messages: Messages, tool_specs: list[ToolSpec] | None = None
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Run Strands' own stream processing (the agent's reassembly path): stop reason, message, usage."""
    stop: Any = None

    async def chunks() -> AsyncIterator[StreamEvent]:
        async for event in model.stream(messages, tool_specs, "You are scripted."):
            yield event

    async for event in process_stream(chunks()):
        if "stop" in event:
            stop = event["stop"]
    assert stop is not None
    stop_reason, message, usage, _metrics = stop
    return str(stop_reason), dict(message), dict(usage)


def text_deltas(events: list[StreamEvent]) -> list[str]:
    return [
        event["contentBlockDelta"]["delta"]["text"]
        for event in events
        if "contentBlockDelta" in event and "text" in event["contentBlockDelta"]["delta"]
    ]


def tool_input_deltas(events: list[StreamEvent]) -> list[str]:
    return [
        event["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for event in events
        if "contentBlockDelta" in event and "toolUse" in event["contentBlockDelta"]["delta"]
    ]


def tool_uses(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [block["toolUse"] for block in message["content"] if "toolUse" in block]


# --------------------------------------------------------------------------------------------------
# The building blocks
# --------------------------------------------------------------------------------------------------


def test_split_evenly_keeps_every_character() -> None:
    text = json.dumps({"timezone": "Europe/Paris"})
    parts = split_evenly(text, 4)
    assert len(parts) == 4
    assert "".join(parts) == text
    assert all(parts)
    assert split_evenly("ab", 5) == ["a", "b"]


def test_event_stream_frames_decode_with_botocore() -> None:
    """botocore's own parser accepts the framing: lengths, CRCs, string headers, payload."""
    payload = {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"timez'}}}
    frames = bedrock_event("contentBlockDelta", payload) + bedrock_event(
        "messageStop", {"stopReason": "tool_use"}
    )
    buffer = EventStreamBuffer()
    buffer.add_data(frames[:7])  # partial data: nothing yet
    assert list(buffer) == []
    buffer.add_data(frames[7:])
    messages: list[Any] = list(buffer)  # EventStreamMessage objects
    assert [message.headers[":event-type"] for message in messages] == ["contentBlockDelta", "messageStop"]
    assert messages[0].headers[":message-type"] == "event"
    assert messages[0].headers[":content-type"] == "application/json"
    assert json.loads(messages[0].payload) == payload
    assert messages[0].prelude.total_length == len(bedrock_event("contentBlockDelta", payload))


def test_event_stream_crc_is_checked() -> None:
    from botocore.eventstream import ChecksumMismatch

    frame = bytearray(encode_event_stream_message({":event-type": "x"}, b"{}"))
    frame[-5] ^= 0xFF  # corrupt the payload
    buffer = EventStreamBuffer()
    buffer.add_data(bytes(frame))
    with pytest.raises(ChecksumMismatch):
        list(buffer)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_error_shapes(provider: Provider) -> None:
    throttle = error_shape(provider, ProviderError("throttle", retry_after=0.25))
    assert throttle.status == 429
    assert throttle.headers["retry-after"] == "1"
    assert throttle.headers["retry-after-ms"] == "250"
    assert error_shape(provider, ProviderError("server")).status == 500
    assert "retry-after" not in error_shape(provider, ProviderError("server")).headers
    overflow = error_shape(provider, ProviderError("context_overflow"))
    assert overflow.status == 400
    if provider == "openai":
        assert throttle.body["error"]["code"] == "rate_limit_exceeded"
        assert overflow.body["error"]["code"] == "context_length_exceeded"
        assert error_shape(provider, ProviderError("auth")).body["error"]["code"] == "invalid_api_key"
        assert (
            error_shape(provider, ProviderError("unknown_model")).body["error"]["code"] == "model_not_found"
        )
    elif provider == "anthropic":
        assert throttle.body["type"] == "error"
        assert throttle.body["error"]["type"] == "rate_limit_error"
        assert overflow.body["error"]["message"].startswith("prompt is too long")
        assert error_shape(provider, ProviderError("auth")).body["error"]["type"] == "authentication_error"
        assert (
            error_shape(provider, ProviderError("unknown_model")).body["error"]["type"] == "not_found_error"
        )
    else:
        assert throttle.headers["x-amzn-ErrorType"].startswith("ThrottlingException:")
        assert set(throttle.body) == {"message"}
        assert error_shape(provider, ProviderError("throttle", status=400)).status == 400
        assert error_shape(provider, ProviderError("auth")).status == 403
        assert (
            error_shape(provider, ProviderError("unknown_model", status=404))
            .headers["x-amzn-ErrorType"]
            .startswith("ResourceNotFoundException:")
        )
        assert overflow.body["message"] == "Input is too long for requested model."


def test_conversation_reads_all_three_formats() -> None:
    openai_body = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": format_request(STATEMENT, TIMEZONE)}]},
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "current_time", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": json.dumps(CURRENT_TIME_RESULT)},
        ],
        "tools": [{"type": "function", "function": {"name": "current_time"}}],
    }
    anthropic_body = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": format_request(STATEMENT, TIMEZONE)}]},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "c1", "name": "current_time", "input": {}}],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "c1",
                        "is_error": False,
                        "content": [{"type": "text", "text": json.dumps(CURRENT_TIME_RESULT)}],
                    }
                ],
            },
        ],
        "tools": [{"name": "current_time"}],
    }
    bedrock_body = {
        "messages": [
            {"role": "user", "content": [{"text": format_request(STATEMENT, TIMEZONE)}]},
            {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "c1", "name": "current_time", "input": {}}}],
            },
            {
                "role": "user",
                "content": [{"toolResult": {"toolUseId": "c1", "content": [{"json": CURRENT_TIME_RESULT}]}}],
            },
        ],
        "toolConfig": {"tools": [{"toolSpec": {"name": "current_time"}}]},
    }
    for body in (openai_body, anthropic_body, bedrock_body):
        view = conversation(body)
        assert prediction_request(body) == (STATEMENT, TIMEZONE)
        assert [use.name for use in view.tool_uses] == ["current_time"]
        assert [(result.name, result.value) for result in view.tool_results] == [
            ("current_time", CURRENT_TIME_RESULT)
        ]
        assert view.tool_names == ["current_time"]


# --------------------------------------------------------------------------------------------------
# Streaming through Strands' model classes
# --------------------------------------------------------------------------------------------------

ARGUMENTS = {"date_text": "by March 2027", "timezone": TIMEZONE, "reference": NOW_LOCAL, "note": "“é” ok"}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_text_and_split_tool_call(provider: Provider, scripted_server: ServerFactory) -> None:
    turn = Response(
        text=["Resolving ", "the deadline ", "now."],
        tool_calls=[ToolCall("parse_date_with_timezone", ARGUMENTS, chunks=5)],
        usage=Usage(input_tokens=123, output_tokens=45),
    )
    server = await scripted_server(provider, turn)
    model = server.strands_model(max_retries=0)

    events = await collect(model, user_message(), TOOL_SPECS)

    assert text_deltas(events) == ["Resolving ", "the deadline ", "now."]
    pieces = [piece for piece in tool_input_deltas(events) if piece]
    assert len(pieces) == 5
    assert json.loads("".join(pieces)) == ARGUMENTS
    starts: list[Any] = [
        event["contentBlockStart"]["start"] for event in events if "contentBlockStart" in event
    ]
    assert {
        "toolUse": {"name": "parse_date_with_timezone", "toolUseId": starts[-1]["toolUse"]["toolUseId"]}
    } in starts
    assert [event["messageStop"]["stopReason"] for event in events if "messageStop" in event] == ["tool_use"]
    usage = next(event["metadata"]["usage"] for event in events if "metadata" in event)
    assert (usage["inputTokens"], usage["outputTokens"], usage["totalTokens"]) == (123, 45, 168)

    stop_reason, message, _ = await final_message(model, user_message(), TOOL_SPECS)
    assert stop_reason == "tool_use"
    assert message["content"][0] == {"text": "Resolving the deadline now."}
    assert tool_uses(message)[0]["input"] == ARGUMENTS
    assert server.request_count == 2
    assert server.requests[0]["messages"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_two_tool_calls_and_stop_reasons(provider: Provider, scripted_server: ServerFactory) -> None:
    script = Script.of(
        Response(
            tool_calls=[
                ToolCall("current_time", {"timezone": "UTC"}, chunks=3),
                ToolCall("current_time", {"timezone": TIMEZONE}, chunks=4),
            ]
        ),
        Response(text=["cut ", "short"], stop_reason="max_tokens"),
        Response(text=["All done."]),
    )
    server = await scripted_server(provider, script)
    model = server.strands_model(max_retries=0)

    stop_reason, message, _ = await final_message(model, user_message(), TOOL_SPECS)
    assert stop_reason == "tool_use"
    assert [use["input"] for use in tool_uses(message)] == [{"timezone": "UTC"}, {"timezone": TIMEZONE}]
    assert len({use["toolUseId"] for use in tool_uses(message)}) == 2

    stop_reason, message, _ = await final_message(model, user_message(), TOOL_SPECS)
    assert (stop_reason, message["content"]) == ("max_tokens", [{"text": "cut short"}])

    for _ in range(2):  # the last turn repeats
        stop_reason, message, _ = await final_message(model, user_message())
        assert (stop_reason, message["content"]) == ("end_turn", [{"text": "All done."}])
    assert server.request_count == 4


@pytest.mark.parametrize("provider", ["openai", "bedrock"])
async def test_non_streaming_requests(provider: Provider, scripted_server: ServerFactory) -> None:
    turn = Response(
        text=["Hello"], tool_calls=[ToolCall("current_time", {"timezone": "UTC"})], usage=Usage(5, 6)
    )
    server = await scripted_server(provider, turn)
    config: dict[str, Any] = {"params": {"stream": False}} if provider == "openai" else {"streaming": False}
    model = server.strands_model(max_retries=0, **config)

    stop_reason, message, usage = await final_message(model, user_message(), TOOL_SPECS)
    assert stop_reason == "tool_use"
    assert message["content"][0] == {"text": "Hello"}
    assert tool_uses(message)[0]["input"] == {"timezone": "UTC"}
    assert usage["totalTokens"] == 11
    expected_path = "/v1/chat/completions" if provider == "openai" else "/model/scripted/converse"
    assert server.recorded[0].path == expected_path


async def test_bedrock_endpoint_from_environment(
    scripted_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore's service-specific endpoint variable points an unmodified ``BedrockModel`` at the server."""
    from strands.models.bedrock import BedrockModel

    server = await scripted_server("bedrock", Response(text=["from env"]))
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url)
    model = BedrockModel(model_id="us.anthropic.claude-sonnet-4-5:0", region_name="us-east-1")
    assert model.client.meta.endpoint_url == server.url

    assert text_deltas(await collect(model, user_message())) == ["from env"]
    recorded = server.recorded[0]
    assert recorded.path == "/model/us.anthropic.claude-sonnet-4-5:0/converse-stream"
    assert recorded.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert recorded.body["messages"][0]["content"][0]["text"].startswith("<prediction>")


# --------------------------------------------------------------------------------------------------
# The ready-made scripts, turn by turn
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_happy_script_follows_the_tool_results(
    provider: Provider, scripted_server: ServerFactory
) -> None:
    server = await scripted_server(provider, happy())
    model = server.strands_model(max_retries=0)
    messages = user_message()

    _, message, _ = await final_message(model, messages, TOOL_SPECS)
    (call,) = tool_uses(message)
    assert (call["name"], call["input"]) == ("current_time", {"timezone": TIMEZONE})
    messages += tool_exchange("t1", "current_time", call["input"], CURRENT_TIME_RESULT)

    _, message, _ = await final_message(model, messages, TOOL_SPECS)
    (call,) = tool_uses(message)
    assert call["name"] == "parse_date_with_timezone"
    assert call["input"] == {"date_text": "by March 2027", "timezone": TIMEZONE, "reference": NOW_LOCAL}
    messages += tool_exchange("t2", "parse_date_with_timezone", call["input"], PARSE_RESULT)

    stop_reason, message, _ = await final_message(model, messages, TOOL_SPECS)
    (call,) = tool_uses(message)
    assert (stop_reason, call["name"]) == ("tool_use", STRUCTURED_OUTPUT_TOOL)
    prediction = Prediction.model_validate(call["input"])
    assert prediction.prediction_statement == STATEMENT
    assert prediction.verification_date == datetime(2027, 3, 31, 21, 59, 59, tzinfo=UTC)
    assert call["input"]["verification_date"] == DEADLINE_UTC
    messages += tool_exchange("t3", STRUCTURED_OUTPUT_TOOL, call["input"], {"ok": True})

    stop_reason, message, _ = await final_message(model, messages, TOOL_SPECS)
    assert stop_reason == "end_turn"
    assert not tool_uses(message)

    assert [message_count(body) for body in server.requests] == [1, 3, 5, 7]
    assert server.errors == []


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_copied_current_time_uses_now(provider: Provider, scripted_server: ServerFactory) -> None:
    server = await scripted_server(provider, copied_current_time())
    model = server.strands_model(max_retries=0)
    messages = user_message()
    messages += tool_exchange("t1", "current_time", {"timezone": TIMEZONE}, CURRENT_TIME_RESULT)
    messages += tool_exchange("t2", "parse_date_with_timezone", {"date_text": "by March 2027"}, PARSE_RESULT)

    _, message, _ = await final_message(model, messages, TOOL_SPECS)
    (call,) = tool_uses(message)
    assert call["input"]["verification_date"] == NOW_UTC


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_invalid_and_prose_scripts(provider: Provider, scripted_server: ServerFactory) -> None:
    invalid = await scripted_server(provider, invalid_structured_output())
    model = invalid.strands_model(max_retries=0)
    for _ in range(2):
        stop_reason, message, _ = await final_message(model, user_message(), TOOL_SPECS)
        (call,) = tool_uses(message)
        assert (stop_reason, call["name"]) == ("tool_use", STRUCTURED_OUTPUT_TOOL)
        assert call["input"]["verification_date"] == INVALID_VERIFICATION_DATE
        assert call["input"]["prediction_statement"] == STATEMENT
        with pytest.raises(ValueError, match="verification_date"):
            Prediction.model_validate(call["input"])

    prose = await scripted_server(provider, prose_only())
    stop_reason, message, _ = await final_message(
        prose.strands_model(max_retries=0), user_message(), TOOL_SPECS
    )
    assert stop_reason == "end_turn"
    assert not tool_uses(message)
    assert message["content"][0]["text"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_script_failure_is_recorded(provider: Provider, scripted_server: ServerFactory) -> None:
    """happy() at turn 3 without a UTC date in the parse result: the server answers 501 with
    ``x-should-retry: false`` (no SDK retries it) and keeps the exception for the test to see."""
    server = await scripted_server(provider, happy())
    messages = user_message() + tool_exchange(
        "t2", "parse_date_with_timezone", {"date_text": "x"}, {"error": "no"}
    )
    with pytest.raises(Exception):  # noqa: B017, PT011 - the SDK's server error class differs per provider
        await collect(server.strands_model(), messages, TOOL_SPECS)
    assert server.request_count == 1
    assert len(server.errors) == 1
    assert "no UTC date" in str(server.errors[0])


# --------------------------------------------------------------------------------------------------
# Errors: which exception surfaces through Strands, and how many HTTP requests one call makes
# --------------------------------------------------------------------------------------------------

RETRIED_KINDS: set[ErrorKind] = {"throttle", "server", "overloaded"}

# (provider, kind) -> (class raised by model.stream, SDK class name or botocore error code behind it)
EXPECTED_ERRORS: dict[tuple[Provider, ErrorKind], tuple[type[BaseException], str]] = {
    ("openai", "throttle"): (ModelThrottledException, "RateLimitError"),
    ("openai", "server"): (Exception, "InternalServerError"),
    ("openai", "overloaded"): (Exception, "InternalServerError"),
    ("openai", "auth"): (Exception, "AuthenticationError"),
    ("openai", "unknown_model"): (Exception, "NotFoundError"),
    ("openai", "context_overflow"): (ContextWindowOverflowException, "BadRequestError"),
    ("anthropic", "throttle"): (ModelThrottledException, "RateLimitError"),
    ("anthropic", "server"): (Exception, "InternalServerError"),
    ("anthropic", "overloaded"): (Exception, "OverloadedError"),
    ("anthropic", "auth"): (Exception, "AuthenticationError"),
    ("anthropic", "unknown_model"): (Exception, "NotFoundError"),
    ("anthropic", "context_overflow"): (ContextWindowOverflowException, "BadRequestError"),
    ("bedrock", "throttle"): (ModelThrottledException, "ThrottlingException"),
    ("bedrock", "server"): (ClientError, "InternalServerException"),
    ("bedrock", "overloaded"): (ClientError, "ServiceUnavailableException"),
    ("bedrock", "auth"): (ClientError, "AccessDeniedException"),
    ("bedrock", "unknown_model"): (ClientError, "ValidationException"),
    ("bedrock", "context_overflow"): (ContextWindowOverflowException, "ValidationException"),
}


def sdk_error_name(error: BaseException) -> str:
    """The SDK's error class name, or botocore's error code (looking through Strands' wrapper)."""
    inner = error if isinstance(error, ClientError) or error.__cause__ is None else error.__cause__
    if isinstance(inner, ClientError):
        return str(inner.response["Error"]["Code"])
    return type(inner).__name__


@pytest.mark.parametrize("retries", [0, None], ids=["max_retries=0", "sdk-default"])
@pytest.mark.parametrize("kind", ERROR_KINDS)
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_error_kinds(
    provider: Provider,
    kind: ErrorKind,
    retries: int | None,
    scripted_server: ServerFactory,
    botocore_sleeps: list[float],
) -> None:
    server = await scripted_server(provider, ProviderError(kind, retry_after=FAST))
    raised, detail = EXPECTED_ERRORS[(provider, kind)]

    with pytest.raises(raised) as caught:
        await collect(server.strands_model(max_retries=retries), user_message())

    assert sdk_error_name(caught.value) == detail
    if raised is Exception:  # the SDK's own error class, not wrapped by Strands
        assert type(caught.value).__module__.split(".")[0] == provider
        assert not isinstance(caught.value, ModelThrottledException | ContextWindowOverflowException)
    expected_requests = 3 if retries is None and kind in RETRIED_KINDS else 1
    assert server.request_count == expected_requests
    if provider == "bedrock":
        assert len(botocore_sleeps) == expected_requests - 1  # botocore ignored Retry-After and backed off


@pytest.mark.parametrize(
    ("status", "code"), [(400, "ThrottlingException"), (404, "ResourceNotFoundException")]
)
async def test_bedrock_status_variants(
    status: int, code: str, scripted_server: ServerFactory, botocore_sleeps: list[float]
) -> None:
    """Throttling at HTTP 400 is still a throttle (botocore and Strands match the code, not the status);
    unknown_model at 404 is ResourceNotFoundException."""
    kind: ErrorKind = "throttle" if code == "ThrottlingException" else "unknown_model"
    server = await scripted_server("bedrock", ProviderError(kind, status=status))
    with pytest.raises(Exception) as caught:  # noqa: PT011 - checked below
        await collect(server.strands_model(), user_message())
    assert sdk_error_name(caught.value) == code
    assert isinstance(caught.value, ModelThrottledException) == (kind == "throttle")
    assert server.request_count == (3 if kind == "throttle" else 1)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_sdk_retries_recover_within_one_call(
    provider: Provider, scripted_server: ServerFactory, botocore_sleeps: list[float]
) -> None:
    """A single 429 or 500 never reaches Strands: the SDK's retry makes the call succeed (2 requests)."""
    for script in (throttled_then_happy(retry_after=FAST), server_error_then_happy(retry_after=FAST)):
        server = await scripted_server(provider, script)
        stop_reason, message, _ = await final_message(server.strands_model(), user_message(), TOOL_SPECS)
        assert (stop_reason, tool_uses(message)[0]["name"]) == ("tool_use", "current_time")
        assert server.request_count == 2


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_sdk_honours_retry_after_ms(provider: Provider, scripted_server: ServerFactory) -> None:
    """The SDK waited for the scripted ``retry-after-ms`` (0.3 s) rather than its own back-off."""
    import time

    server = await scripted_server(provider, throttled_then_happy(retry_after=0.3))
    started = time.monotonic()
    await collect(server.strands_model(max_retries=1), user_message(), TOOL_SPECS)
    assert 0.29 <= time.monotonic() - started < 2.0
    assert server.request_count == 2


# --------------------------------------------------------------------------------------------------
# A full strands.Agent over each provider
# --------------------------------------------------------------------------------------------------

calls: list[tuple[str, dict[str, Any]]] = []


@tool
def current_time(timezone: str = "UTC") -> dict[str, Any]:
    """Get the current date and time in a timezone.

    Args:
        timezone: IANA timezone name, e.g. "Europe/Paris".
    """
    calls.append(("current_time", {"timezone": timezone}))
    return {"status": "success", "content": [{"json": {**CURRENT_TIME_RESULT, "timezone": timezone}}]}


@tool
def parse_date_with_timezone(
    date_text: str, timezone: str = "UTC", reference: str | None = None
) -> dict[str, Any]:
    """Resolve a time phrase into an exact verification date.

    Args:
        date_text: The time phrase, e.g. "by March 2027".
        timezone: IANA timezone name.
        reference: ISO-8601 date-time to resolve relative phrases against.
    """
    calls.append(
        ("parse_date_with_timezone", {"date_text": date_text, "timezone": timezone, "reference": reference})
    )
    return {"status": "success", "content": [{"json": PARSE_RESULT}]}


def make_agent(model: Model, retry: ModelRetryStrategy | None = None) -> Agent:
    return Agent(
        model=model,
        tools=[current_time, parse_date_with_timezone],
        system_prompt="You are scripted.",
        callback_handler=None,
        structured_output_model=Prediction,
        retry_strategy=retry or ModelRetryStrategy(initial_delay=0),
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_agent_tool_loop_end_to_end(
    provider: Provider, threaded_scripted_server: ThreadedServerFactory
) -> None:
    """Synchronous ``Agent.__call__`` (its own loop in a worker thread) against a server thread."""
    calls.clear()
    server = threaded_scripted_server(provider, happy())
    agent = make_agent(server.strands_model(max_retries=0))

    result = agent(format_request(STATEMENT, TIMEZONE))

    assert calls == [
        ("current_time", {"timezone": TIMEZONE}),
        (
            "parse_date_with_timezone",
            {"date_text": "by March 2027", "timezone": TIMEZONE, "reference": NOW_LOCAL},
        ),
    ]
    prediction = result.structured_output
    assert isinstance(prediction, Prediction)
    assert prediction.prediction_statement == STATEMENT
    assert prediction.verification_date == datetime(2027, 3, 31, 21, 59, 59, tzinfo=UTC)
    assert prediction.initial_status == "pending"
    assert str(result.stop_reason) == "tool_use"
    assert server.request_count == 3  # no request after the Prediction tool result
    assert [message_count(body) for body in server.requests] == [1, 3, 5]
    assert STRUCTURED_OUTPUT_TOOL in conversation(server.requests[0]).tool_names
    assert server.errors == []


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_agent_retry_budget(
    provider: Provider, scripted_server: ServerFactory, botocore_sleeps: list[float]
) -> None:
    """One 429 is absorbed by the SDK (4 requests in all); an endless 429 costs 6 agent attempts x 3 SDK
    attempts = 18 requests; a 500 is not retried by the agent (3 requests)."""
    recovered = await scripted_server(provider, throttled_then_happy(retry_after=FAST))
    result = await make_agent(recovered.strands_model()).invoke_async(format_request(STATEMENT, TIMEZONE))
    assert isinstance(result.structured_output, Prediction)
    assert recovered.request_count == 4

    throttled = await scripted_server(provider, always_throttled(retry_after=FAST))
    with pytest.raises(ModelThrottledException):
        await make_agent(throttled.strands_model()).invoke_async(format_request(STATEMENT, TIMEZONE))
    assert throttled.request_count == 18

    failing = await scripted_server(provider, ProviderError("server", retry_after=FAST))
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the SDK's class, checked below
        await make_agent(failing.strands_model()).invoke_async(format_request(STATEMENT, TIMEZONE))
    assert sdk_error_name(caught.value) in {"InternalServerError", "InternalServerException"}
    assert failing.request_count == 3


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_agent_structured_output_failures(provider: Provider, scripted_server: ServerFactory) -> None:
    prose = await scripted_server(provider, prose_only())
    with pytest.raises(StructuredOutputException):
        await make_agent(prose.strands_model(max_retries=0)).invoke_async(format_request(STATEMENT, TIMEZONE))
    assert prose.request_count == 2
    forced = prose.requests[1]
    forced_choice = forced.get("tool_choice") or forced["toolConfig"]["toolChoice"]
    assert STRUCTURED_OUTPUT_TOOL in json.dumps(forced_choice)

    # Strands does not bound the invalid-structured-output loop: only the scripted auth error ends it.
    invalid = invalid_structured_output()

    def five_invalid_then_auth(body: dict[str, Any], index: int) -> Response | ProviderError:
        return invalid.turn_for(body, index) if index < 5 else ProviderError("auth")

    looping = await scripted_server(provider, five_invalid_then_auth)
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the SDK's auth error, checked below
        await make_agent(looping.strands_model(max_retries=0)).invoke_async(
            format_request(STATEMENT, TIMEZONE)
        )
    assert sdk_error_name(caught.value) in {"AuthenticationError", "AccessDeniedException"}
    assert looping.request_count == 6
    assert [message_count(body) for body in looping.requests] == [1, 3, 5, 7, 9, 11]
    assert "Validation failed for Prediction" in json.dumps(looping.requests[1]["messages"][-1])


@pytest.mark.parametrize(
    "script",
    [auth_error(), unknown_model(), context_overflow()],
    ids=["auth_error", "unknown_model", "context_overflow"],
)
async def test_ready_made_error_scripts_repeat(script: Script, scripted_server: ServerFactory) -> None:
    server = await scripted_server("openai", script)
    model = server.strands_model(max_retries=0)
    for _ in range(2):
        with pytest.raises(Exception):  # noqa: B017, PT011 - the classes are covered by test_error_kinds
            await collect(model, user_message())
    assert [recorded.turn for recorded in server.recorded] == [script.turn_for({}, 0)] * 2


def test_cli_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    """``python tests/providers/scripted.py PROVIDER --script NAME`` prints the base URL and env hints."""
    import scripted

    printed: list[str] = []

    async def fake_serve(server: ScriptedServer) -> None:
        async with server:
            printed.append(server.base_url)
            printed.extend(f"{key}={value}" for key, value in server.client_env().items())

    monkeypatch.setattr(scripted, "_serve_forever", fake_serve)
    assert scripted.main(["openai", "--script", "prose_only"]) == 0
    assert printed[0].startswith("http://127.0.0.1:")
    assert printed[0].endswith("/v1")
    assert f"CALLEDIT_MODEL_BASE_URL={printed[0]}" in printed
