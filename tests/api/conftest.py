"""REST API fixtures: API Gateway REST proxy events with Cognito authorizer claims, on moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from calledit.local.lambdas import LambdaContext

ORIGIN = "http://localhost:5173"


def Context() -> LambdaContext:
    return LambdaContext.named("predictions")


def rest_event(
    method: str,
    path: str,
    *,
    user: str | None = "alice",
    body: Any = None,
    query: dict[str, str] | None = None,
    origin: str = ORIGIN,
    raw_body: str | None = None,
) -> dict[str, Any]:
    """A complete API Gateway REST proxy event as the Cognito authorizer passes it on."""
    from calledit.local.events import cognito_claims
    from calledit.local.events import rest_event as build

    resource, params = path, None
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "predictions" and parts[1] != "due":
        resource, params = "/predictions/{id}", {"id": parts[1]}
    claims = (
        cognito_claims({"sub": user, "email": f"{user}@example.com", "token_use": "id"}) if user else None
    )
    return build(
        method=method,
        resource=resource,
        path=path,
        path_parameters=params,
        query=query,
        headers={"Origin": origin, "Content-Type": "application/json"},
        body=raw_body if raw_body is not None else (json.dumps(body) if body is not None else None),
        claims=claims,
    )


def prediction(
    statement: str = "It will snow in Oslo on Christmas Day", when: str = "2027-12-25T22:59:59Z"
) -> dict[str, Any]:
    return {
        "prediction_statement": statement,
        "verification_date": when,
        "date_reasoning": "Christmas Day ends at midnight in Oslo.",
        "verification_method": {"source": ["Met Norway"], "criteria": ["Snow recorded"], "steps": ["Check"]},
        "verifiable_category": "api_tool_verifiable",
        "category_reasoning": "Weather observations are needed.",
        "initial_status": "pending",
    }


Call = Callable[..., tuple[int, Any, dict[str, str]]]


@pytest.fixture
def api(aws: dict[str, str]) -> Call:
    """Invoke the Lambda handler; returns (status, decoded body, headers)."""
    import predictions
    from calledit.api.app import reset_apps

    reset_apps()

    def call(method: str, path: str, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
        response = predictions.handler(rest_event(method, path, **kwargs), Context())
        body = response.get("body") or ""
        headers = dict(response.get("headers") or {})
        headers.update({k: ",".join(v) for k, v in (response.get("multiValueHeaders") or {}).items()})
        return response["statusCode"], (json.loads(body) if body else None), headers

    return call
