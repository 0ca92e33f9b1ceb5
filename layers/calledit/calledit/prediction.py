"""The prediction domain: what the agent returns (``Prediction``) and what is saved (``SavedPrediction``)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints

MAX_STATEMENT_CHARS = 2_000
MAX_TEXT_CHARS = 2_000
MAX_ITEM_CHARS = 500
MAX_LIST_ITEMS = 12


class VerifiableCategory(StrEnum):
    """How a prediction can be checked once its verification date arrives.

    - ``agent_verifiable``: settled by reasoning or stable public knowledge alone
      ("the sun will rise tomorrow").
    - ``current_tool_verifiable``: settled by knowing the current date/time
      ("it will be a Friday on 2027-01-01").
    - ``strands_tool_verifiable``: settled by a general-purpose agent tool such as a
      calculator or a web page fetch ("Python 3.14 will be released by ...").
    - ``api_tool_verifiable``: needs a specific external data API: market prices,
      sports results, weather observations, election results.
    - ``human_verifiable_only``: only the user can judge: personal or subjective
      outcomes ("I will run a marathon this year").
    """

    AGENT_VERIFIABLE = "agent_verifiable"
    CURRENT_TOOL_VERIFIABLE = "current_tool_verifiable"
    STRANDS_TOOL_VERIFIABLE = "strands_tool_verifiable"
    API_TOOL_VERIFIABLE = "api_tool_verifiable"
    HUMAN_VERIFIABLE_ONLY = "human_verifiable_only"


class PredictionStatus(StrEnum):
    """Lifecycle of a saved prediction: pending until the user records the outcome."""

    PENDING = "pending"
    TRUE = "true"
    FALSE = "false"
    INCONCLUSIVE = "inconclusive"


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("verification_date must include a timezone offset (e.g. 2027-03-31T23:59:59Z)")
    return value.astimezone(UTC)


def format_utc(value: datetime) -> str:
    """ISO-8601 in UTC with a ``Z`` suffix, second precision."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


UtcDatetime = Annotated[
    datetime,
    AfterValidator(_to_utc),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
]
"""A timezone-aware datetime normalised to UTC; serialised as ``YYYY-MM-DDTHH:MM:SSZ``."""

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ITEM_CHARS)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_CHARS)]


class VerificationMethod(BaseModel):
    """Where to look, what must hold, and how to check it."""

    model_config = ConfigDict(extra="ignore")

    source: list[Line] = Field(min_length=1, max_length=MAX_LIST_ITEMS)
    criteria: list[Line] = Field(min_length=1, max_length=MAX_LIST_ITEMS)
    steps: list[Line] = Field(min_length=1, max_length=MAX_LIST_ITEMS)


class Prediction(BaseModel):
    """A structured, verifiable prediction as produced by the agent."""

    model_config = ConfigDict(extra="ignore")

    prediction_statement: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_STATEMENT_CHARS)
    ]
    verification_date: UtcDatetime
    date_reasoning: Text
    verification_method: VerificationMethod
    verifiable_category: VerifiableCategory
    category_reasoning: Text
    initial_status: Literal["pending"] = "pending"

    def to_json(self) -> str:
        """Compact JSON as sent in ``complete.content``."""
        return self.model_dump_json()


Outcome = Literal["true", "false", "inconclusive"]


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


def utc_now() -> datetime:
    """Now in UTC, second precision (what created_at/updated_at store)."""
    return datetime.now(UTC).replace(microsecond=0)
