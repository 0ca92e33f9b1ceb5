"""Error codes shared by the CLI, the WebSocket protocol and the REST API."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable machine-readable codes; clients branch on these, never on messages."""

    BAD_REQUEST = "bad_request"
    TOO_LARGE = "too_large"
    UNKNOWN_ACTION = "unknown_action"
    UNAUTHORIZED = "unauthorized"
    RATE_LIMITED = "rate_limited"
    NOT_FOUND = "not_found"
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
