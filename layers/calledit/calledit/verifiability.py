"""How checkable a call is: a 0-1 score from four named dimensions, each with a reason, plus tips.

CalledIt computes it from the structured prediction (the same rubric whatever model wrote it), so
two calls compare fairly and a vague one says what would fix it:

- time_bound: a date or deadline in the statement (or given in a clarification), not assumed;
- measurable: a number, threshold or discrete event rather than a direction ("go up", "better");
- public_source: others can check it from published data (the verifiable category);
- objectivity: an observable outcome, not an opinion or a private feeling.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from calledit.prediction import Prediction, VerifiableCategory
from calledit.timeparse import find_date_phrase

DimensionName = Literal["time_bound", "measurable", "public_source", "objectivity"]
GOOD_ENOUGH = 0.7  # dimensions below this get a tip
MAX_TIPS = 3


class Dimension(BaseModel):
    name: DimensionName
    score: float = Field(ge=0, le=1)
    reason: str


class Verifiability(BaseModel):
    """The score (mean of the dimensions), the dimensions, and up to three tips to raise it."""

    score: float = Field(ge=0, le=1)
    dimensions: list[Dimension]
    tips: list[str] = Field(default_factory=list, max_length=MAX_TIPS)


_NUMBER = re.compile(r"\d")
_THRESHOLD = re.compile(
    r"\b(above|below|over|under|at least|at most|more than|less than|exceed|reach|hit|top|beat)\b", re.I
)
_EVENT = re.compile(
    r"\b(win|wins|won|lose|loses|lost|beat|beats|draw|release[sd]?|launch(es|ed)?|ship(s|ped)?|announce[sd]?|"
    r"elect(ed)?|resign(s|ed)?|approve[sd]?|ban(s|ned)?|rain|snow|happen|sign(s|ed)?|merge[sd]?|"
    r"acquire[sd]?|go public|ipo|fall on|be held|take place|marry|finish|complete[sd]?|run|visit|quit|"
    r"buy|sell|move|pass|graduate|publish)\b",
    re.I,
)
_VAGUE = re.compile(
    r"\b(go(es)? up|go(es)? down|rise|rises|fall|falls|increase|decrease|improve|grow|drop|soar|crash|"
    r"better|worse|a lot|significantly|soon|popular|successful|big|huge|more|less)\b",
    re.I,
)
_OPINION = re.compile(
    r"\b(feel|feels|happy|sad|beautiful|ugly|best|worst|great|good|bad|amazing|awesome|terrible|enjoy|"
    r"love|hate|like|should|deserve[sd]?|overrated|underrated|fun|boring)\b",
    re.I,
)
_PERSONAL = re.compile(r"\b(i|i'll|i'm|my|me|we|our)\b", re.I)
_ASSUMED = re.compile(r"\b(assum\w+|no time frame)\b", re.I)

_SOURCE_SCORES: dict[VerifiableCategory, tuple[float, str]] = {
    VerifiableCategory.CURRENT_TOOL_VERIFIABLE: (1.0, "A calendar settles it: anyone can check."),
    VerifiableCategory.API_TOOL_VERIFIABLE: (0.9, "Published data (prices, results, weather) settles it."),
    VerifiableCategory.STRANDS_TOOL_VERIFIABLE: (0.9, "Public announcements or pages settle it."),
    VerifiableCategory.AGENT_VERIFIABLE: (0.8, "Stable public knowledge settles it."),
    VerifiableCategory.HUMAN_VERIFIABLE_ONLY: (0.2, "Only you can say whether it happened."),
}

_TIPS: dict[DimensionName, str] = {
    "time_bound": "Add a date or deadline, e.g. “by 31 March 2027” or “by the end of this season”.",
    "measurable": "Name a number or a clear event, e.g. “close above $150,000” rather than “go up”.",
    "public_source": "Tie it to something others can check: an official result, a price, a published record.",
    "objectivity": "Replace opinion words with an observable outcome (a score, a result, a count).",
}


def assess(prediction: Prediction) -> Verifiability:
    """Score ``prediction``; the statement, its date reasoning and clarifications are what count."""
    statement = prediction.prediction_statement
    answers = " ".join(c.answer for c in prediction.clarifications)
    levels = " ".join(_without_date(c.answer) for c in prediction.clarifications)
    dimensions = [
        _time_bound(statement, prediction.date_reasoning, answers),
        _measurable(_without_date(statement), levels),
        Dimension(
            name="public_source",
            score=_SOURCE_SCORES[prediction.verifiable_category][0],
            reason=_SOURCE_SCORES[prediction.verifiable_category][1],
        ),
        _objectivity(statement),
    ]
    weakest = sorted((d for d in dimensions if d.score < GOOD_ENOUGH), key=lambda d: d.score)
    return Verifiability(
        score=round(sum(d.score for d in dimensions) / len(dimensions), 2),
        dimensions=dimensions,
        tips=[_TIPS[d.name] for d in weakest][:MAX_TIPS],
    )


def _without_date(answer: str) -> str:
    """An answer minus its time frame: "above 150k by June 2027" -> "above 150k"."""
    phrase = find_date_phrase(answer)
    return answer.replace(phrase, " ") if phrase else answer


def _time_bound(statement: str, date_reasoning: str, answers: str) -> Dimension:
    if find_date_phrase(statement) and not _ASSUMED.search(date_reasoning):
        return Dimension(name="time_bound", score=1.0, reason="The statement names its time frame.")
    if answers and find_date_phrase(answers):
        return Dimension(name="time_bound", score=0.9, reason="You gave the time frame when asked.")
    if _ASSUMED.search(date_reasoning):
        return Dimension(name="time_bound", score=0.3, reason="No time frame was given, so one was assumed.")
    return Dimension(name="time_bound", score=0.6, reason="The date was inferred, not stated.")


def _measurable(statement: str, answers: str) -> Dimension:
    if _NUMBER.search(statement) and (_THRESHOLD.search(statement) or _EVENT.search(statement)):
        return Dimension(name="measurable", score=1.0, reason="It names a number or threshold to check.")
    if _NUMBER.search(answers) or (answers and _THRESHOLD.search(answers)):
        return Dimension(name="measurable", score=0.9, reason="You gave the threshold when asked.")
    if _EVENT.search(statement):
        return Dimension(name="measurable", score=0.9, reason="It names an event that happens or not.")
    if _VAGUE.search(statement):
        return Dimension(
            name="measurable", score=0.3, reason="It names a direction, not a level: how much counts?"
        )
    if _NUMBER.search(statement):
        return Dimension(name="measurable", score=0.8, reason="It names a figure.")
    return Dimension(name="measurable", score=0.5, reason="What exactly counts as coming true is not stated.")


def _objectivity(statement: str) -> Dimension:
    if _OPINION.search(statement):
        return Dimension(name="objectivity", score=0.3, reason="It rests on an opinion or a feeling.")
    if _PERSONAL.search(statement):
        return Dimension(name="objectivity", score=0.6, reason="It is about you: others may not see it.")
    return Dimension(name="objectivity", score=1.0, reason="Its outcome is observable by anyone.")
