"""calledit.local.events: complete API Gateway events, checked against Powertools' parser models
and against the recorded example events in tests/fixtures/events/."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    ApiGatewayAuthorizerRequest,
    APIGatewayProxyEventModel,
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)
from aws_lambda_powertools.utilities.parser.models.apigw_websocket import (
    APIGatewayWebSocketConnectEventRequestContext,
)
from pydantic import BaseModel, ValidationError

from calledit.local import events

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "events"


class WebSocketAuthorizerRequest(BaseModel):
    """The WebSocket $connect REQUEST authorizer input.

    Powertools 3.37 has no model for it: ``ApiGatewayAuthorizerRequest`` is the REST one (it requires
    ``resource``, ``path``, ``httpMethod`` and a REST request context, none of which a WebSocket
    authorizer gets), so this one is assembled from Powertools' CONNECT request context.
    """

    type: Literal["REQUEST"]
    methodArn: str
    headers: dict[str, str]
    multiValueHeaders: dict[str, list[str]]
    queryStringParameters: dict[str, str]
    multiValueQueryStringParameters: dict[str, list[str]]
    stageVariables: dict[str, str]
    requestContext: APIGatewayWebSocketConnectEventRequestContext


MODELS: dict[str, type[BaseModel]] = {
    "ws_authorizer_request": WebSocketAuthorizerRequest,
    "ws_connect": APIGatewayWebSocketConnectEventModel,
    "ws_message": APIGatewayWebSocketMessageEventModel,
    "ws_disconnect": APIGatewayWebSocketDisconnectEventModel,
    "rest_cognito": APIGatewayProxyEventModel,
}


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def _connection(recorded: dict[str, Any]) -> dict[str, Any]:
    """The arguments that describe the recorded WebSocket connection."""
    ctx = recorded["requestContext"]
    return {
        "connection_id": ctx["connectionId"],
        "domain": ctx["domainName"],
        "stage": ctx["stage"],
        "api_id": ctx["apiId"],
        "source_ip": ctx["identity"]["sourceIp"],
        "user_agent": ctx["identity"].get("userAgent"),
        "connected_at": ctx["connectedAt"],
    }


GATEWAY_SET = {"host", "x-amzn-trace-id", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"}


def _client_headers(recorded: dict[str, Any]) -> dict[str, str]:
    """The recorded request's headers minus those API Gateway sets itself."""
    return {k: v for k, v in recorded["headers"].items() if k.lower() not in GATEWAY_SET}


# What each builder makes when given what the recorded event describes.
BUILDERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "ws_authorizer_request": lambda r: events.ws_authorizer_event(
        **_connection(r),
        account_id="123456789012",
        region="us-east-1",
        query=r["queryStringParameters"],
        headers=_client_headers(r),
    ),
    "ws_connect": lambda r: events.ws_connect_event(
        **_connection(r),
        query=r["queryStringParameters"],
        headers=_client_headers(r),
        authorizer=r["requestContext"]["authorizer"],
    ),
    "ws_message": lambda r: events.ws_message_event(
        **_connection(r),
        route_key=r["requestContext"]["routeKey"],
        body=r["body"],
        authorizer=r["requestContext"]["authorizer"],
    ),
    "ws_disconnect": lambda r: events.ws_disconnect_event(
        **_connection(r),
        status_code=r["requestContext"]["disconnectStatusCode"],
        reason=r["requestContext"]["disconnectReason"],
        authorizer=r["requestContext"]["authorizer"],
    ),
    "rest_cognito": lambda r: events.rest_event(
        method=r["httpMethod"],
        resource=r["resource"],
        path=r["path"],
        path_parameters=r["pathParameters"],
        query=r["queryStringParameters"],
        headers=_client_headers(r),
        body=r["body"],
        claims=r["requestContext"]["authorizer"]["claims"],
        stage=r["requestContext"]["stage"],
        api_id=r["requestContext"]["apiId"],
        account_id=r["requestContext"]["accountId"],
        source_ip=r["requestContext"]["identity"]["sourceIp"],
        user_agent=r["requestContext"]["identity"]["userAgent"],
    ),
}

# Maps whose keys are the request's own data (header names, parameters), not the event's shape.
FREE_FORM = {
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
}


def shape(value: Any, key: str = "") -> Any:
    """The nested key structure of an event (values dropped)."""
    if isinstance(value, dict) and key not in FREE_FORM:
        return {k: shape(v, k) for k, v in value.items()}
    return type(value).__name__ if value is not None else "null"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_recorded_fixture_validates(name: str) -> None:
    MODELS[name].model_validate(fixture(name))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_builder_output_validates(name: str) -> None:
    MODELS[name].model_validate(BUILDERS[name](fixture(name)))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_builder_output_has_the_recorded_shape(name: str) -> None:
    recorded = fixture(name)
    built = BUILDERS[name](recorded)
    assert set(built) == set(recorded)
    assert shape(built["requestContext"], "requestContext") == shape(
        recorded["requestContext"], "requestContext"
    )
    assert shape(built) == shape(recorded)


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("ws_authorizer_request", lambda: events.ws_authorizer_event(query={"token": "t"})),
        ("ws_connect", lambda: events.ws_connect_event()),
        ("ws_message", lambda: events.ws_message_event(connection_id="abc=", route_key="ping", body="{}")),
        ("ws_disconnect", lambda: events.ws_disconnect_event(connection_id="abc=")),
        ("rest_cognito", lambda: events.rest_event(method="GET", resource="/x", path="/x")),
    ],
)
def test_defaults_alone_make_valid_events(name: str, build: Callable[[], dict[str, Any]]) -> None:
    MODELS[name].model_validate(build())


