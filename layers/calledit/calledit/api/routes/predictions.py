"""Saved predictions: Log Call, list, due, detail, outcome, delete."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from calledit.api.cursor import decode_cursor, encode_cursor
from calledit.api.identity import caller_email, caller_id
from calledit.api.schemas import (
    DEFAULT_PAGE,
    MAX_PAGE,
    CreatePrediction,
    PredictionPage,
    RecordOutcome,
    SetTags,
)
from calledit.errors import BadInput
from calledit.prediction import Outcome, PredictionStatus, VerifiableCategory, utc_now
from calledit.saved import SavedPrediction
from calledit.storage.predictions import PredictionStore, user_pk
from calledit.storage.profiles import ProfileStore
from calledit.tagging import normalise_tag
from calledit.verification.schedules import VerificationSchedules

router = Router()

ID_PATTERN = r"^[0-9a-f-]{36}$"
NO_SUCH_PREDICTION = "No such prediction."
# Parameter types (module level: the resolver resolves annotations against module globals).
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size (1-100)")]
Cursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]
Status = Annotated[PredictionStatus | None, Query(description="Only predictions with this status")]
OutcomeFilter = Annotated[Outcome | None, Query(description="Only resolved predictions with this outcome")]
CategoryFilter = Annotated[VerifiableCategory | None, Query(description="Only predictions in this category")]
TagFilter = Annotated[str | None, Query(max_length=64, description="Only predictions with this tag")]
TextFilter = Annotated[
    str | None, Query(min_length=1, max_length=200, description="Only statements containing this text")
]
PredictionId = Annotated[str, Path(pattern=ID_PATTERN)]


def store() -> PredictionStore:
    return PredictionStore()


def save(body: CreatePrediction) -> Response[str]:
    """Shared by POST /predictions and its legacy alias."""
    saved, created = store().create(
        caller_id(router),
        body.request_id,
        body.prediction,
        timezone=body.timezone,
        model=body.model,
        confidence=body.confidence,
        tags=body.tags,
    )
    if created:
        VerificationSchedules().schedule(saved)
        email = caller_email(router)
        if email:
            ProfileStore().remember_email(saved.user_id, email)
    return Response(201 if created else 200, "application/json", saved.model_dump_json())


def page(
    status: PredictionStatus | None,
    limit: int,
    cursor: str | None,
    outcome: str | None = None,
    category: VerifiableCategory | None = None,
    tag: str | None = None,
    text: str | None = None,
) -> PredictionPage:
    """Shared by GET /predictions and its legacy alias."""
    user = caller_id(router)
    start = decode_cursor(cursor, user_pk(user))
    try:
        tag = normalise_tag(tag) if tag else None
    except ValueError as exc:
        raise BadInput(f"tag: {exc}") from None
    items, last = store().page(
        user,
        limit=limit,
        start=start,
        status=status.value if status else None,
        outcome=outcome,
        category=category.value if category else None,
        tag=tag,
        text=text.strip() if text and text.strip() else None,
    )
    return PredictionPage(items=items, next_cursor=encode_cursor(last))


@router.post(
    "/predictions",
    responses={200: {"description": "Already saved (same request_id)"}, 201: {"description": "Saved"}},
)
def create_prediction(body: Annotated[CreatePrediction, Body()]) -> Response[str]:
    """Log Call: save a prediction from the stream; the same request_id twice saves once."""
    return save(body)


@router.get("/predictions")
def list_predictions(
    status: Status = None,
    outcome: OutcomeFilter = None,
    category: CategoryFilter = None,
    tag: TagFilter = None,
    q: TextFilter = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> PredictionPage:
    """The caller's predictions, newest first, one page at a time; filter by status, outcome,
    category, tag and text. A filtered page may hold fewer items than ``limit`` (each request reads
    a bounded number of calls): keep following ``next_cursor`` until it is null."""
    return page(status, limit, cursor, outcome, category, tag, q)


@router.get("/predictions/due")
def due_predictions(limit: Limit = MAX_PAGE) -> PredictionPage:
    """Time to judge: proposed verdicts first, then pending predictions whose date has passed."""
    return PredictionPage(items=store().due(caller_id(router), utc_now(), limit))


@router.get("/predictions/<prediction_id>")
def get_prediction(prediction_id: PredictionId) -> SavedPrediction:
    """One of the caller's predictions."""
    found = store().get(caller_id(router), prediction_id)
    if found is None:
        raise NotFoundError(NO_SUCH_PREDICTION)
    return found


@router.patch("/predictions/<prediction_id>")
def record_outcome(prediction_id: PredictionId, body: Annotated[RecordOutcome, Body()]) -> SavedPrediction:
    """Record the outcome (true, false or inconclusive, with a note); it can be corrected later.
    Same as POST /predictions/{id}/override with ``status`` for ``outcome``."""
    saved = store().record_outcome(caller_id(router), prediction_id, body.status, body.note)
    if saved is None:
        raise NotFoundError(NO_SUCH_PREDICTION)
    VerificationSchedules().cancel(prediction_id)
    return saved


@router.put("/predictions/<prediction_id>/tags")
def set_tags(prediction_id: PredictionId, body: Annotated[SetTags, Body()]) -> SavedPrediction:
    """Replace the call's tags (up to five, normalised: lower case, hyphens)."""
    saved = store().set_tags(caller_id(router), prediction_id, body.tags)
    if saved is None:
        raise NotFoundError(NO_SUCH_PREDICTION)
    return saved


@router.delete("/predictions/<prediction_id>")
def delete_prediction(prediction_id: PredictionId) -> Response[str]:
    """Delete one of the caller's predictions."""
    if not store().delete(caller_id(router), prediction_id):
        raise NotFoundError(NO_SUCH_PREDICTION)
    VerificationSchedules().cancel(prediction_id)
    return Response(204, "application/json", "")
