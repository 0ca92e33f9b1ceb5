"""Verdicts: what the verification agent found out about a prediction, and when it may stand alone.

The agent returns a ``VerdictDraft`` (its structured output); the runner completes it into a
``Verdict`` (time, model, usage, mode). ``auto_resolves`` is the whole auto-resolve policy: a verdict
settles a call without the user only when it is decided (true/false), confident enough, backed by
evidence, and the call is not one only the user can judge; anything else is proposed for one tap.
"""

from __future__ import annotations

import os
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from calledit.prediction import Outcome, UtcDatetime, VerifiableCategory
from calledit.usage import Usage

DEFAULT_AUTO_RESOLVE_CONFIDENCE = 0.9
MAX_EVIDENCE = 8
VerificationMode = Literal["at_date", "before_date"]

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Long = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2_048, pattern=r"^https?://")]


class Evidence(BaseModel):
    """One thing the agent looked at and what it showed."""

    model_config = ConfigDict(extra="ignore")

    source: Short = Field(description="Where it comes from: a site, a data set, or a tool's name")
    url: Url | None = Field(default=None, description="The page it was read from, when there is one")
    finding: Long = Field(
        description="What the source says that bears on the prediction, in one or two sentences"
    )
    retrieved_at: UtcDatetime = Field(description="When it was read (UTC, ISO-8601 with Z)")


class VerdictDraft(BaseModel):
    """The verification agent's answer (its structured output)."""

    model_config = ConfigDict(extra="ignore")

    outcome: Outcome = Field(
        description="true if the prediction came true, false if it did not, inconclusive when the "
        "evidence does not settle it (say what is missing in reasoning)"
    )
    confidence: float = Field(ge=0.0, le=1.0, description="How sure the outcome is, 0 to 1")
    evidence: list[Evidence] = Field(default_factory=list, max_length=MAX_EVIDENCE)
    reasoning: Long = Field(description="How the evidence leads to the outcome, or what is missing")


class Verdict(VerdictDraft):
    """A verdict as stored and shown: the draft plus when, by which model, for which mode, at what cost."""

    checked_at: UtcDatetime
    model: str
    mode: VerificationMode = "at_date"
    usage: Usage = Field(default_factory=Usage)


def auto_resolve_threshold() -> float:
    """CALLEDIT_AUTO_RESOLVE_CONFIDENCE (default 0.9), clamped to 0.5..1."""
    try:
        value = float(os.environ.get("CALLEDIT_AUTO_RESOLVE_CONFIDENCE") or DEFAULT_AUTO_RESOLVE_CONFIDENCE)
    except ValueError:
        value = DEFAULT_AUTO_RESOLVE_CONFIDENCE
    return min(1.0, max(0.5, value))


def auto_resolves(
    verdict: VerdictDraft, category: VerifiableCategory | str, threshold: float | None = None
) -> bool:
    """Whether ``verdict`` may resolve the call without the user (else it is proposed)."""
    limit = auto_resolve_threshold() if threshold is None else threshold
    return (
        verdict.outcome in ("true", "false")
        and verdict.confidence >= limit
        and len(verdict.evidence) > 0
        and str(category) != VerifiableCategory.HUMAN_VERIFIABLE_ONLY.value
    )


def settles_early(verdict: VerdictDraft, mode: VerificationMode, date_passed: bool) -> VerdictDraft:
    """Before the date of a "by …" prediction only a confirmation counts: a "false" there is not a
    refutation yet (the thing may still happen), so it becomes inconclusive until the date."""
    if mode == "before_date" and not date_passed and verdict.outcome == "false":
        return verdict.model_copy(
            update={
                "outcome": "inconclusive",
                "reasoning": f"{verdict.reasoning} (Not yet: a “by” prediction can only be refuted once "
                "its date has passed.)",
            }
        )
    return verdict
