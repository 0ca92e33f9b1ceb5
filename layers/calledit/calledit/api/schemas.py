"""Request and response schemas of the REST API (the OpenAPI document is generated from these)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from calledit.prediction import Outcome, Prediction, VerificationMethod
from calledit.protocol import RequestId
from calledit.saved import SavedPrediction
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


class CreatePrediction(BaseModel):
    """Log Call: the prediction plus the client's idempotency key."""

    model_config = ConfigDict(extra="forbid")

    request_id: RequestId
    prediction: PredictionIn
    timezone: Annotated[str, StringConstraints(max_length=64)] = "UTC"
    model: Annotated[str, StringConstraints(max_length=100)] = "unknown"


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
