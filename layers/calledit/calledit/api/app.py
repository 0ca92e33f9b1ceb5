"""Routes of the predictions REST API. Identity comes only from the Cognito authorizer's claims."""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from calledit import __version__
from calledit.api.cursor import decode_cursor, encode_cursor
from calledit.api.schemas import (
    DEFAULT_PAGE,
    MAX_BODY_BYTES,
    MAX_PAGE,
    CreatePrediction,
    ErrorBody,
    PredictionPage,
    RecordOutcome,
    SavedPrediction,
    utc_now,
)
from calledit.errors import BadInput, ErrorCode
from calledit.prediction import PredictionStatus
from calledit.settings import get_settings
from calledit.storage.predictions import PredictionStore, user_pk

ID_PATTERN = r"^[0-9a-f-]{36}$"
# Parameter types (module level: the resolver resolves annotations against module globals).
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size (1-100)")]
Cursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]
Status = Annotated[PredictionStatus | None, Query(description="Only predictions with this status")]
PredictionId = Annotated[str, Path(pattern=ID_PATTERN)]


class NotFound(Exception):
    """Missing, or another user's: the same answer either way (never reveal existence)."""


class Unauthenticated(Exception):
    """No verified identity on the request (the authorizer should have stopped it)."""


def _cors() -> CORSConfig:
    origins = list(get_settings().allowed_origins) or ["http://127.0.0.1:3001"]
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )


def _error(status: int, code: ErrorCode, message: str) -> Response[str]:
    return Response(status, "application/json", json.dumps({"code": code.value, "message": message}))


def create_app() -> APIGatewayRestResolver:
    """The resolver with every route; built once per process."""
    app = APIGatewayRestResolver(enable_validation=True, cors=_cors())

    def caller() -> str:
        claims = (app.current_event.request_context.authorizer.claims or {}) if app.current_event else {}
        sub = claims.get("sub") if isinstance(claims, dict) else None
        if not sub:
            raise Unauthenticated()
        return str(sub)

    def repo() -> PredictionStore:
        return PredictionStore()

    def save(body: CreatePrediction) -> Response[str]:
        saved, created = repo().create(caller(), body)
        return Response(201 if created else 200, "application/json", saved.model_dump_json())

    def page(status: PredictionStatus | None, limit: int, cursor: str | None) -> PredictionPage:
        user = caller()
        start = decode_cursor(cursor, user_pk(user))
        items, last = repo().page(user, limit=limit, start=start, status=status.value if status else None)
        return PredictionPage(items=items, next_cursor=encode_cursor(last))

    @app.post(
        "/predictions",
        responses={200: {"description": "Already saved (same request_id)"}, 201: {"description": "Saved"}},
    )
    def create_prediction(body: Annotated[CreatePrediction, Body()]) -> Response[str]:
        """Log Call: save a prediction from the stream; the same request_id twice saves once."""
        return save(body)

    @app.get("/predictions")
    def list_predictions(
        status: Status = None, limit: Limit = DEFAULT_PAGE, cursor: Cursor = None
    ) -> PredictionPage:
        """The caller's predictions, newest first, one page at a time."""
        return page(status, limit, cursor)

    @app.get("/predictions/due")
    def due_predictions(limit: Limit = MAX_PAGE) -> PredictionPage:
        """Pending predictions whose verification date has passed: time to record the outcome."""
        return PredictionPage(items=repo().due(caller(), utc_now(), limit))

    @app.get("/predictions/<prediction_id>")
    def get_prediction(prediction_id: PredictionId) -> SavedPrediction:
        """One of the caller's predictions."""
        item = repo().get(caller(), prediction_id)
        if item is None:
            raise NotFound()
        return SavedPrediction.from_item(item)

    @app.patch("/predictions/<prediction_id>")
    def record_outcome(
        prediction_id: PredictionId, body: Annotated[RecordOutcome, Body()]
    ) -> SavedPrediction:
        """Record the outcome (true, false or inconclusive, with a note); it can be corrected later."""
        saved = repo().record_outcome(caller(), prediction_id, body.status, body.note)
        if saved is None:
            raise NotFound()
        return saved

    @app.delete("/predictions/<prediction_id>")
    def delete_prediction(prediction_id: PredictionId) -> Response[str]:
        """Delete one of the caller's predictions."""
        if not repo().delete(caller(), prediction_id):
            raise NotFound()
        return Response(204, "application/json", "")

    # Legacy paths of the first React client, kept as thin aliases.
    @app.post("/log-call", include_in_schema=True, deprecated=True)
    def legacy_log_call(body: Annotated[CreatePrediction, Body()]) -> Response[str]:
        """Deprecated alias of POST /predictions."""
        return save(body)

    @app.get("/list-predictions", deprecated=True)
    def legacy_list(
        status: Status = None, limit: Limit = DEFAULT_PAGE, cursor: Cursor = None
    ) -> PredictionPage:
        """Deprecated alias of GET /predictions."""
        return page(status, limit, cursor)

    @app.exception_handler(RequestValidationError)
    def invalid(exc: RequestValidationError) -> Response[str]:
        return _error(422, ErrorCode.BAD_REQUEST, _plain(exc.errors()))

    @app.exception_handler(BadInput)
    def bad_input(exc: BadInput) -> Response[str]:
        return _error(400, exc.code, exc.message)

    @app.exception_handler(NotFound)
    def not_found(_: NotFound) -> Response[str]:
        return _error(404, ErrorCode.NOT_FOUND, "No such prediction.")

    @app.exception_handler(Unauthenticated)
    def unauthenticated(_: Unauthenticated) -> Response[str]:
        return _error(401, ErrorCode.BAD_REQUEST, "Sign in first.")

    @app.not_found
    def no_route(_: Exception) -> Response[str]:
        return _error(404, ErrorCode.NOT_FOUND, "No such route.")

    return app


