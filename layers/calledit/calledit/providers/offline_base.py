"""What the offline models share: reading the conversation's tool calls and results, and streaming
one step (text, then at most one tool call) as Converse-style events, word by word."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import AsyncGenerator, Iterator
from typing import Any, cast

from strands.models.model import Model
from strands.types.content import Messages
from strands.types.streaming import StreamEvent
from strands.types.tools import ToolChoice, ToolSpec

from calledit.tool_results import tool_payload

_WORDS = re.compile(r"\S+\s*|\s+")

ToolCall = tuple[str, dict[str, Any]]


class ToolTranscript:
    """The conversation so far as the model needs it: the user's texts, its tool calls and their results."""

    def __init__(self, messages: Messages) -> None:
        self.user_texts: list[str] = []
        self.calls: list[ToolCall] = []  # (tool name, input) in call order
        self.results: dict[str, tuple[str, Any]] = {}  # tool name -> (status, payload) of its last result
        names: dict[str, str] = {}
        for message in messages:
            for block in message.get("content", []):
                if "text" in block and message["role"] == "user":
                    self.user_texts.append(block["text"])
                if "toolUse" in block:
                    use = block["toolUse"]
                    names[use["toolUseId"]] = use["name"]
                    self.calls.append((use["name"], dict(use.get("input") or {})))
                if "toolResult" in block:
                    res = block["toolResult"]
                    name = names.get(res["toolUseId"], "")
                    self.results[name] = (res.get("status", "success"), tool_payload(res.get("content", [])))

    def attempts(self, tool: str) -> int:
        return sum(1 for name, _ in self.calls if name == tool)

    def ok(self, tool: str) -> dict[str, Any] | None:
        """The last result of ``tool`` if it succeeded with an object."""
        status, payload = self.results.get(tool, ("missing", None))
        return payload if status == "success" and isinstance(payload, dict) else None


def forced_tool(tool_choice: ToolChoice | None) -> str | None:
    """The tool the agent forces (structured output), if any."""
    choice: dict[str, Any] = cast(dict[str, Any], tool_choice or {})
    forced = choice.get("tool")
    name = forced.get("name") if isinstance(forced, dict) else None
    return str(name) if name else None


def offered(tool_specs: list[ToolSpec] | None, name: str) -> bool:
    return any(spec.get("name") == name for spec in tool_specs or [])


class OfflineModel(Model):
    """A deterministic ``Model`` labelled with its own id; subclasses decide each step's text and tool."""

    def __init__(self, model_id: str, delay_s: float = 0.0) -> None:
        self.config: dict[str, Any] = {"model_id": model_id, "delay_s": delay_s}

    def update_config(self, **model_config: Any) -> None:
        """Merge configuration overrides (``delay_s`` paces streamed chunks for demos)."""
        self.config.update(model_config)

    def get_config(self) -> dict[str, Any]:
        """The current configuration."""
        return dict(self.config)

    async def emit(
        self,
        text: str,
        tool: ToolCall | None,
        tool_use_id: str,
        cancel_signal: threading.Event | None,
    ) -> AsyncGenerator[StreamEvent, None]:
        """One assistant message: ``text`` in word-sized chunks, then the tool call if any, then usage."""
        delay = float(self.config.get("delay_s") or 0.0)
        yield {"messageStart": {"role": "assistant"}}
        if text:
            yield {"contentBlockStart": {"start": {}}}
            for chunk in _chunks(text):
                if cancel_signal is not None and cancel_signal.is_set():
                    break
                if delay:
                    await asyncio.sleep(delay)
                yield {"contentBlockDelta": {"delta": {"text": chunk}}}
            yield {"contentBlockStop": {}}
        if tool is not None:
            name, tool_input = tool
            yield {"contentBlockStart": {"start": {"toolUse": {"toolUseId": tool_use_id, "name": name}}}}
            yield {"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps(tool_input)}}}}
            yield {"contentBlockStop": {}}
        yield {"messageStop": {"stopReason": "tool_use" if tool else "end_turn"}}
        out_tokens = max(1, len(text) // 4)
        yield {
            "metadata": {
                "usage": {"inputTokens": 0, "outputTokens": out_tokens, "totalTokens": out_tokens},
                "metrics": {"latencyMs": 0},
            }
        }


def _chunks(text: str) -> Iterator[str]:
    """Word-sized chunks, like an LLM's token stream."""
    yield from _WORDS.findall(text)
