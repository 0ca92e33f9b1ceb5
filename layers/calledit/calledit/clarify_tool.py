"""The ``ask_clarifying_questions`` Strands tool (the domain is in ``clarification``).

No ``from __future__ import annotations`` here: Strands reads the tool's type hints at decoration
time, and ``ToolContext`` must resolve.
"""

from typing import Any

from strands import ToolContext, tool

from calledit.clarification import (
    CLARIFY_TOOL,
    MAX_QUESTIONS,
    MAX_ROUNDS,
    STATE_CLARIFIED,
    STATE_ROUND,
    Question,
    tool_result,
)


@tool(name=CLARIFY_TOOL, context=True)
def ask_clarifying_questions(questions: list[Question], tool_context: ToolContext) -> dict[str, Any]:
    """Ask the user up to 3 short questions before finishing the prediction, and wait for the answers.

    Use it only when the statement lacks a time frame, names no measurable threshold, or its subject
    is ambiguous; never for what is already clear. Each question gets an id, the question, why it
    matters, and up to 4 suggested answers. At most 2 rounds; after that, finish with stated
    assumptions.

    Args:
        questions: 1 to 3 questions, each {id, text, why, suggestions}.
    """
    state = tool_context.agent.state
    done = int(state.get(STATE_ROUND) or 0)
    if done >= MAX_ROUNDS:
        return {
            "no_more_questions": True,
            "instruction": "You asked twice already: finish now, stating your assumptions.",
        }
    unique: dict[str, Question] = {}
    for raw in questions:  # Strands validates against the schema but may hand over plain dicts
        question = raw if isinstance(raw, Question) else Question.model_validate(raw)
        unique.setdefault(question.id, question)
    asked = list(unique.values())[:MAX_QUESTIONS]
    # Raises Strands' interrupt the first time; on resume it returns the user's response.
    response = tool_context.interrupt(
        f"clarify-{done + 1}",
        reason={"round": done + 1, "questions": [q.model_dump() for q in asked]},
    )
    state.set(STATE_ROUND, done + 1)
    result, clarified = tool_result(asked, response if isinstance(response, dict) else {})
    kept = list(state.get(STATE_CLARIFIED) or [])
    state.set(STATE_CLARIFIED, [*kept, *(c.model_dump() for c in clarified)])
    return result