def _plain(errors: Any) -> str:
    """Validation errors in words: 'prediction.verification_date: …; request_id: …'."""
    parts = []
    for err in list(errors)[:5]:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{'.'.join(loc) or 'body'}: {message}")
    return "; ".join(parts) or "invalid request"


@lru_cache(maxsize=1)
def get_app() -> APIGatewayRestResolver:
    return create_app()


def reset_apps() -> None:
    """Forget the resolver (tests change settings between cases)."""
    get_app.cache_clear()


# Powertools keeps the current event in class attributes (BaseRouter.current_event), i.e. process-wide.
# Lambda runs one request at a time per environment; the local stack runs handlers on many threads,
# so requests are serialised here to keep each request's identity and body its own.
_resolve_lock = threading.Lock()


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry: refuse oversized bodies before parsing, then resolve the route."""
    body = event.get("body") or ""
    if len(body.encode() if isinstance(body, str) else body) > MAX_BODY_BYTES:
        origin = {k.lower(): v for k, v in (event.get("headers") or {}).items()}.get("origin")
        headers = {"Content-Type": "application/json", **_cors().to_dict(origin)}
        message = {
            "code": ErrorCode.TOO_LARGE.value,
            "message": f"Request body over {MAX_BODY_BYTES // 1024} KiB.",
        }
        return {"statusCode": 413, "headers": headers, "body": json.dumps(message)}
    with _resolve_lock:
        return get_app().resolve(event, context)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (docs/openapi.json is this, exported)."""
    schema = get_app().get_openapi_json_schema(
        title="CalledIt predictions API",
        version=__version__,
        description="Save, list and judge structured predictions. Every route needs a Cognito ID token.",
    )
    document: dict[str, Any] = json.loads(schema)
    document.setdefault("components", {}).setdefault("schemas", {})["ErrorBody"] = (
        ErrorBody.model_json_schema()
    )
    return document
