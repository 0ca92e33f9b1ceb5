"""SQS emulator: the AWS JSON 1.0 wire API the unchanged boto3 ``sqs`` client calls, plus Lambda's SQS
event source mapping.

Mounted by the local stack under a path prefix (``routes(app, "/sqs")``; handlers get
``AWS_ENDPOINT_URL_SQS=http://127.0.0.1:PORT/sqs``). botocore posts every call to the endpoint with
``X-Amz-Target: AmazonSQS.<Operation>`` and ``Content-Type: application/x-amz-json-1.0``. Operations:
CreateQueue, GetQueueUrl, GetQueueAttributes, SetQueueAttributes, ListQueues, DeleteQueue, SendMessage,
SendMessageBatch, ReceiveMessage (long polling up to 20 s), DeleteMessage, DeleteMessageBatch,
ChangeMessageVisibility, ChangeMessageVisibilityBatch, PurgeQueue. Standard queues only.

Errors have SQS's JSON shape: ``{"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": ...}`` with
the ``x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender`` header that SQS sends for
clients of its former query protocol. botocore then raises ``client.exceptions.QueueDoesNotExist`` with
``Error.Code == "AWS.SimpleQueueService.NonExistentQueue"`` and ``Error.QueryErrorCode ==
"QueueDoesNotExist"``, as against AWS.

Queues come from ``queues`` (name -> ``QueueConfig``) and from CreateQueue. URLs are
``<endpoint>/000000000000/<name>``, ARNs ``arn:aws:sqs:us-east-1:000000000000:<name>``. A message is moved
to the queue's dead-letter queue when a receive finds it already received ``maxReceiveCount`` times (same
MessageId and SentTimestamp, receive count reset, ``DeadLetterQueueSourceArn`` set).

``add_consumer(queue, handler)`` is what Lambda does for an SQS trigger: pollers long-poll the queue,
call ``handler(event)`` on a thread with Lambda's SQS event, delete the batch on success, leave it on
an exception (visible again after the visibility timeout) and honour ``batchItemFailures``
(ReportBatchItemFailures): only the other messages are deleted; a malformed response fails the batch.

Persistence: one JSON file per queue, ``<data_dir>/sqs/<name>.json`` (temp file + rename), written in
the background a few milliseconds after each change and on ``stop()``; reloaded by ``start()``, where
messages that were in flight become visible again.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import copy
import dataclasses
import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from aiohttp import web

from calledit.local.events import sqs_record
from calledit.local.files import atomic_write
from calledit.local.template import ACCOUNT, REGION, LocalTemplate

logger = logging.getLogger(__name__)

MAX_BATCH = 10
MAX_WAIT_S = 20
MAX_VISIBILITY_S = 43200
DEFAULT_MAX_MESSAGE_SIZE = 262144
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
_INVALID_CHARS = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ARN = re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:([A-Za-z0-9_-]{1,80})$")
_SETTABLE: dict[str, tuple[int, int]] = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1048576),
    "MessageRetentionPeriod": (60, 1209600),
    "ReceiveMessageWaitTimeSeconds": (0, MAX_WAIT_S),
    "VisibilityTimeout": (0, MAX_VISIBILITY_S),
}
_OPAQUE = frozenset(
    {"Policy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "RedriveAllowPolicy"}
)
_DEFAULTS = {
    "DelaySeconds": "0",
    "MaximumMessageSize": str(DEFAULT_MAX_MESSAGE_SIZE),
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "SqsManagedSseEnabled": "true",
}
_COMPUTED = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
)
_SYSTEM = ("SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp")

# Shape name -> the former query protocol's code (what botocore reports as Error.Code).
_QUERY_CODES = {
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "QueueNameExists": "QueueAlreadyExists",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    "InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId",
    "BatchRequestTooLong": "AWS.SimpleQueueService.BatchRequestTooLong",
    "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
    "UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
    "PurgeQueueInProgress": "AWS.SimpleQueueService.PurgeQueueInProgress",
}

Handler = Callable[[dict[str, Any]], Any]  # returns None or {"batchItemFailures": [...]}


class SQSError(Exception):
    """An SQS error: its JSON shape name (``QueueDoesNotExist``), query code and message."""

    def __init__(self, shape: str, message: str, *, status: int = 400, sender: bool = True) -> None:
        super().__init__(f"{shape}: {message}")
        self.shape = shape
        self.code = _QUERY_CODES.get(shape, shape)
        self.message = message
        self.status = status
        self.sender = sender


def _no_queue() -> SQSError:
    return SQSError("QueueDoesNotExist", "The specified queue does not exist.")


def _invalid(message: str) -> SQSError:
    return SQSError("InvalidParameterValue", message)


@dataclass(frozen=True)
class QueueConfig:
    """A queue the stack declares (template.yaml): visibility timeout and redrive policy."""

    visibility_timeout: int = 30
    max_receive_count: int | None = None
    dead_letter_queue: str | None = None  # the DLQ's name
    delay_seconds: int = 0
    message_retention_period: int = 345600
    maximum_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    receive_message_wait_time_seconds: int = 0

    def __post_init__(self) -> None:
        if (self.dead_letter_queue is None) != (self.max_receive_count is None):
            raise ValueError("a redrive policy needs both dead_letter_queue and max_receive_count")

    def attributes(self) -> dict[str, str]:
        out = {
            "VisibilityTimeout": str(self.visibility_timeout),
            "DelaySeconds": str(self.delay_seconds),
            "MessageRetentionPeriod": str(self.message_retention_period),
            "MaximumMessageSize": str(self.maximum_message_size),
            "ReceiveMessageWaitTimeSeconds": str(self.receive_message_wait_time_seconds),
        }
        if self.dead_letter_queue:
            out["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": queue_arn(self.dead_letter_queue),
                    "maxReceiveCount": self.max_receive_count,
                },
                separators=(",", ":"),
            )
        return out


def declared_queues(template: LocalTemplate) -> dict[str, QueueConfig]:
    """The template's queues by name, with their timeouts and redrive policies."""
    return {
        q.name: QueueConfig(
            visibility_timeout=q.visibility_timeout_s,
            message_retention_period=q.retention_s,
            max_receive_count=q.max_receive_count,
            dead_letter_queue=template.queues[q.dead_letter].name if q.dead_letter else None,
        )
        for q in template.queues.values()
    }


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def queue_name_from_arn(arn: str) -> str | None:
    """The queue name of an SQS ARN, or None when ``arn`` is not one."""
    match = _ARN.match(arn)
    return match.group(1) if match else None


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def md5_of_attributes(attributes: dict[str, dict[str, Any]]) -> str:
    """SQS's MD5OfMessageAttributes (binary values as base64 strings, as on the JSON wire)."""
    digest = hashlib.md5(usedforsecurity=False)
    for name in sorted(attributes):
        value = attributes[name]
        for part in (name.encode(), str(value["DataType"]).encode()):
            digest.update(len(part).to_bytes(4, "big") + part)
        if "StringValue" in value:
            digest.update(b"\x01")
            data = str(value["StringValue"]).encode()
        else:
            digest.update(b"\x02")
            data = base64.b64decode(value["BinaryValue"])
        digest.update(len(data).to_bytes(4, "big") + data)
    return digest.hexdigest()


