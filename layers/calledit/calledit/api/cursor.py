"""Opaque pagination cursors: the DynamoDB LastEvaluatedKey, encoded and checked on the way back."""

from __future__ import annotations

import base64
import json
from typing import Any

from calledit.errors import BadInput

_ALLOWED_KEYS = {"PK", "SK", "prediction_id", "due_pk", "verification_date"}


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    """URL-safe token for a LastEvaluatedKey (None when there is no next page)."""
    if not last_key:
        return None
    raw = json.dumps({k: str(v) for k, v in last_key.items()}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, partition: str) -> dict[str, Any] | None:
    """The ExclusiveStartKey for ``partition``; a malformed or foreign cursor is a 400, never a leak."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise BadInput("cursor is not valid: start again without it") from None
    if (
        not isinstance(data, dict)
        or not data
        or not set(data) <= _ALLOWED_KEYS
        or not all(isinstance(v, str) for v in data.values())
        or data.get("PK") != partition
    ):
        raise BadInput("cursor is not valid: start again without it")
    return data
