"""Schemathesis against the generated OpenAPI document: no input makes the API answer 5xx."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_events import rest_event

from calledit.api.app import openapi_document
from calledit.local.lambdas import LambdaContext


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Serve the document and turn every other request into an API Gateway event for the handler."""
    import predictions

    path = environ["PATH_INFO"]
    if path == "/openapi.json":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(openapi_document()).encode()]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length).decode("utf-8", "replace") if length else None
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)) or None
    event = rest_event(environ["REQUEST_METHOD"], path, user="fuzzer", query=query, raw_body=body)
    response = predictions.handler(event, LambdaContext.named("predictions"))
    headers = {**(response.get("headers") or {})}
    headers.update({k: ",".join(v) for k, v in (response.get("multiValueHeaders") or {}).items()})
    start_response(f"{response['statusCode']} X", list(headers.items()))
    return [(response.get("body") or "").encode()]


schema = schemathesis.openapi.from_wsgi("/openapi.json", wsgi_app)


@pytest.fixture(autouse=True)
def _moto(aws: dict[str, str]) -> None:
    from calledit.api.app import reset_apps

    reset_apps()


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text)
    if case.path == "/r/{token}" and response.text.startswith("<!doctype html>"):
        pass  # the receipt page is HTML, also when the token is unknown
    elif response.status_code >= 400:
        body = json.loads(response.text)
        assert set(body) == {"code", "message"}, body


def test_document_covers_every_template_route() -> None:
    paths = openapi_document()["paths"]
    assert {
        "/predictions",
        "/predictions/due",
        "/predictions/{prediction_id}",
        "/log-call",
        "/list-predictions",
        "/stats",
        "/export",
        "/notifications",
        "/notifications/read",
        "/receipts/{token}",
        "/r/{token}",
        "/predictions/{prediction_id}/tags",
        "/predictions/{prediction_id}/receipt",
    } <= set(paths)
    assert set(paths["/predictions/{prediction_id}"]) >= {"get", "patch", "delete"}