@dataclass
class _Message:
    id: str
    body: str
    md5: str
    attributes: dict[str, dict[str, Any]]
    sent_ms: int
    sender_id: str
    receive_count: int = 0
    first_receive_ms: int | None = None
    visible_at: float = 0.0
    receipt: str | None = None  # the latest receipt handle; None if never received (or since restart)
    system: dict[str, str] = field(default_factory=dict)  # AWSTraceHeader, DeadLetterQueueSourceArn

    def system_attributes(self) -> dict[str, str]:
        out = {
            "SenderId": self.sender_id,
            "SentTimestamp": str(self.sent_ms),
            "ApproximateReceiveCount": str(self.receive_count),
        }
        if self.first_receive_ms is not None:
            out["ApproximateFirstReceiveTimestamp"] = str(self.first_receive_ms)
        return out | self.system


@dataclass
class _Queue:
    name: str
    attributes: dict[str, str]
    created: float
    modified: float
    messages: dict[str, _Message] = field(default_factory=dict)  # insertion order ~ sending order

    def number(self, key: str) -> int:
        return int(self.attributes.get(key, _DEFAULTS.get(key, "0")))

    @property
    def redrive(self) -> tuple[str, int] | None:
        raw = self.attributes.get("RedrivePolicy")
        if not raw:
            return None
        policy = json.loads(raw)
        name = queue_name_from_arn(str(policy["deadLetterTargetArn"]))
        return (name, int(policy["maxReceiveCount"])) if name else None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "attributes": self.attributes,
            "created": self.created,
            "modified": self.modified,
            "messages": [dataclasses.asdict(m) for m in self.messages.values()],
        }


