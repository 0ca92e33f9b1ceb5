"""Request and response schemas of the REST API (the OpenAPI document is generated from these)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from calledit.prediction import Outcome, Prediction, VerificationMethod
from calledit.protocol import RequestId
from calledit.saved import SavedPrediction
from calledit.tagging import MAX_TAGS, normalise_tags
from calledit.validation import MAX_NOTE_CHARS
from calledit.verdict import Evidence

MAX_PAGE = 100
DEFAULT_PAGE = 20


class StrictVerificationMethod(VerificationMethod):
    model_config = ConfigDict(extra="forbid")


class PredictionIn(Prediction):
    """A prediction as the stream delivered it; unknown fields are rejected (allow-list)."""

    model_config = ConfigDict(extra="forbid")

    verification_method: StrictVerificationMethod


Confidence = Annotated[
    float,
    Field(ge=0.01, le=0.99, description="Probability (0.01-0.99) that it comes true; locked once saved"),
]
TagList = Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=20)]


class CreatePrediction(BaseModel):
    """Log Call: the prediction plus the client's idempotency key, confidence and tags."""

    model_config = ConfigDict(extra="forbid")

    request_id: RequestId
    prediction: PredictionIn
    timezone: Annotated[str, StringConstraints(max_length=64)] = "UTC"
    model: Annotated[str, StringConstraints(max_length=100)] = "unknown"
    confidence: Confidence | None = None
    tags: TagList = Field(default_factory=list, description=f"Up to {MAX_TAGS} tags; normalised")

    @field_validator("confidence")
    @classmethod
    def _two_decimals(cls, value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return normalise_tags(value)


class SetTags(BaseModel):
    """Replace a call's tags (up to five; normalised)."""

    model_config = ConfigDict(extra="forbid")

    tags: TagList

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return normalise_tags(value)


class RecordOutcome(BaseModel):
    """The user's verdict once the verification date has come."""

    model_config = ConfigDict(extra="forbid")

    status: Outcome
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_NOTE_CHARS)] = ""


class PredictionPage(BaseModel):
    """One page of the caller's predictions, newest first."""

    items: list[SavedPrediction]
    next_cursor: str | None = Field(default=None, description="Pass back as `cursor` for the next page.")


class ErrorBody(BaseModel):
    """Every 4xx/5xx body."""

    code: str
    message: str


class Override(BaseModel):
    """The user's own outcome, replacing a proposed verdict (or recorded without one)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_NOTE_CHARS)] = ""


class HistoryEntry(BaseModel):
    """One step of a prediction's verdict history: a verdict, a confirm, or an override."""

    kind: Literal["verdict", "confirm", "override"]
    at: str = Field(description="When (UTC, ISO-8601 with Z)")
    outcome: Outcome | None = None
    confidence: float | None = None
    evidence: list[Evidence] = []
    reasoning: str | None = None
    model: str | None = None
    mode: str | None = None
    note: str | None = None


class VerdictHistory(BaseModel):
    """Every verdict and every decision of the user about one prediction, oldest first."""

    items: list[HistoryEntry]
