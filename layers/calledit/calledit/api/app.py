"""The predictions REST API: a Powertools resolver with one router per concern.

Identity comes only from the Cognito authorizer's claims (``api.identity``). Every error, whoever
raises it (Powertools' HTTP errors, request validation, our ``BadInput``), leaves as one JSON shape:
``{"code": <ErrorCode>, "message": <plain words>}``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from calledit import __version__
from calledit.api.ratelimit import TooManyRequests
from calledit.api.routes import legacy, notifications, predictions, receipts, record, verdicts
from calledit.api.schemas import ErrorBody
from calledit.errors import BadInput, ErrorCode, describe_validation
from calledit.settings import get_settings
from calledit.validation import MAX_BODY_BYTES

# The stable code for each HTTP status Powertools' errors carry.
_STATUS_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.UNAUTHORIZED,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.TOO_LARGE,
    429: ErrorCode.RATE_LIMITED,
}


def _cors() -> CORSConfig:
    origins = list(get_settings().allowed_origins) or ["http://127.0.0.1:3001"]
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["X-Next-Cursor", "Content-Disposition", "Retry-After"],
        max_age=600,
    )


def error_response(status: int, code: ErrorCode, message: str) -> Response[str]:
    """The one error shape of the REST API."""
    return Response(status, "application/json", json.dumps({"code": code.value, "message": message}))


def create_app() -> APIGatewayRestResolver:
    """The resolver with every router; built once per process."""
    app = APIGatewayRestResolver(enable_validation=True, cors=_cors())
    app.include_router(predictions.router)
    app.include_router(verdicts.router)
    app.include_router(record.router)
    app.include_router(receipts.router)
    app.include_router(notifications.router)
    app.include_router(legacy.router)

    @app.exception_handler(RequestValidationError)
    def invalid(exc: RequestValidationError) -> Response[str]:
        return error_response(422, ErrorCode.BAD_REQUEST, describe_validation(exc.errors()))

    @app.exception_handler(BadInput)
    def bad_input(exc: BadInput) -> Response[str]:
        return error_response(400, exc.code, exc.message)

    @app.exception_handler(TooManyRequests)
    def too_many(exc: TooManyRequests) -> Response[str]:
        response = error_response(429, ErrorCode.RATE_LIMITED, str(exc.msg))
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    @app.exception_handler(ServiceError)
    def service_error(exc: ServiceError) -> Response[str]:
        code = _STATUS_CODES.get(exc.status_code, ErrorCode.INTERNAL)
        return error_response(exc.status_code, code, str(exc.msg))

    @app.not_found
    def no_route(_: Exception) -> Response[str]:
        return error_response(404, ErrorCode.NOT_FOUND, "No such route.")

    return app


@lru_cache(maxsize=1)
def get_app() -> APIGatewayRestResolver:
    return create_app()


def reset_apps() -> None:
    """Forget the resolver (tests change settings between cases)."""
    get_app.cache_clear()


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
