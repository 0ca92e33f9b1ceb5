"""Clarifying questions: the analysis agent asks before assuming, and the run pauses for the answer.

The agent calls ``ask_clarifying_questions`` (up to ``MAX_QUESTIONS`` per round, ``MAX_ROUNDS``
rounds). The tool raises a Strands interrupt: the agent loop stops, the runner snapshots the agent
(Strands' own snapshot: messages, state, interrupt state) and the job waits for the user without
holding a Lambda. The answer resumes a fresh agent from that snapshot with an ``interruptResponse``;
the tool then returns the answers (or "skipped") to the model, which refines the date, criteria
and sources. The statement itself is never rewritten. Every question answered is recorded in the
agent's state and saved with the call (``Prediction.clarifications``).
"""

from __future__ import annotations

import json
import os
import zlib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_QUESTIONS = 3
MAX_ROUNDS = 2
MAX_ANSWER_CHARS = 500
ANSWER_TIMEOUT_S = 600  # unanswered for 10 minutes: the run finishes with its assumptions stated
MAX_QUEUE_DELAY_S = 900  # the timeout travels as a delayed SQS message
MAX_SNAPSHOT_BYTES = 96 * 1024  # compressed; the job item also holds the frame log (DynamoDB: 400 KB)
CLARIFY_TOOL = "ask_clarifying_questions"
STATE_ROUND = "clarify_round"
STATE_CLARIFIED = "clarifications"

QuestionId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Suggestion = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Answer = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ANSWER_CHARS)]


class Question(BaseModel):
    """One question for the user, with why it matters and answers they can pick."""

    model_config = ConfigDict(extra="ignore")

    id: QuestionId = Field(description="Short snake_case id, e.g. by_when or threshold")
    text: Short = Field(description="The question, in plain words")
    why: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = Field(
        default="", description="One line: what the answer changes about checking the call"
    )
    suggestions: list[Suggestion] = Field(
        default_factory=list, max_length=4, description="Up to 4 likely answers the user can pick"
    )


class Clarification(BaseModel):
    """A question the user answered, as saved with the call ("Clarified: ...")."""

    question: Short
    answer: Answer


class Pause(BaseModel):
    """Where a run stopped for the user: the questions, and what resumes it."""

    round: int
    questions: list[Question]
    interrupt_id: str
    snapshot: dict[str, Any]


Response = dict[str, Any]  # {"answers": {id: text}} or {"skip": True, "reason": "skipped" | "timeout"}


def answer_timeout_s() -> int:
    """CALLEDIT_CLARIFY_TIMEOUT_S (default 600; tests use seconds), clamped to 1..900."""
    try:
        value = int(os.environ.get("CALLEDIT_CLARIFY_TIMEOUT_S") or ANSWER_TIMEOUT_S)
    except ValueError:
        value = ANSWER_TIMEOUT_S
    return min(MAX_QUEUE_DELAY_S, max(1, value))


def answers_response(answers: dict[str, str]) -> Response:
    return {"answers": dict(answers)}


def skip_response(reason: Literal["skipped", "timeout", "no_tty"] = "skipped") -> Response:
    return {"skip": True, "reason": reason}


def pack_snapshot(snapshot: dict[str, Any]) -> bytes:
    """The agent snapshot as stored on the job (compressed JSON)."""
    return zlib.compress(json.dumps(snapshot, separators=(",", ":")).encode(), 6)


def unpack_snapshot(data: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(zlib.decompress(data))
    return value


def tool_result(questions: list[Question], response: Response) -> tuple[dict[str, Any], list[Clarification]]:
    """What the model reads back, and the clarifications to keep."""
    if response.get("skip") or not isinstance(response.get("answers"), dict):
        reason = "did not answer in time" if response.get("reason") == "timeout" else "chose to skip"
        return {
            "skipped": True,
            "reason": "timeout" if response.get("reason") == "timeout" else "skipped",
            "instruction": f"The user {reason}. Do not ask again: finish the prediction now and state "
            "each assumption you make (time frame, threshold, subject) in date_reasoning or "
            "category_reasoning.",
        }, []
    given: dict[str, Any] = response["answers"]
    answered = [(q, str(given[q.id]).strip()) for q in questions if str(given.get(q.id, "")).strip()]
    clarified = [Clarification(question=q.text, answer=a[:MAX_ANSWER_CHARS]) for q, a in answered]
    return {
        "answers": [{"id": q.id, "question": q.text, "answer": a} for q, a in answered],
        "unanswered": [q.id for q in questions if q.id not in dict((q.id, a) for q, a in answered)],
        "instruction": "Use these answers to set the verification date (resolve any time frame with "
        "parse_date_with_timezone), the criteria and the sources. Keep prediction_statement exactly as "
        "the user wrote it.",
    }, clarified


class Resumption(BaseModel):
    """What continues a paused run: the agent's snapshot, the interrupt, and the user's response."""

    snapshot: dict[str, Any]
    interrupt_id: str
    response: dict[str, Any]

    def prompt(self) -> list[dict[str, Any]]:
        """The agent input that answers the interrupt."""
        return [{"interruptResponse": {"interruptId": self.interrupt_id, "response": self.response}}]
