"""A logged call as stored and served: the prediction plus who, when, where it stands, and its verdict."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from calledit.clarification import Clarification
from calledit.prediction import (
    LEGACY_OUTCOME_STATUSES,
    Outcome,
    Prediction,
    PredictionStatus,
    UtcDatetime,
    VerificationMethod,
    utc_now,
)
from calledit.verdict import Verdict, VerificationMode
from calledit.verifiability import Verifiability

UNSAVED = "unsaved"  # the id of a prediction verified without being stored


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
    outcome: Outcome | None = Field(default=None, description="Set once resolved")
    outcome_note: str = ""
    resolved_at: UtcDatetime | None = None
    resolved_by: Literal["user", "agent"] | None = None
    verdict: Verdict | None = Field(default=None, description="The latest verdict (proposed or applied)")
    verification_mode: VerificationMode = "at_date"
    next_check_at: UtcDatetime | None = Field(default=None, description="Next early check of a 'by' call")
    prediction_statement: str
    verification_date: UtcDatetime
    date_reasoning: str
    verification_method: VerificationMethod
    verifiable_category: str
    category_reasoning: str
    initial_status: Literal["pending"] = "pending"
    clarifications: list[Clarification] = Field(default_factory=list, description="Answers before saving")
    confidence: float | None = Field(default=None, description="Probability it comes true, set when logged")
    tags: list[str] = Field(default_factory=list)
    share_token: str | None = Field(default=None, description="The public receipt's token, while shared")
    verifiability: Verifiability | None = Field(default=None, description="How checkable the call is")

    @model_validator(mode="before")
    @classmethod
    def _legacy_status(cls, data: Any) -> Any:
        """Items saved before verification existed kept the outcome in ``status``."""
        if isinstance(data, dict) and data.get("status") in LEGACY_OUTCOME_STATUSES:
            data = {**data, "outcome": data.get("outcome") or data["status"], "status": "resolved"}
            data.setdefault("resolved_by", "user")
        return data

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> SavedPrediction:
        return cls.model_validate({k: v for k, v in item.items() if k in cls.model_fields})

    @classmethod
    def unsaved(cls, prediction: Prediction, timezone: str, model: str) -> SavedPrediction:
        """A prediction as if just saved, for verifying without storing (``calledit verify``)."""
        now = utc_now()
        return cls.model_validate(
            {
                **prediction.model_dump(mode="json"),
                "prediction_id": UNSAVED,
                "request_id": UNSAVED,
                "user_id": "local",
                "created_at": now,
                "updated_at": now,
                "timezone": timezone,
                "model": model,
                "status": PredictionStatus.PENDING,
            }
        )
