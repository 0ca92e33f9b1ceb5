"""The job's frame log: every frame of a request, compacted, so a resume can replay what a client missed.

Stored as one binary attribute on the job record: the frames without their (shared) ``request_id``,
consecutive text frames merged into one record of ``[seq, content]`` parts, as compact JSON under
zlib. A bounded run (turns, output tokens) stays far below ``MAX_LOG_BYTES``; if a log ever grows
past it, the oldest text is elided (the frames keep their ``seq``, so numbering never has a gap).
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

logger = logging.getLogger(__name__)

MAX_LOG_BYTES = 256 * 1024
ELIDED = "…"


def _records(frames: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for body in frames:
        if body.get("type") == "text":
            part = [body["seq"], body.get("content", "")]
            if records and records[-1]["type"] == "texts":
                records[-1]["parts"].append(part)
            else:
                records.append({"type": "texts", "parts": [part]})
        else:
            records.append({k: v for k, v in body.items() if k != "request_id"})
    return records


def _compress(records: list[dict[str, Any]]) -> bytes:
    raw = json.dumps(records, ensure_ascii=False, separators=(",", ":")).encode()
    return zlib.compress(raw, 6)


def pack(frames: Sequence[dict[str, Any]]) -> bytes:
    """The compacted, compressed log of ``frames`` (in seq order), at most ``MAX_LOG_BYTES``."""
    records = _records(frames)
    data = _compress(records)
    if len(data) <= MAX_LOG_BYTES:
        return data
    parts = [part for record in records if record["type"] == "texts" for part in record["parts"]]
    elided = 0
    while len(data) > MAX_LOG_BYTES and elided < len(parts):
        step = max(1, (len(parts) - elided) // 2)
        for part in parts[elided : elided + step]:
            part[1] = ELIDED
        elided += step
        data = _compress(records)
    logger.warning("frame log over %d bytes: elided %d text frames", MAX_LOG_BYTES, elided)
    return data


def unpack(data: bytes | None, request_id: str) -> list[dict[str, Any]]:
    """The frames of a packed log, in seq order, with their ``request_id`` restored."""
    if not data:
        return []
    records: list[dict[str, Any]] = json.loads(zlib.decompress(data))
    frames: list[dict[str, Any]] = []
    for record in records:
        if record["type"] == "texts":
            frames.extend(
                {"type": "text", "content": content, "request_id": request_id, "seq": seq}
                for seq, content in record["parts"]
            )
        else:
            frames.append({**record, "request_id": request_id})
    return frames


def after(frames: Iterable[dict[str, Any]], seq: int) -> list[dict[str, Any]]:
    """The frames a client that has seen up to ``seq`` is missing."""
    return [body for body in frames if int(body["seq"]) > seq]
