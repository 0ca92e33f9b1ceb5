"""Error codes shared by the CLI, the WebSocket protocol and the REST API."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Stable machine-readable codes; clients branch on these, never on messages."""

    BAD_REQUEST = "bad_request"
    TOO_LARGE = "too_large"
    UNKNOWN_ACTION = "unknown_action"
    UNAUTHORIZED = "unauthorized"
    RATE_LIMITED = "rate_limited"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    MODEL_ERROR = "model_error"
    MODEL_UNAVAILABLE = "model_unavailable"
    TIMED_OUT = "timed_out"
    INTERNAL = "internal"


class CallError(Exception):
    """An error with a stable code and a message safe to show a user."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class BadInput(CallError):
    """The caller sent something we refuse (exit code 2 in the CLI, 4xx/error frame elsewhere)."""

    def __init__(self, message: str, code: ErrorCode = ErrorCode.BAD_REQUEST) -> None:
        super().__init__(code, message)


class ModelUnavailable(CallError):
    """The configured model provider cannot be used (missing extra, bad configuration)."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.MODEL_UNAVAILABLE, message)


_SOURCES = ("body", "query", "path", "header", "function-after", "function-plain")


def _field(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc if str(p) not in _SOURCES and not isinstance(p, int)]
    return ".".join(parts) or "message"


def describe_validation(errors: Iterable[Mapping[str, Any]], limit: int = 3) -> str:
    """Pydantic validation errors in plain words, the same way for the WebSocket and the REST API:
    "Missing field 'prompt'.", "prompt is too long (limit 2,000 characters).", ..."""
    parts: list[str] = []
    for err in list(errors)[:limit]:
        field = _field(err.get("loc", ()))
        kind = str(err.get("type", ""))
        ctx = err.get("ctx") or {}
        if kind == "missing":
            parts.append(f"Missing field '{field}'.")
        elif kind == "string_too_long":
            parts.append(f"{field} is too long (limit {int(ctx.get('max_length', 0)):,} characters).")
        elif kind == "string_too_short" and int(ctx.get("min_length", 1)) <= 1:
            parts.append(f"{field} is empty.")
        elif kind == "string_pattern_mismatch":
            parts.append(f"{field} has an invalid format.")
        elif kind == "extra_forbidden":
            parts.append(f"Unknown field '{field}'.")
        else:
            message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            parts.append(f"Invalid {field}: {message}.")
    return " ".join(parts) or "Invalid request."


def is_too_large(errors: Iterable[Mapping[str, Any]]) -> bool:
    """Whether the first problem is a text over its length limit (reported as ``too_large``)."""
    first = next(iter(errors), None)
    return first is not None and first.get("type") == "string_too_long"
