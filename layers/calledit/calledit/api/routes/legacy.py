"""Paths of the first React client, kept as thin, deprecated aliases."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from calledit.api.routes import predictions
from calledit.api.routes.predictions import Cursor, Limit, Status
from calledit.api.schemas import DEFAULT_PAGE, CreatePrediction, PredictionPage

router = Router()


@router.post("/log-call", deprecated=True)
def legacy_log_call(body: Annotated[CreatePrediction, Body()]) -> Response[str]:
    """Deprecated alias of POST /predictions."""
    return predictions.save(body)


@router.get("/list-predictions", deprecated=True)
def legacy_list(status: Status = None, limit: Limit = DEFAULT_PAGE, cursor: Cursor = None) -> PredictionPage:
    """Deprecated alias of GET /predictions."""
    return predictions.page(status, limit, cursor)