@dataclass
class _Consumer:
    queue: str
    handler: Handler
    batch_size: int
    max_concurrency: int
    report_batch_item_failures: bool
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def _receipt(queue: str, message_id: str) -> str:
    raw = json.dumps([queue, message_id, uuid.uuid4().hex], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _parse_receipt(receipt: str) -> tuple[str, str] | None:
    try:
        queue, message_id, _ = json.loads(base64.urlsafe_b64decode(receipt.encode()))
    except (ValueError, TypeError, binascii.Error):
        return None
    if not isinstance(queue, str) or not isinstance(message_id, str):
        return None
    return queue, message_id


def _int_param(body: dict[str, Any], key: str, low: int, high: int, default: int | None) -> int | None:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _invalid(
            f"Value {value} for parameter {key} is invalid. Reason: Must be between {low} and {high}."
        )
    return value


def _batch_failures(result: Any, ids: set[str]) -> set[str] | None:
    """The message ids a ReportBatchItemFailures response names; None when the whole batch failed."""
    if not isinstance(result, dict) or result.get("batchItemFailures") is None:
        return set()
    failures = result["batchItemFailures"]
    if not isinstance(failures, list):
        return None
    failed: set[str] = set()
    for item in failures:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(ident, str) or ident not in ids:
            return None  # Lambda fails the whole batch on an empty or unknown identifier
        failed.add(ident)
    return failed


class SQS:
    """SQS on loopback: ``routes(app, prefix)``, then ``await start()`` / ``await stop()``.

    ``endpoint`` is the URL handlers use (``AWS_ENDPOINT_URL_SQS``); queue URLs are built on it. Without
    one, it is taken from the first request. Thread-safe: ``send_message`` and ``deliver`` may be
    called from any thread (the scheduler's deliveries, Lambda handlers).
    """

    def __init__(
        self,
        data_dir: Path,
        queues: dict[str, QueueConfig] | None = None,
        *,
        endpoint: str | None = None,
        flush_delay_s: float = 0.02,
    ) -> None:
        self.dir = data_dir / "sqs"
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.flush_delay_s = flush_delay_s
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._queues: dict[str, _Queue] = {}
        self._configured = dict(queues or {})
        self._dirty: set[str] = set()
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self._consumers: list[_Consumer] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._flush_wanted: asyncio.Event | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._prefix = ""
        now = time.time()
        for name, config in self._configured.items():
            self._check_name(name)
            self._queues[name] = _Queue(name, _DEFAULTS | config.attributes(), now, now)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        await asyncio.to_thread(self._load)
        self._flush_wanted = asyncio.Event()
        self._flusher = asyncio.create_task(self._flush_loop(), name="sqs-flush")
        for consumer in self._consumers:
            self._start_consumer(consumer)

    async def stop(self) -> None:
        tasks = [t for c in self._consumers for t in c.tasks]
        if self._flusher is not None:
            tasks.append(self._flusher)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for consumer in self._consumers:
            consumer.tasks.clear()
        self._flusher = None
        self._loop = None  # long polls still waiting return now (empty)
        self._loop_thread = None
        for name in list(self._waiters):
            self._wake(name)
        with self._lock:
            self._dirty.update(self._queues)
        await asyncio.to_thread(self._flush)

    def _load(self) -> None:
        if not self.dir.is_dir():
            return
        now = time.time()
        with self._lock:
            for path in sorted(self.dir.glob("*.json")):
                data = json.loads(path.read_text(encoding="utf-8"))
                name = str(data["name"])
                messages = {}
                for raw in data.get("messages", []):
                    message = _Message(**raw)
                    if message.receipt is not None:  # in flight when the stack stopped: visible again
                        message.receipt = None
                        message.visible_at = min(message.visible_at, now)
                    messages[message.id] = message
                queue = self._queues.get(name)
                if queue is None:
                    queue = _Queue(name, data["attributes"], data["created"], data["modified"])
                    self._queues[name] = queue
                else:
                    queue.created = data["created"]
                queue.messages = messages
            loaded = sum(len(q.messages) for q in self._queues.values())
        logger.info("sqs: %d queues, %d messages loaded from %s", len(self._queues), loaded, self.dir)

    def _flush(self) -> None:
        with self._write_lock:
            with self._lock:
                names, self._dirty = self._dirty, set()
                texts = {
                    name: (json.dumps(self._queues[name].to_json()) if name in self._queues else None)
                    for name in names
                }
            for name, text in texts.items():
                path = self.dir / f"{name}.json"
                if text is None:
                    path.unlink(missing_ok=True)
                else:
                    atomic_write(path, text)

    async def _flush_loop(self) -> None:
        assert self._flush_wanted is not None
        while True:
            await self._flush_wanted.wait()
            self._flush_wanted.clear()
            await asyncio.sleep(self.flush_delay_s)
            try:
                await asyncio.to_thread(self._flush)
            except OSError:
                logger.exception("sqs: could not persist the queues")

    def _call_in_loop(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the emulator's loop (now if on it), from any thread; dropped if stopped."""
        loop = self._loop
        if loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            callback()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(callback)

    def _changed(self, name: str, *, wake: bool = False) -> None:
        """Called with the lock held: persist ``name`` soon; wake its long-polls if messages arrived."""
        self._dirty.add(name)
        if self._flush_wanted is not None:
            self._call_in_loop(self._flush_wanted.set)
        if wake:
            self._call_in_loop(lambda: self._wake(name))

    def _wake(self, name: str) -> None:
        for waiter in self._waiters.pop(name, set()):
            if not waiter.done():
                waiter.set_result(None)

    # ------------------------------------------------------------------ queues

    @staticmethod
    def _check_name(name: str) -> None:
        if name.endswith(".fifo"):
            raise SQSError("UnsupportedOperation", "FIFO queues are not supported by the local SQS emulator.")
        if not _QUEUE_NAME.match(name):
            raise _invalid(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
            )

    def queue_url(self, name: str) -> str:
        return f"{self.endpoint or 'http://127.0.0.1'}/{ACCOUNT}/{name}"

    def _queue(self, ref: str) -> _Queue:
        """A queue by URL, ARN or name."""
        name = queue_name_from_arn(ref) or urlparse(ref).path.rstrip("/").rsplit("/", 1)[-1]
        queue = self._queues.get(name)
        if queue is None:
            raise _no_queue()
        return queue

    def _validated_attributes(self, attributes: Any, *, creating: bool) -> dict[str, str]:
        if attributes is None:
            return {}
        if not isinstance(attributes, dict):
            raise _invalid("Attributes must be a map.")
        out: dict[str, str] = {}
        for key, value in attributes.items():
            if not isinstance(value, str):
                raise SQSError("InvalidAttributeValue", f"Invalid value for the parameter {key}.")
            if key == "FifoQueue" and value.lower() == "true":
                raise SQSError(
                    "UnsupportedOperation", "FIFO queues are not supported by the local SQS emulator."
                )
            if key in _SETTABLE:
                low, high = _SETTABLE[key]
                if not value.isdigit() or not low <= int(value) <= high:
                    raise SQSError("InvalidAttributeValue", f"Invalid value for the parameter {key}.")
                out[key] = str(int(value))
            elif key == "RedrivePolicy":
                out[key] = self._redrive_policy(value)
            elif key in _OPAQUE or (key == "FifoQueue" and creating):
                out[key] = value
            else:
                raise SQSError("InvalidAttributeName", f"Unknown Attribute {key}.")
        out.pop("FifoQueue", None)
        return out

    def _redrive_policy(self, value: str) -> str:
        if value == "":
            return ""
        try:
            policy = json.loads(value)
            target = str(policy["deadLetterTargetArn"])
            count = int(policy["maxReceiveCount"])
        except (ValueError, TypeError, KeyError) as exc:
            raise _invalid(
                f"Value {value} for parameter RedrivePolicy is invalid. Reason: Invalid JSON."
            ) from exc
        if not 1 <= count <= 1000:
            raise _invalid(
                f"Value {value} for parameter RedrivePolicy is invalid. Reason: Invalid value for "
                "maxReceiveCount: must be between 1 and 1000."
            )
        name = queue_name_from_arn(target)
        if name is None or name not in self._queues:
            raise _invalid(
                f"Value {value} for parameter RedrivePolicy is invalid. "
                "Reason: Dead-letter target does not exist."
            )
        return json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": count}, separators=(",", ":"))

    def create_queue(self, name: str, attributes: dict[str, str] | None = None) -> str:
        """CreateQueue: the queue's URL (existing queues with the same attributes are returned)."""
        self._check_name(name)
        with self._lock:
            wanted = self._validated_attributes(attributes, creating=True)
            queue = self._queues.get(name)
            if queue is not None:
                for key, value in wanted.items():
                    if queue.attributes.get(key, _DEFAULTS.get(key)) != value:
                        raise SQSError(
                            "QueueNameExists",
                            "A queue already exists with the same name and a different value for "
                            f"attribute {key}",
                        )
                return self.queue_url(name)
            now = time.time()
            self._queues[name] = _Queue(name, _DEFAULTS | wanted, now, now)
            self._changed(name)
        return self.queue_url(name)

    def _queue_attributes(self, queue: _Queue, names: list[str]) -> dict[str, str]:
        now = time.time()
        wanted = set(names)
        everything = "All" in wanted
        known = set(_COMPUTED) | set(_SETTABLE) | _OPAQUE | {"RedrivePolicy"}
        for name in wanted - {"All"}:
            if name not in known:
                raise SQSError("InvalidAttributeName", f"Unknown Attribute {name}.")
        visible = sum(1 for m in queue.messages.values() if m.visible_at <= now)
        in_flight = sum(1 for m in queue.messages.values() if m.visible_at > now and m.receipt is not None)
        values: dict[str, str] = {k: v for k, v in queue.attributes.items() if v != ""}
        values |= {
            "ApproximateNumberOfMessages": str(visible),
            "ApproximateNumberOfMessagesNotVisible": str(in_flight),
            "ApproximateNumberOfMessagesDelayed": str(len(queue.messages) - visible - in_flight),
            "CreatedTimestamp": str(int(queue.created)),
            "LastModifiedTimestamp": str(int(queue.modified)),
            "QueueArn": queue_arn(queue.name),
        }
        return {k: v for k, v in values.items() if everything or k in wanted}

    # ------------------------------------------------------------------ messages

    def _message_attributes(self, raw: Any) -> tuple[dict[str, dict[str, Any]], int]:
        """Validated message attributes (wire form) and their size in bytes."""
        if raw is None:
            return {}, 0
        if not isinstance(raw, dict):
            raise _invalid("MessageAttributes must be a map.")
        if len(raw) > 10:
            raise _invalid(f"Number of message attributes [{len(raw)}] exceeds the allowed maximum [10].")
        out: dict[str, dict[str, Any]] = {}
        size = 0
        for name, value in raw.items():
            if (
                not _ATTRIBUTE_NAME.match(name)
                or name.lower().startswith(("aws.", "amazon."))
                or name.startswith(".")
                or name.endswith(".")
                or ".." in name
            ):
                raise _invalid(f"Message (user) attribute name {name} is invalid.")
            if not isinstance(value, dict) or not isinstance(value.get("DataType"), str):
                raise _invalid(f"The message attribute '{name}' must contain a non-empty attribute type.")
            data_type = str(value["DataType"])
            base = data_type.split(".", 1)[0]
            if base in ("String", "Number"):
                text = value.get("StringValue")
                if not isinstance(text, str) or text == "":
                    raise _invalid(
                        f"The message attribute '{name}' with type '{base}' must use field 'String'."
                    )
                if base == "Number":
                    try:
                        float(text)
                    except ValueError as exc:
                        raise _invalid(
                            f"Can't cast the value of message (user) attribute '{name}' to a number."
                        ) from exc
                if _INVALID_CHARS.search(text):
                    raise SQSError(
                        "InvalidMessageContents", f"Invalid characters found in attribute '{name}'."
                    )
                out[name] = {"DataType": data_type, "StringValue": text}
                size += len(text.encode())
            elif base == "Binary":
                blob = value.get("BinaryValue")
                try:
                    data = base64.b64decode(blob, validate=True) if isinstance(blob, str) else b""
                except binascii.Error:
                    data = b""
                if not data:
                    raise _invalid(
                        f"The message attribute '{name}' with type 'Binary' must use field 'Binary'."
                    )
                out[name] = {"DataType": data_type, "BinaryValue": blob}
                size += len(data)
            else:
                raise _invalid(f"The type of message (user) attribute '{name}' is invalid.")
            size += len(name.encode()) + len(data_type.encode())
        return out, size

    def _prepare(self, queue: _Queue, entry: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Validate one message of SendMessage(Batch); returns what ``_enqueue`` takes and its size."""
        body = entry.get("MessageBody")
        if not isinstance(body, str) or body == "":
            raise SQSError("MissingParameter", "The request must contain the parameter MessageBody.")
        if _INVALID_CHARS.search(body):
            raise SQSError(
                "InvalidMessageContents",
                "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | "
                "#xE000 to #xFFFD | #x10000 to #x10FFFF",
            )
        delay = _int_param(entry, "DelaySeconds", 0, 900, queue.number("DelaySeconds"))
        attributes, size = self._message_attributes(entry.get("MessageAttributes"))
        system: dict[str, str] = {}
        trace = (entry.get("MessageSystemAttributes") or {}).get("AWSTraceHeader")
        if isinstance(trace, dict) and isinstance(trace.get("StringValue"), str):
            system["AWSTraceHeader"] = trace["StringValue"]
        size += len(body.encode())
        return {"body": body, "attributes": attributes, "delay": delay or 0, "system": system}, size

    def _check_size(self, queue: _Queue, size: int) -> None:
        limit = queue.number("MaximumMessageSize")
        if size > limit:
            raise _invalid(
                f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
            )

    def _enqueue(
        self,
        queue: _Queue,
        body: str,
        attributes: dict[str, dict[str, Any]],
        delay: int,
        system: dict[str, str],
        sender_id: str,
    ) -> _Message:
        now = time.time()
        message = _Message(
            id=str(uuid.uuid4()),
            body=body,
            md5=_md5(body.encode()),
            attributes=attributes,
            sent_ms=int(now * 1000),
            sender_id=sender_id,
            visible_at=now + delay,
            system=system,
        )
        queue.messages[message.id] = message
        self._changed(queue.name, wake=True)
        return message

    def send_message(
        self,
        queue: str,
        body: str,
        message_attributes: dict[str, dict[str, Any]] | None = None,
        delay_seconds: int | None = None,
        sender_id: str = ACCOUNT,
    ) -> str:
        """SendMessage from inside the stack (any thread); ``queue`` is a name, URL or ARN."""
        with self._lock:
            target = self._queue(queue)
            entry: dict[str, Any] = {"MessageBody": body, "MessageAttributes": message_attributes}
            if delay_seconds is not None:
                entry["DelaySeconds"] = delay_seconds
            prepared, size = self._prepare(target, entry)
            self._check_size(target, size)
            return self._enqueue(target, sender_id=sender_id, **prepared).id

    def deliver(self, target: dict[str, Any], payload: str) -> None:
        """The scheduler's ``deliver`` for a target whose ``Arn`` is a queue (raises if it is not one)."""
        arn = str(target.get("Arn", ""))
        if queue_name_from_arn(arn) is None:
            raise _no_queue()
        self.send_message(arn, payload, target.get("MessageAttributes"), sender_id="scheduler.amazonaws.com")

    def _take(self, queue: _Queue, count: int, visibility: int) -> list[_Message]:
        """Receive up to ``count`` visible messages (lock held); moves over-received ones to the DLQ."""
        now = time.time()
        retention = queue.number("MessageRetentionPeriod")
        redrive = queue.redrive
        dlq = self._queues.get(redrive[0]) if redrive else None
        taken: list[_Message] = []
        for message in list(queue.messages.values()):
            if len(taken) >= count:
                break
            if message.sent_ms / 1000 + retention < now:
                del queue.messages[message.id]
                self._changed(queue.name)
                continue
            if message.visible_at > now:
                continue
            if (
                redrive is not None
                and dlq is not None
                and dlq is not queue
                and message.receive_count >= redrive[1]
            ):
                del queue.messages[message.id]
                moved = dataclasses.replace(
                    message,
                    receive_count=0,
                    first_receive_ms=None,
                    visible_at=now,
                    receipt=None,
                    system=message.system | {"DeadLetterQueueSourceArn": queue_arn(queue.name)},
                )
                dlq.messages[moved.id] = moved
                logger.info("sqs: message %s moved from %s to %s", message.id, queue.name, dlq.name)
                self._changed(queue.name)
                self._changed(dlq.name, wake=True)
                continue
            message.receive_count += 1
            if message.first_receive_ms is None:
                message.first_receive_ms = int(now * 1000)
            message.visible_at = now + visibility
            message.receipt = _receipt(queue.name, message.id)
            taken.append(copy.deepcopy(message))
            self._changed(queue.name)
        return taken

    async def receive(
        self, queue: str, max_messages: int = 1, visibility_timeout: int | None = None, wait_s: float = 0.0
    ) -> list[_Message]:
        """ReceiveMessage with long polling; snapshots of the received messages (with receipt handles)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            with self._lock:
                target = self._queue(queue)
                visibility = (
                    target.number("VisibilityTimeout") if visibility_timeout is None else visibility_timeout
                )
                taken = self._take(target, max_messages, visibility)
                now = time.time()
                pending = [m.visible_at for m in target.messages.values() if m.visible_at > now]
                name = target.name
            remaining = deadline - loop.time()
            if taken or remaining <= 0 or self._loop is None:
                return taken
            if pending:
                remaining = min(remaining, max(min(pending) - now, 0.0) + 0.001)
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.setdefault(name, set()).add(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                pass
            finally:
                self._waiters.get(name, set()).discard(waiter)

    def _resolve_receipt(self, queue: _Queue, receipt: Any) -> _Message | None:
        """The message a receipt handle names, if it is its latest handle (lock held)."""
        parsed = _parse_receipt(receipt) if isinstance(receipt, str) else None
        if parsed is None or parsed[0] != queue.name:
            raise SQSError(
                "ReceiptHandleIsInvalid",
                f'The input receipt handle "{receipt}" is not a valid receipt handle.',
            )
        message = queue.messages.get(parsed[1])
        return message if message is not None and message.receipt == receipt else None

    def _delete(self, queue: _Queue, receipt: Any) -> None:
        message = self._resolve_receipt(queue, receipt)
        if message is not None:  # a stale handle succeeds without deleting, as SQS does
            del queue.messages[message.id]
            self._changed(queue.name)

    def _change_visibility(self, queue: _Queue, receipt: Any, timeout: Any) -> None:
        seconds = _int_param({"VisibilityTimeout": timeout}, "VisibilityTimeout", 0, MAX_VISIBILITY_S, None)
        if seconds is None:
            raise SQSError("MissingParameter", "The request must contain the parameter VisibilityTimeout.")
        message = self._resolve_receipt(queue, receipt)
        if message is None:
            raise _invalid(
                f"Value {receipt} for parameter ReceiptHandle is invalid. Reason: Message does not exist or "
                "is not available for visibility timeout change."
            )
        now = time.time()
        if message.visible_at <= now:
            raise SQSError("MessageNotInflight", "The message referred to isn't in flight.")
        message.visible_at = now + seconds
        self._changed(queue.name, wake=seconds == 0)

    # ------------------------------------------------------------------ event source mapping

    def add_consumer(
        self,
        queue_name: str,
        handler: Handler,
        batch_size: int = 10,
        max_concurrency: int = 2,
        *,
        report_batch_item_failures: bool = True,
    ) -> None:
        """Trigger ``handler`` (called on a thread) with Lambda's SQS events, as an event source mapping."""
        if batch_size < 1 or max_concurrency < 1:
            raise ValueError("batch_size and max_concurrency must be positive")
        consumer = _Consumer(queue_name, handler, batch_size, max_concurrency, report_batch_item_failures)
        self._consumers.append(consumer)
        if self._loop is not None:
            self._start_consumer(consumer)

    def _start_consumer(self, consumer: _Consumer) -> None:
        for i in range(consumer.max_concurrency):
            consumer.tasks.append(
                asyncio.create_task(self._poll(consumer), name=f"sqs-esm:{consumer.queue}:{i}")
            )

    @staticmethod
    def _record(queue: str, message: _Message) -> dict[str, Any]:
        record = sqs_record(
            message.body,
            queue_arn=queue_arn(queue),
            message_id=message.id,
            receipt_handle=message.receipt,
            attributes={
                k: v for k, v in message.system_attributes().items() if k != "DeadLetterQueueSourceArn"
            },
            message_attributes={
                name: {
                    **({"stringValue": v["StringValue"]} if "StringValue" in v else {}),
                    **({"binaryValue": v["BinaryValue"]} if "BinaryValue" in v else {}),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": v["DataType"],
                }
                for name, v in message.attributes.items()
            },
        )
        if message.attributes:
            record["md5OfMessageAttributes"] = md5_of_attributes(message.attributes)
        return record

    async def _poll(self, consumer: _Consumer) -> None:
        while True:
            try:
                await self._poll_once(consumer)
            except SQSError:
                await asyncio.sleep(1.0)  # the queue does not exist (yet, or any more)
            except Exception:
                logger.exception("sqs: the poller of %s failed", consumer.queue)
                await asyncio.sleep(1.0)

    async def _poll_once(self, consumer: _Consumer) -> None:
        """One receive (long poll), one invoke, then deletes: an event source mapping's cycle."""
        batch = await self.receive(consumer.queue, consumer.batch_size, None, MAX_WAIT_S)
        if not batch:
            return
        event = {"Records": [self._record(consumer.queue, m) for m in batch]}
        try:
            result = await asyncio.to_thread(consumer.handler, event)
        except Exception:
            logger.exception("sqs: the consumer of %s failed; the batch will be retried", consumer.queue)
            return
        ids = {m.id for m in batch}
        failed = _batch_failures(result, ids) if consumer.report_batch_item_failures else set()
        if failed is None:
            logger.warning("sqs: invalid batchItemFailures from the consumer of %s", consumer.queue)
            return
        with self._lock:
            queue = self._queue(consumer.queue)
            for message in batch:
                if message.id not in failed:
                    self._delete(queue, message.receipt)

    # ------------------------------------------------------------------ HTTP

    def routes(self, app: web.Application, prefix: str) -> None:
        prefix = "/" + prefix.strip("/")
        self._prefix = prefix
        app.router.add_post(prefix, self._handle)
        app.router.add_post(f"{prefix}/", self._handle)
        app.router.add_post(f"{prefix}/{{account}}/{{queue}}", self._handle)

    @staticmethod
    def _error(exc: SQSError) -> web.Response:
        body = {"__type": f"com.amazonaws.sqs#{exc.shape}", "message": exc.message}
        return web.Response(
            text=json.dumps(body),
            status=exc.status,
            content_type="application/x-amz-json-1.0",
            headers={
                "x-amzn-query-error": f"{exc.code};{'Sender' if exc.sender else 'Receiver'}",
                "x-amzn-RequestId": str(uuid.uuid4()),
            },
        )

    async def _handle(self, request: web.Request) -> web.Response:
        if self.endpoint is None:
            self.endpoint = f"{request.scheme}://{request.host}{self._prefix}"
        target = request.headers.get("X-Amz-Target", "")
        operation = target.removeprefix("AmazonSQS.")
        handler = self._operations().get(operation) if target.startswith("AmazonSQS.") else None
        if handler is None:
            return web.Response(
                text=json.dumps(
                    {
                        "__type": "com.amazon.coral.service#UnknownOperationException",
                        "message": f"Unknown operation {target or '(no X-Amz-Target)'}: this emulator "
                        "serves SQS's JSON protocol only",
                    }
                ),
                status=400,
                content_type="application/x-amz-json-1.0",
            )
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return web.Response(
                text=json.dumps(
                    {"__type": "com.amazon.coral.service#SerializationException", "message": "Invalid JSON"}
                ),
                status=400,
                content_type="application/x-amz-json-1.0",
            )
        sender = self._sender(request)
        try:
            result = await handler(body, sender)
        except SQSError as exc:
            return self._error(exc)
        return web.Response(
            text=json.dumps(result),
            content_type="application/x-amz-json-1.0",
            headers={"x-amzn-RequestId": str(uuid.uuid4())},
        )

    @staticmethod
    def _sender(request: web.Request) -> str:
        match = re.search(r"Credential=([^/,\s]+)/", request.headers.get("Authorization", ""))
        return match.group(1) if match else ACCOUNT

    def _operations(self) -> dict[str, Callable[[dict[str, Any], str], Awaitable[dict[str, Any]]]]:
        return {
            "CreateQueue": self._op_create_queue,
            "GetQueueUrl": self._op_get_queue_url,
            "GetQueueAttributes": self._op_get_queue_attributes,
            "SetQueueAttributes": self._op_set_queue_attributes,
            "ListQueues": self._op_list_queues,
            "DeleteQueue": self._op_delete_queue,
            "PurgeQueue": self._op_purge_queue,
            "SendMessage": self._op_send_message,
            "SendMessageBatch": self._op_send_message_batch,
            "ReceiveMessage": self._op_receive_message,
            "DeleteMessage": self._op_delete_message,
            "DeleteMessageBatch": self._op_delete_message_batch,
            "ChangeMessageVisibility": self._op_change_message_visibility,
            "ChangeMessageVisibilityBatch": self._op_change_message_visibility_batch,
        }

    @staticmethod
    def _required(body: dict[str, Any], key: str) -> str:
        value = body.get(key)
        if not isinstance(value, str) or not value:
            raise SQSError("MissingParameter", f"The request must contain the parameter {key}.")
        return value

    async def _op_create_queue(self, body: dict[str, Any], sender: str) -> dict[str, Any]:
        return {"QueueUrl": self.create_queue(self._required(body, "QueueName"), body.get("Attributes"))}

    async def _op_get_queue_url(self, body: dict[str, Any], sender: str) -> dict[str, Any]:
        name = self._required(body, "QueueName")
        with self._lock:
            if name not in self._queues:
                raise _no_queue()
        return {"QueueUrl": self.queue_url(name)}

    async def _op_get_queue_attributes(self, body: dict[str, Any], sender: str) -> dict[str, Any]:
        names = body.get("AttributeNames") or []
        with self._lock:
            attributes = self._queue_attributes(self._queue(self._required(body, "QueueUrl")), list(names))
        return {"Attributes": attributes} if attributes else {}

    async def _op_set_queue_attributes(self, body: dict[str, Any], sender: str) -> dict[str, Any]:
        with self._lock:
            queue = self._queue(self._required(body, "QueueUrl"))
            queue.attributes |= self._validated_attributes(body.get("Attributes"), creating=False)
            queue.modified = time.time()
            self._changed(queue.name, wake=True)
        return {}

    async def _op_list_queues(self, body: dict[str, Any], sender: str) -> dict[str, Any]:
        prefix = body.get("QueueNamePrefix") or ""
        size = _int_param(body, "MaxResults", 1, 1000, 1000) or 1000
        start = int(body["NextToken"]) if str(body.get("NextToken", "")).isdigit() else 0
        with self._lock:
            names = sorted(n for n in self._queues if n.startswith(prefix))
        page = names[start : start + size]
        out: dict[str, Any] = {}
        if page:
            out["QueueUrls"] = [self.queue_url(n) for n in page]
        if "MaxResults" in body and start + size < len(names):
            out["NextToken"] = str(start + size)
        return out

    async def _op_delete_queue(self, body: dict[str, Any], sender: str) -> dict[str, Any]:
        with self._lock:
            queue = self._queue(self._required(body, "QueueUrl"))
            del self._queues[queue.name]
            self._changed(queue.name, wake=True)
        return {}

    async def _op_purge_queue(self, body: dict[str, Any], sender: str) -> dict[str, Any]:
        with self._lock:
            queue = self._queue(self._required(body, "QueueUrl"))
            queue.messages.clear()
            self._changed(queue.name)
        return {}

    async def _op_send_message(self, body: dict[str, Any], sender: str) -> dict[str, Any]:
        with self._lock:
            queue = self._queue(self._required(body, "QueueUrl"))
            prepared, size = self._prepare(queue, body)
            self._check_size(queue, size)
            message = self._enqueue(queue, sender_id=sender, **prepared)
        out = {"MessageId": message.id, "MD5OfMessageBody": message.md5}
        if message.attributes:
            out["MD5OfMessageAttributes"] = md5_of_attributes(message.attributes)
        return out

    @staticmethod
    def _entries(body: dict[str, Any], what: str) -> list[dict[str, Any]]:
        entries = body.get("Entries")
        if not isinstance(entries, list) or not entries:
            raise SQSError(
                "EmptyBatchRequest", f"There should be at least one {what}RequestEntry in the request."
            )
        if len(entries) > MAX_BATCH:
            raise SQSError(
                "TooManyEntriesInBatchRequest",
                f"Maximum number of entries per request are {MAX_BATCH}. You have sent {len(entries)}.",
            )
        seen: set[str] = set()
        for entry in entries:
            ident = entry.get("Id") if isinstance(entry, dict) else None
            if not isinstance(ident, str) or not _BATCH_ID.match(ident):
                raise SQSError(
                    "InvalidBatchEntryId",
                    "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
                    "It can be at most 80 letters long.",
                )
            if ident in seen:
                raise SQSError("BatchEntryIdsNotDistinct", f"Id {ident} repeated.")
            seen.add(ident)
        return entries

    @staticmethod
    def _failed(ident: str, exc: SQSError) -> dict[str, Any]:
        return {"Id": ident, "SenderFault": exc.sender, "Code": exc.code, "Message": exc.message}

    async def _op_send_message_batch(self, body: dict[str, Any], sender: str) -> dict[str, Any]:
        entries = self._entries(body, "SendMessageBatch")
        successful: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        with self._lock:
            queue = self._queue(self._required(body, "QueueUrl"))
            prepared: list[tuple[str, dict[str, Any] | SQSError]] = []
            total = 0
            for entry in entries:
                try:
                    item, size = self._prepare(queue, entry)
                    total += size
                    prepared.append((entry["Id"], item))
                except SQSError as exc:
                    prepared.append((entry["Id"], exc))
            limit = queue.number("MaximumMessageSize")
            if total > limit:
                raise SQSError(
                    "BatchRequestTooLong",
                    f"Batch requests cannot be longer than {limit} bytes. You have sent {total} bytes.",
                )
            for ident, result in prepared:
                if isinstance(result, SQSError):
                    failed.append(self._failed(ident, result))
                    continue
                message = self._enqueue(queue, sender_id=sender, **result)
                ok = {"Id": ident, "MessageId": message.id, "MD5OfMessageBody": message.md5}
                if message.attributes:
                    ok["MD5OfMessageAttributes"] = md5_of_attributes(message.attributes)
                successful.append(ok)
        return {"Successful": successful, "Failed": failed}

    async def _op_receive_message(self, body: dict[str, Any], sender: str) -> dict[str, Any]:
        url = self._required(body, "QueueUrl")
        with self._lock:
            queue = self._queue(url)
            default_wait = queue.number("ReceiveMessageWaitTimeSeconds")
        count = _int_param(body, "MaxNumberOfMessages", 1, MAX_BATCH, 1) or 1
        visibility = _int_param(body, "VisibilityTimeout", 0, MAX_VISIBILITY_S, None)
        wait = _int_param(body, "WaitTimeSeconds", 0, MAX_WAIT_S, default_wait) or 0
        system_names = set(body.get("AttributeNames") or []) | set(
            body.get("MessageSystemAttributeNames") or []
        )
        attribute_names = list(body.get("MessageAttributeNames") or [])
        messages = await self.receive(url, count, visibility, wait)
        out = []
        for message in messages:
            item: dict[str, Any] = {
                "MessageId": message.id,
                "ReceiptHandle": message.receipt,
                "MD5OfBody": message.md5,
                "Body": message.body,
            }
            system = {
                k: v
                for k, v in message.system_attributes().items()
                if "All" in system_names or k in system_names
            }
            if system:
                item["Attributes"] = system
            chosen = {
                name: value
                for name, value in message.attributes.items()
                if any(
                    pattern in ("All", ".*")
                    or pattern == name
                    or (pattern.endswith(".*") and name.startswith(pattern[:-1]))
                    for pattern in attribute_names
                )
            }
            if chosen:
                item["MessageAttributes"] = chosen
                item["MD5OfMessageAttributes"] = md5_of_attributes(chosen)
            out.append(item)
        return {"Messages": out} if out else {}

    async def _op_delete_message(self, body: dict[str, Any], sender: str) -> dict[str, Any]:
        with self._lock:
            queue = self._queue(self._required(body, "QueueUrl"))
            self._delete(queue, self._required(body, "ReceiptHandle"))
        return {}

    async def _op_delete_message_batch(self, body: dict[str, Any], sender: str) -> dict[str, Any]:
        return self._each_entry(
            body, "DeleteMessageBatch", lambda queue, entry: self._delete(queue, entry.get("ReceiptHandle"))
        )

    async def _op_change_message_visibility(self, body: dict[str, Any], sender: str) -> dict[str, Any]:
        with self._lock:
            queue = self._queue(self._required(body, "QueueUrl"))
            self._change_visibility(
                queue, self._required(body, "ReceiptHandle"), body.get("VisibilityTimeout")
            )
        return {}

    async def _op_change_message_visibility_batch(self, body: dict[str, Any], sender: str) -> dict[str, Any]:
        return self._each_entry(
            body,
            "ChangeMessageVisibilityBatch",
            lambda queue, entry: self._change_visibility(
                queue, entry.get("ReceiptHandle"), entry.get("VisibilityTimeout")
            ),
        )

    def _each_entry(
        self, body: dict[str, Any], action: str, apply: Callable[[_Queue, dict[str, Any]], None]
    ) -> dict[str, Any]:
        """A batch action whose entries succeed or fail one by one, under one lock."""
        entries = self._entries(body, action)
        successful: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        with self._lock:
            queue = self._queue(self._required(body, "QueueUrl"))
            for entry in entries:
                try:
                    apply(queue, entry)
                    successful.append({"Id": entry["Id"]})
                except SQSError as exc:
                    failed.append(self._failed(entry["Id"], exc))
        return {"Successful": successful, "Failed": failed}
