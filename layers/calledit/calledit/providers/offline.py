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

import json
import re
import threading
from collections.abc import AsyncGenerator, AsyncIterable
from typing import Any, TypeVar

from pydantic import BaseModel
from strands.types.content import Messages
from strands.types.streaming import StreamEvent
from strands.types.tools import ToolChoice, ToolSpec

from calledit.clarification import CLARIFY_TOOL
from calledit.prompting import CallRequest, parse_request
from calledit.providers.heuristics import classify
from calledit.providers.offline_base import OfflineModel, ToolCall, ToolTranscript, forced_tool, offered
from calledit.timeparse import find_date_phrase

OFFLINE_MODEL_NAME = "offline-heuristic"
FALLBACK_PHRASE = "in 1 year"
T = TypeVar("T", bound=BaseModel)


class _Transcript(ToolTranscript):
    """What the conversation so far tells the model: the request and the tool results."""

    def __init__(self, messages: Messages) -> None:
        super().__init__(messages)
        parsed = (parse_request(text) for text in self.user_texts)
        request = next((r for r in parsed if r is not None), None)
        # A bare prompt (e.g. a direct model test): treat it all as the statement.
        self.request: CallRequest = request or CallRequest(
            prediction=" ".join(self.user_texts).strip(), timezone="UTC"
        )

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


class OfflineHeuristicModel(OfflineModel):
    """Deterministic, keyword-based stand-in for an LLM; labelled ``offline-heuristic`` everywhere."""

    def __init__(self, delay_s: float = 0.0) -> None:
        super().__init__(OFFLINE_MODEL_NAME, delay_s)

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
        forced = forced_tool(tool_choice)
        text: str
        tool: ToolCall | None = None

        if forced is not None:
            text, tool = "", (forced, build_prediction(transcript))
        elif transcript.ok("current_time") is None and transcript.attempts("current_time") < 2:
            text = (
                "Offline heuristic model (no LLM): I work from keywords and the real time tools. "
                f"First I check the current time in {request.timezone}.\n"
            )
            tool = ("current_time", {"timezone": request.timezone})
        elif (
            offered(tool_specs, CLARIFY_TOOL)
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
        async for event in self.emit(text, tool, tool_use_id, cancel_signal):
            yield event


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
    answered = transcript.answer("by_when")
    phrase = find_date_phrase(transcript.request.prediction) or (
        (find_date_phrase(answered) or answered) if answered else None
    )
    if phrase and transcript.attempts("parse_date_with_timezone") == 0:
        return phrase, True
    return FALLBACK_PHRASE, False


def build_prediction(transcript: _Transcript) -> dict[str, Any]:
    """The prediction dict from the statement, the tool results and the keyword classification."""
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
