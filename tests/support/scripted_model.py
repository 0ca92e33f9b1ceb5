"""A scripted Strands ``Model`` for runner unit tests (the pattern of Strands' own mocked provider).

Each model request plays the next ``Step``: streamed text, tool calls (arguments as JSON, possibly
broken), or an exception raised before any event. The last step repeats. A step may be a function
of the conversation so far, to answer with values taken from tool results.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel
from strands.models.model import Model
from strands.types.content import Messages
from strands.types.streaming import StreamEvent
from strands.types.tools import ToolChoice, ToolSpec

T = TypeVar("T", bound=BaseModel)


@dataclass
class Step:
    text: str = ""
    tools: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)  # str = raw (bad) JSON
    error: Exception | None = None
    output_tokens: int = 10


StepLike = Step | Callable[[Messages], Step]


def tool_results(messages: Messages) -> dict[str, Any]:
    """name -> payload of the latest result of each tool in the conversation."""
    names: dict[str, str] = {}
    found: dict[str, Any] = {}
    for message in messages:
        for block in message.get("content", []):
            if "toolUse" in block:
                names[block["toolUse"]["toolUseId"]] = block["toolUse"]["name"]
            if "toolResult" in block:
                result = block["toolResult"]
                for item in result.get("content", []):
                    if "json" in item:
                        found[names.get(result["toolUseId"], "")] = item["json"]
    return found


class ScriptedModel(Model):
    """Plays ``steps`` one per request; records the requests it saw."""

    def __init__(self, steps: list[StepLike]) -> None:
        self.steps = steps
        self.requests: list[Messages] = []
        self.config: dict[str, Any] = {"model_id": "scripted"}

    def update_config(self, **model_config: Any) -> None:
        self.config.update(model_config)

    def get_config(self) -> dict[str, Any]:
        return dict(self.config)

    async def structured_output(
        self, output_model: type[T], prompt: Messages, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[dict[str, T | Any], None]:
        raise NotImplementedError("the runner uses the agent's structured-output tool")
        yield {}  # pragma: no cover

    async def stream(
        self,
        messages: Messages,
        tool_specs: list[ToolSpec] | None = None,
        system_prompt: str | None = None,
        *,
        tool_choice: ToolChoice | None = None,
        **kwargs: Any,
    ) -> AsyncIterable[StreamEvent]:
        index = min(len(self.requests), len(self.steps) - 1)
        self.requests.append(list(messages))
        step = self.steps[index]
        if callable(step):
            step = step(messages)
        if step.error is not None:
            raise step.error
        yield {"messageStart": {"role": "assistant"}}
        if step.text:
            yield {"contentBlockStart": {"start": {}}}
            yield {"contentBlockDelta": {"delta": {"text": step.text}}}
            yield {"contentBlockStop": {}}
        for i, (name, arguments) in enumerate(step.tools):
            raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
            use_id = f"use-{len(self.requests)}-{i}"
            yield {"contentBlockStart": {"start": {"toolUse": {"toolUseId": use_id, "name": name}}}}
            yield {"contentBlockDelta": {"delta": {"toolUse": {"input": raw}}}}
            yield {"contentBlockStop": {}}
        yield {"messageStop": {"stopReason": "tool_use" if step.tools else "end_turn"}}
        yield {
            "metadata": {
                "usage": {
                    "inputTokens": 5,
                    "outputTokens": step.output_tokens,
                    "totalTokens": 5 + step.output_tokens,
                },
                "metrics": {"latencyMs": 1},
            }
        }
