"""Conditional DynamoDB writes: a condition that does not hold is an answer, not an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")


def unless_condition_fails(write: Callable[[], R]) -> R | None:
    """Run ``write`` (a put/update/delete with a ConditionExpression); None when its condition failed.
    Every other error propagates."""
    from botocore.exceptions import ClientError  # deferred: keeps handler import time low

    try:
        return write()
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
