"""Tool results as the Strands agent loop carries them: built by our tools, read back by the models
and the runner. No Strands import: the runner reads results without loading the SDK's providers."""

from __future__ import annotations

import json
from typing import Any


def tool_error(message: str) -> dict[str, Any]:
    """A failed tool result the model reads (plain words), instead of an exception ending the run."""
    return {"status": "error", "content": [{"text": message}]}


def tool_ok(payload: dict[str, Any]) -> dict[str, Any]:
    """A successful tool result carrying ``payload`` as JSON."""
    return {"status": "success", "content": [{"json": payload}]}


def tool_payload(content: list[Any]) -> Any:
    """What a tool result's content carries: its JSON, else its text parsed as JSON, else the text."""
    for item in content:
        if "json" in item:
            return item["json"]
        if "text" in item:
            try:
                return json.loads(item["text"])
            except ValueError:
                return item["text"]
    return None
