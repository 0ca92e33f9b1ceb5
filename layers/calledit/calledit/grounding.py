"""Date grounding: the saved verification_date must be a date the time tool resolved in this run.

A model may copy the current time, compute a date itself, or skip the tool. The runner keeps every
successful ``parse_date_with_timezone`` result of the run; a prediction whose date is not one of
them is corrected with the tool's own answer (or, when the tool never succeeded, by resolving the
statement's time phrase here), and ``date_reasoning`` says so. A date already in the past is
re-resolved the same way, and flagged when it cannot be helped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from calledit.errors import BadInput
from calledit.prediction import Prediction, format_utc
from calledit.timeparse import find_date_phrase, resolve_date

# What an undated prediction is resolved against when nothing better is known (stated as assumed).
FALLBACK_PHRASE = "in 1 year"


@dataclass(frozen=True)
class ResolvedEvidence:
    """One successful ``parse_date_with_timezone`` result."""

    phrase: str
    utc: str
    reasoning: str
    kind: str = "instant"  # "deadline" (by / within / a period) or "instant"

    @classmethod
    def from_tool(cls, tool_input: dict[str, Any], payload: Any) -> ResolvedEvidence | None:
        if not isinstance(payload, dict) or not isinstance(payload.get("utc"), str):
            return None
        return cls(
            phrase=str(tool_input.get("date_text") or payload.get("phrase") or ""),
            utc=payload["utc"],
            reasoning=str(payload.get("reasoning") or ""),
            kind=str(payload.get("kind") or "instant"),
        )


@dataclass(frozen=True)
class Grounded:
    """The prediction to keep, and what was corrected (None when nothing was)."""

    prediction: Prediction
    correction: str | None


def ground(
    prediction: Prediction,
    evidence: list[ResolvedEvidence],
    *,
    statement: str,
    timezone: str,
    now: datetime,
) -> Grounded:
    """Keep the model's date when the tool produced it and it is still ahead; otherwise correct it."""
    stated = format_utc(prediction.verification_date)
    grounded = {item.utc for item in evidence}
    if stated in grounded and prediction.verification_date > now:
        return Grounded(_with_mode(prediction, evidence, stated), None)
    replacement = _replacement(evidence, statement, timezone, now)
    if replacement is None or replacement.utc == stated:
        if prediction.verification_date <= now:
            note = f"{prediction.date_reasoning} Note: this date has already passed; check the time frame."
            return Grounded(_with(prediction, stated, note), "the verification date is in the past")
        return Grounded(_with_mode(prediction, evidence, stated), None)
    why = (
        "it is already in the past"
        if stated in grounded
        else "it did not come from the date tool"
        if evidence
        else "the date tool was never used"
    )
    note = (
        f"{replacement.reasoning} (Corrected by CalledIt: the model gave {stated}, but {why}; "
        f"this date is the tool's own resolution of “{replacement.phrase}”.)"
    )
    corrected = _with(prediction, replacement.utc, note, replacement.kind)
    return Grounded(corrected, f"verification date {stated} replaced: {why}")


def _replacement(
    evidence: list[ResolvedEvidence], statement: str, timezone: str, now: datetime
) -> ResolvedEvidence | None:
    future = [item for item in evidence if item.utc > format_utc(now)]
    if future:
        return future[-1]
    for phrase in (find_date_phrase(statement), FALLBACK_PHRASE):
        if not phrase:
            continue
        try:
            resolved = resolve_date(phrase, timezone, now)
        except BadInput:
            continue
        if resolved.utc > now:
            reasoning = resolved.reasoning
            if phrase == FALLBACK_PHRASE:
                reasoning = f"No time frame was stated, so one year was assumed. {reasoning}"
            return ResolvedEvidence(phrase, format_utc(resolved.utc), reasoning, resolved.kind)
    return None


def _mode(kind: str) -> str:
    """A deadline ("by March", "within 2 weeks", a period) may be confirmed before its date."""
    return "before_date" if kind == "deadline" else "at_date"


def _with_mode(prediction: Prediction, evidence: list[ResolvedEvidence], utc: str) -> Prediction:
    kind = next((item.kind for item in reversed(evidence) if item.utc == utc), "instant")
    return prediction.model_copy(update={"verification_mode": _mode(kind)})


def _with(prediction: Prediction, utc: str, reasoning: str, kind: str | None = None) -> Prediction:
    data = prediction.model_dump(mode="json")
    data["verification_date"] = utc
    data["date_reasoning"] = reasoning[:2000]
    if kind is not None:
        data["verification_mode"] = _mode(kind)
    return Prediction.model_validate(data)
