"""Recover a ``Prediction`` from an agent's final text (JSON in prose or code fences)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from calledit.errors import CallError, ErrorCode
from calledit.prediction import Prediction

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)```", re.S)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


class PredictionParseError(CallError):
    """The model's output holds no valid prediction."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.MODEL_ERROR, message)


def parse_prediction(text: str) -> Prediction:
    """Find the prediction JSON in ``text`` and validate it.

    Looks in fenced code blocks first, then at every balanced ``{...}`` object, and repairs
    trailing commas. A wrapper object such as ``{"prediction": {...}}`` is unwrapped.
    """
    last_error: str | None = None
    saw_json = False
    for candidate in _candidates(text):
        data = _loads(candidate)
        if not isinstance(data, dict):
            continue
        saw_json = True
        if "prediction_statement" not in data:
            inner = next(
                (v for v in data.values() if isinstance(v, dict) and "prediction_statement" in v), None
            )
            if inner is None:
                continue
            data = inner
        try:
            return Prediction.model_validate(data)
        except ValidationError as exc:
            last_error = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}" for err in exc.errors()[:5]
            )
    if last_error:
        raise PredictionParseError(f"the model's prediction is invalid: {last_error}")
    if saw_json:
        raise PredictionParseError("the model's JSON has no prediction_statement field")
    raise PredictionParseError("the model's reply contains no JSON prediction")


def _candidates(text: str) -> Iterator[str]:
    for match in _FENCE.finditer(text):
        yield match.group(1)
    yield from _balanced_objects(text)


def _balanced_objects(text: str) -> Iterator[str]:
    """Top-level ``{...}`` spans, honouring strings and escapes."""
    depth, start, in_string, escaped = 0, -1, False, False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"' and depth > 0:
            in_string = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                yield text[start : i + 1]


def _loads(candidate: str) -> Any:
    for attempt in (candidate, _TRAILING_COMMA.sub(r"\1", candidate)):
        try:
            return json.loads(attempt)
        except ValueError:
            continue
    return None