def test_the_rest_authorizer_model_does_not_fit_websocket_authorizer_input() -> None:
    """Why WebSocketAuthorizerRequest exists (drop it once Powertools ships a WebSocket one)."""
    with pytest.raises(ValidationError):
        ApiGatewayAuthorizerRequest.model_validate(fixture("ws_authorizer_request"))


def test_one_connection_keeps_its_ids_and_authorizer_context() -> None:
    policy = {"principalId": "u-1", "context": {"sub": "u-1", "email": "u@example.com"}}
    conn: dict[str, Any] = {
        "connection_id": "Ud5dAeK5IAMCJ8Q=",
        "api_id": "d9k2xq7m1a",
        "connected_at": 1764086753214,
    }
    auth = events.ws_authorizer_event(**conn, query={"token": "t"}, epoch_ms=1764086753214)
    context = events.ws_authorizer_context(policy, integration_latency_ms=42)
    connect = events.ws_connect_event(
        **conn, query={"token": "t"}, authorizer=context, request_id=auth["requestContext"]["requestId"]
    )
    message = events.ws_message_event(**conn, route_key="ping", body='{"action":"ping"}', authorizer=context)
    gone = events.ws_disconnect_event(**conn, authorizer=context)
    assert auth["methodArn"] == "arn:aws:execute-api:us-east-1:123456789012:d9k2xq7m1a/prod/$connect"
    assert context == {"principalId": "u-1", "integrationLatency": 42, "sub": "u-1", "email": "u@example.com"}
    for event in (connect, message, gone):
        ctx = event["requestContext"]
        assert ctx["connectionId"] == "Ud5dAeK5IAMCJ8Q="
        assert ctx["connectedAt"] == 1764086753214
        assert ctx["domainName"] == "d9k2xq7m1a.execute-api.us-east-1.amazonaws.com"
        assert ctx["authorizer"] == context
        assert ctx["messageDirection"] == "IN"
    assert connect["requestContext"]["requestId"] == auth["requestContext"]["requestId"]
    assert message["requestContext"]["messageId"] != message["requestContext"]["requestId"]
    assert gone["requestContext"]["disconnectStatusCode"] == 1005
    assert "authorizer" not in auth["requestContext"]


def test_connect_without_query_has_no_query_keys() -> None:
    event = events.ws_connect_event()
    assert "queryStringParameters" not in event
    assert "multiValueQueryStringParameters" not in event
    assert events.ws_authorizer_event()["queryStringParameters"] == {}


def test_gateway_owned_headers_are_set_by_the_gateway() -> None:
    event = events.ws_connect_event(
        domain="127.0.0.1:3001",
        source_ip="127.0.0.1",
        headers={"host": "evil", "X-Forwarded-For": "10.0.0.1", "Origin": "http://localhost:5173"},
    )
    headers = event["headers"]
    assert headers["Host"] == "127.0.0.1:3001"
    assert "host" not in headers
    assert headers["X-Forwarded-For"] == "10.0.0.1, 127.0.0.1"
    assert headers["Origin"] == "http://localhost:5173"
    assert headers["Sec-WebSocket-Version"] == "13"
    assert "Upgrade" not in headers  # only the authorizer sees the hop-by-hop upgrade headers
    assert event["multiValueHeaders"] == {k: [v] for k, v in headers.items()}
    assert list(headers) == sorted(headers, key=str.lower)


def test_rest_event_nulls_and_claims() -> None:
    event = events.rest_event(
        method="get",
        resource="/predictions/{id}",
        path="/predictions/p-1",
        path_parameters={"id": "p-1"},
        claims={"sub": "u-1", "email_verified": True, "exp": 1764090341, "iat": 1764086741, "auth_time": 1},
        stage="prod",
        edge=False,
    )
    assert event["httpMethod"] == "GET"
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["body"] is None
    assert event["stageVariables"] is None
    assert event["pathParameters"] == {"id": "p-1"}
    ctx = event["requestContext"]
    assert ctx["path"] == "/prod/predictions/p-1"
    assert ctx["resourcePath"] == "/predictions/{id}"
    assert ctx["authorizer"]["claims"] == {
        "sub": "u-1",
        "email_verified": "true",
        "exp": "Tue Nov 25 17:05:41 UTC 2025",
        "iat": "Tue Nov 25 16:05:41 UTC 2025",
        "auth_time": "1",
    }
    assert not any(k.startswith("CloudFront-") for k in event["headers"])
    unauthenticated = events.rest_event(method="OPTIONS", resource="/{proxy+}", path="/predictions")
    assert "authorizer" not in unauthenticated["requestContext"]
    assert "CloudFront-Viewer-Country" in unauthenticated["headers"]


def test_request_time_and_ids_use_api_gateway_formats() -> None:
    assert events.request_time(1737995987617) == "27/Jan/2025:16:39:47 +0000"
    assert len(events.new_connection_id()) == 16 and events.new_connection_id().endswith("=")
    assert len(events.new_api_id()) == 10
    assert events.trace_id(1737995987617).startswith("Root=1-6797b6d3-")
