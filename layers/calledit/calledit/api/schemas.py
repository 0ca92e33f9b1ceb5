"""Request and response schemas of the REST API (the OpenAPI document is generated from these)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from calledit.protocol import RequestId
from calledit.prediction import Prediction, PredictionStatus, UtcDatetime, VerificationMethod

MAX_BODY_BYTES = 16 * 1024
MAX_NOTE_CHARS = 1_000
MAX_PAGE = 100
DEFAULT_PAGE = 20
Outcome = Literal["true", "false", "inconclusive"]


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


class SavedPrediction(BaseModel):
    """A stored prediction as the API returns it."""

    prediction_id: str
    request_id: str
    user_id: str
    created_at: UtcDatetime
    updated_at: UtcDatetime
    timezone: str
    model: str
    status: PredictionStatus
    outcome_note: str = ""
    prediction_statement: str
    verification_date: UtcDatetime
    date_reasoning: str
    verification_method: VerificationMethod
    verifiable_category: str
    category_reasoning: str
    initial_status: Literal["pending"] = "pending"

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> SavedPrediction:
        return cls.model_validate({k: v for k, v in item.items() if k in cls.model_fields})


class PredictionPage(BaseModel):
    """One page of the caller's predictions, newest first."""

    items: list[SavedPrediction]
    next_cursor: str | None = Field(default=None, description="Pass back as `cursor` for the next page.")


class ErrorBody(BaseModel):
    """Every 4xx/5xx body."""

    code: str
    message: str


def utc_now() -> datetime:
    """Now in UTC, second precision (what created_at/updated_at store)."""
    return datetime.now(UTC).replace(microsecond=0)
