"""The prediction domain: what the agent returns (``Prediction``) and what is saved (``SavedPrediction``)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints

from calledit.clarification import MAX_QUESTIONS, MAX_ROUNDS, Clarification

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
    """Lifecycle of a saved prediction: ``pending -> verifying -> proposed -> resolved``.

    pending: waiting for its date (or for the next before-date check); verifying: an agent is
    checking it; proposed: a verdict waits for the user's one-tap confirm or override; resolved:
    it has an outcome (true, false or inconclusive), set by the user or by a confident verdict.
    """

    PENDING = "pending"
    VERIFYING = "verifying"
    PROPOSED = "proposed"
    RESOLVED = "resolved"


# Statuses of the first version, which held the outcome itself: read as resolved with that outcome.
LEGACY_OUTCOME_STATUSES = frozenset({"true", "false", "inconclusive"})


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
    verification_mode: Literal["at_date", "before_date"] = Field(
        default="at_date",
        description="before_date: a deadline ('by March 2027') that may be confirmed early; set by CalledIt "
        "from the date tool's result",
    )
    clarifications: list[Clarification] = Field(
        default_factory=list,
        max_length=MAX_QUESTIONS * MAX_ROUNDS,
        description="The user's answers to clarifying questions; filled in by CalledIt (leave empty)",
    )

    def to_json(self) -> str:
        """Compact JSON as sent in ``complete.content``."""
        return self.model_dump_json()


Outcome = Literal["true", "false", "inconclusive"]


def utc_now() -> datetime:
    """Now in UTC, second precision (what created_at/updated_at store)."""
    return datetime.now(UTC).replace(microsecond=0)
