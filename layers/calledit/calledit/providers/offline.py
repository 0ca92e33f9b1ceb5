"""The offline heuristic model: a deterministic Strands ``Model`` that needs no LLM and no network.

It drives the real agent loop exactly like a provider would: it streams explanatory text, asks
for ``current_time`` and then ``parse_date_with_timezone`` through real ``toolUse`` blocks, reads
their results from the conversation, and finally streams the prediction JSON. When the agent
forces a tool (structured output), it answers with that tool call. It always says what it is.

When the question tool is offered and the statement has no time frame (or a market call names no
level), it asks first: "By when?" with suggestions computed from today's date, and uses the answer
(or says what it assumed when the user skips).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import AsyncGenerator, AsyncIterable, Iterator
from typing import Any, TypeVar, cast

from pydantic import BaseModel
from strands.models.model import Model
from strands.types.content import Messages
from strands.types.streaming import StreamEvent
from strands.types.tools import ToolChoice, ToolSpec

from calledit.clarification import CLARIFY_TOOL
from calledit.prompting import CallRequest, parse_request
from calledit.providers.heuristics import classify
from calledit.timeparse import find_date_phrase

OFFLINE_MODEL_NAME = "offline-heuristic"
FALLBACK_PHRASE = "in 1 year"
T = TypeVar("T", bound=BaseModel)
_WORDS = re.compile(r"\S+\s*|\s+")


class _Transcript:
    """What the conversation so far tells the model: the request and the tool results."""

    def __init__(self, messages: Messages) -> None:
        self.request: CallRequest | None = None
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (tool name, input) in call order
        self.results: dict[str, tuple[str, Any]] = {}  # tool name -> (status, payload) of its last result
        names: dict[str, str] = {}
        for message in messages:
            for block in message.get("content", []):
                if "text" in block and message["role"] == "user" and self.request is None:
                    self.request = parse_request(block["text"])
                if "toolUse" in block:
                    use = block["toolUse"]
                    names[use["toolUseId"]] = use["name"]
                    self.calls.append((use["name"], dict(use.get("input") or {})))
                if "toolResult" in block:
                    res = block["toolResult"]
                    name = names.get(res["toolUseId"], "")
                    self.results[name] = (res.get("status", "success"), _payload(res.get("content", [])))
        if self.request is None:  # a bare prompt (e.g. a direct model test): treat it all as the statement
            text = " ".join(
                b["text"] for m in messages if m["role"] == "user" for b in m["content"] if "text" in b
            )
            self.request = CallRequest(prediction=text.strip(), timezone="UTC")

    def attempts(self, tool: str) -> int:
        return sum(1 for name, _ in self.calls if name == tool)

    def ok(self, tool: str) -> dict[str, Any] | None:
        status, payload = self.results.get(tool, ("missing", None))
        return payload if status == "success" and isinstance(payload, dict) else None

    def answer(self, question_id: str) -> str | None:
        """The user's answer to one of the model's clarifying questions, if given."""
        for item in (self.ok(CLARIFY_TOOL) or {}).get("answers", []):
            text = str(item.get("answer", "")).strip() if isinstance(item, dict) else ""
            if text and item.get("id") == question_id:
                return text
        return None

    @property
    def skipped(self) -> str | None:
        """Why the questions went unanswered ("skipped" or "timeout"), if they did."""
        result = self.ok(CLARIFY_TOOL) or {}
        return str(result.get("reason") or "skipped") if result.get("skipped") else None


def _payload(content: list[Any]) -> Any:
    for item in content:
        if "json" in item:
            return item["json"]
        if "text" in item:
            try:
                return json.loads(item["text"])
            except ValueError:
                return item["text"]
    return None


class OfflineHeuristicModel(Model):
    """Deterministic, keyword-based stand-in for an LLM; labelled ``offline-heuristic`` everywhere."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.config: dict[str, Any] = {"model_id": OFFLINE_MODEL_NAME, "delay_s": delay_s}

    def update_config(self, **model_config: Any) -> None:
        """Merge configuration overrides (``delay_s`` paces streamed chunks for demos)."""
        self.config.update(model_config)

    def get_config(self) -> dict[str, Any]:
        """The current configuration."""
        return dict(self.config)

    async def structured_output(
        self, output_model: type[T], prompt: Messages, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[dict[str, T | Any], None]:
        """Build the prediction from the conversation and validate it into ``output_model``."""
        yield {"output": output_model.model_validate(build_prediction(_Transcript(prompt)))}

    async def stream(
        self,
        messages: Messages,
        tool_specs: list[ToolSpec] | None = None,
        system_prompt: str | None = None,
        *,
        tool_choice: ToolChoice | None = None,
        cancel_signal: threading.Event | None = None,
        **kwargs: Any,
    ) -> AsyncIterable[StreamEvent]:
        """Take the next step of the analysis as a stream of Converse-style events."""
        transcript = _Transcript(messages)
        request = transcript.request
        assert request is not None
        forced = _forced_tool(tool_choice)
        text: str
        tool: tuple[str, dict[str, Any]] | None = None

        if forced is not None:
            text, tool = "", (forced, build_prediction(transcript))
        elif transcript.ok("current_time") is None and transcript.attempts("current_time") < 2:
            text = (
                "Offline heuristic model (no LLM): I work from keywords and the real time tools. "
                f"First I check the current time in {request.timezone}.\n"
            )
            tool = ("current_time", {"timezone": request.timezone})
        elif (
            _offered(tool_specs, CLARIFY_TOOL)
            and transcript.attempts(CLARIFY_TOOL) == 0
            and (questions := clarifying_questions(request.prediction, transcript.ok("current_time") or {}))
        ):
            text = (
                "The statement leaves something open that decides how it gets checked, "
                "so I ask before assuming.\n"
            )
            tool = (CLARIFY_TOOL, {"questions": questions})
        elif (
            transcript.ok("parse_date_with_timezone") is None
            and transcript.attempts("parse_date_with_timezone") < 2
        ):
            phrase, found = _phrase_for(transcript)
            now = transcript.ok("current_time") or {}
            text = f"It is {now.get('weekday', '')} {now.get('local', '')} there. ".replace("  ", " ") + (
                f"The time frame is “{phrase}”; resolving it in {request.timezone}.\n"
                if found
                else f"I found no time frame, so I assume “{phrase}” and resolve it.\n"
            )
            tool_input: dict[str, Any] = {"date_text": phrase, "timezone": request.timezone}
            if now.get("local"):
                tool_input["reference"] = now["local"]
            tool = ("parse_date_with_timezone", tool_input)
        else:
            prediction = build_prediction(transcript)
            text = (
                f"Verification date: {prediction['verification_date']}. "
                f"{prediction['category_reasoning']}\n"
                f"```json\n{json.dumps(prediction, indent=2, ensure_ascii=False)}\n```\n"
            )

        # Ids derive from the transcript so a run is fully deterministic.
        tool_use_id = f"offline-{len(transcript.calls) + 1}"
        async for event in self._emit(text, tool, tool_use_id, cancel_signal):
            yield event

    async def _emit(
        self,
        text: str,
        tool: tuple[str, dict[str, Any]] | None,
        tool_use_id: str,
        cancel_signal: threading.Event | None,
    ) -> AsyncGenerator[StreamEvent, None]:
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


def _forced_tool(tool_choice: ToolChoice | None) -> str | None:
    choice: dict[str, Any] = cast(dict[str, Any], tool_choice or {})
    forced = choice.get("tool")
    name = forced.get("name") if isinstance(forced, dict) else None
    return str(name) if name else None


def _offered(tool_specs: list[ToolSpec] | None, name: str) -> bool:
    return any(spec.get("name") == name for spec in tool_specs or [])


def clarifying_questions(statement: str, now: dict[str, Any]) -> list[dict[str, Any]]:
    """What to ask before assuming: a time frame when none is stated, a level for a market call."""
    questions: list[dict[str, Any]] = []
    today = str(now.get("local", ""))[:10]
    year, month = (int(today[:4]), int(today[5:7])) if re.match(r"\d{4}-\d{2}", today) else (0, 0)
    kind = classify(statement)
    if find_date_phrase(statement) is None:
        suggestions = []
        if year and (kind.domain == "sports" or "season" in statement.lower()):
            season_end = year if month < 6 else year + 1
            suggestions.append(f"end of this season (May {season_end})")
        if year:
            suggestions.append(f"by the end of {year if month < 10 else year + 1}")
        suggestions += ["within 6 months", "within 1 year"]
        questions.append(
            {
                "id": "by_when",
                "text": "By when should this be judged?",
                "why": "Without a date the call cannot be checked; otherwise I assume one year from today.",
                "suggestions": suggestions[:4],
            }
        )
    if kind.domain == "finance" and not re.search(r"\d", statement):
        questions.append(
            {
                "id": "threshold",
                "text": "What counts as coming true?",
                "why": "A direction like “go up” needs a level to check against.",
                "suggestions": [
                    "up at least 10% from today",
                    "above its all-time high",
                    "any rise from today",
                ],
            }
        )
    return questions


def _phrase_for(transcript: _Transcript) -> tuple[str, bool]:
    """The date phrase to resolve: the statement's, else the user's answer, unless resolving it failed."""
    assert transcript.request is not None
    answered = transcript.answer("by_when")
    phrase = find_date_phrase(transcript.request.prediction) or (
        (find_date_phrase(answered) or answered) if answered else None
    )
    if phrase and transcript.attempts("parse_date_with_timezone") == 0:
        return phrase, True
    return FALLBACK_PHRASE, False


def build_prediction(transcript: _Transcript) -> dict[str, Any]:
    """The prediction dict from the statement, the tool results and the keyword classification."""
    assert transcript.request is not None
    statement = transcript.request.prediction
    resolved = transcript.ok("parse_date_with_timezone") or {}
    requested = next(
        (
            inp.get("date_text")
            for name, inp in reversed(transcript.calls)
            if name == "parse_date_with_timezone"
        ),
        None,
    )
    verification_date = resolved.get("utc") or (transcript.ok("current_time") or {}).get("utc")
    date_reasoning = str(
        resolved.get("reasoning") or "The date could not be resolved; using the current time."
    )
    by_when, threshold = transcript.answer("by_when"), transcript.answer("threshold")
    if requested == FALLBACK_PHRASE:
        why = {"skipped": " (you skipped the question)", "timeout": " (no answer came in time)"}.get(
            transcript.skipped or "", ""
        )
        date_reasoning = f"No time frame was stated{why}, so one year was assumed. {date_reasoning}"
    elif by_when and not find_date_phrase(statement):
        date_reasoning = f"You said: “{_clip(by_when, 120)}”. {date_reasoning}"
    local_when = resolved.get("local") or verification_date
    kind = classify(statement)
    counts = [f"Counts as true if: {_clip(threshold)}"] if threshold else []
    asked = transcript.attempts(CLARIFY_TOOL) > 0
    if not threshold and asked and kind.domain == "finance" and not re.search(r"\d", statement):
        counts = ["Assumed (no level given): any rise from the level on the day the call was made"]
    return {
        "prediction_statement": statement,
        "verification_date": verification_date,
        "date_reasoning": date_reasoning,
        "verification_method": {
            "source": list(kind.sources),
            "criteria": [
                f"The statement is true as written: “{_clip(statement)}”",
                *counts,
                f"Judged at {local_when}",
            ],
            "steps": [*kind.steps, f"Record the outcome on or after {local_when}"],
        },
        "verifiable_category": kind.category.value,
        "category_reasoning": kind.reasoning,
        "initial_status": "pending",
    }


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
