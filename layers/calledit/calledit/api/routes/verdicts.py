"""Verdicts of a prediction: its history, and the user's one-tap confirm or override."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.params import Body

from calledit.api.identity import caller_id
from calledit.api.routes.predictions import NO_SUCH_PREDICTION, PredictionId, store
from calledit.api.schemas import HistoryEntry, Override, VerdictHistory
from calledit.saved import SavedPrediction
from calledit.verification.schedules import VerificationSchedules

router = Router()


class Conflict(ServiceError):
    """The request does not fit the prediction's state (e.g. nothing to confirm)."""

    def __init__(self, message: str) -> None:
        super().__init__(409, message)


@router.get("/predictions/<prediction_id>/verdicts")
def verdict_history(prediction_id: PredictionId) -> VerdictHistory:
    """Every verdict of the prediction and every confirm or override, oldest first."""
    entries = store().history(caller_id(router), prediction_id)
    if entries is None:
        raise NotFoundError(NO_SUCH_PREDICTION)
    return VerdictHistory(items=[HistoryEntry.model_validate(entry) for entry in entries])


@router.post("/predictions/<prediction_id>/confirm")
def confirm_verdict(prediction_id: PredictionId) -> SavedPrediction:
    """Accept the proposed verdict: the prediction is resolved with its outcome."""
    user = caller_id(router)
    done = store().confirm(user, prediction_id)
    if done is None:
        if store().get(user, prediction_id) is None:
            raise NotFoundError(NO_SUCH_PREDICTION)
        raise Conflict("There is no proposed verdict to confirm.")
    VerificationSchedules().cancel(prediction_id)
    return done


@router.post("/predictions/<prediction_id>/override")
def override_verdict(prediction_id: PredictionId, body: Annotated[Override, Body()]) -> SavedPrediction:
    """Set the outcome yourself (replacing a proposed verdict, or without one); kept in the history."""
    done = store().record_outcome(caller_id(router), prediction_id, body.outcome, body.note)
    if done is None:
        raise NotFoundError(NO_SUCH_PREDICTION)
    VerificationSchedules().cancel(prediction_id)
    return done
