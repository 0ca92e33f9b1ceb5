"""Complete API Gateway events, shaped like the ones AWS delivers to Lambda.

One place that builds the events the handlers receive, for the gateway emulator, the tests and the
layer smoke test (``scripts/layer_smoke.py``). The shapes follow the AWS documentation's examples
and events recorded from deployed APIs (``tests/fixtures/events/``):

- WebSocket API: the ``$connect`` REQUEST authorizer input (``type``, ``methodArn``, headers, query,
  ``stageVariables``, a CONNECT request context), then ``$connect`` / MESSAGE / ``$disconnect`` proxy
  events. Their request contexts carry ``messageDirection``, ``extendedRequestId``, ``requestTime``,
  ``requestTimeEpoch``, ``connectedAt`` and, once the authorizer allowed the connection, the
  ``authorizer`` context (``principalId``, ``integrationLatency`` and the policy's ``context``) on
  every later event of that connection.
- REST API (v1 proxy integration) with a Cognito user pool authorizer: the token's claims at
  ``requestContext.authorizer.claims``, every value a string (see ``cognito_claims``).

Every builder's output validates against the matching Powertools parser model
(``tests/local/test_events.py``). Arguments left out get realistic generated values (ids in API
Gateway's formats, "now" timestamps), so tests only pass what they care about.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import string
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_STAGE = "prod"
DEFAULT_SOURCE_IP = "192.0.2.10"  # TEST-NET-1 (RFC 5737)

#: What API Gateway reports when the client closed without a status code (browsers closing a tab).
NO_STATUS_CLOSE = (1005, "Client-side close frame status not set")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Headers API Gateway itself sets on the integration request; the client's values are replaced.
_GATEWAY_HEADERS = ("host", "x-amzn-trace-id", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto")


# ---------------------------------------------------------------------------------- ids and times


def now_ms() -> int:
    """Milliseconds since the epoch (``requestTimeEpoch``, ``connectedAt``)."""
    return time.time_ns() // 1_000_000


def _short_id() -> str:
    """16 characters of URL-safe base64 ending in ``=``, like ``BFaT_fALIAMCKug=``."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode()


def new_connection_id() -> str:
    """A WebSocket connection id in API Gateway's format (e.g. ``FDmBIeapIAMCIQg=``)."""
    return _short_id()


def new_request_id() -> str:
    """A WebSocket ``requestId`` / ``messageId`` / REST ``extendedRequestId`` (e.g. ``FDmBIG3EoAMEqYA=``)."""
    return _short_id()


def new_api_id() -> str:
    """A 10-character API id (e.g. ``c5jwxq709g``)."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(10))


def new_resource_id() -> str:
    """A REST API resource id (6 characters, e.g. ``x1y2z3``)."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(6))


def request_time(epoch_ms: int) -> str:
    """``requestTime`` as API Gateway writes it: ``27/Jan/2025:16:39:47 +0000`` (locale-independent)."""
    t = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return f"{t.day:02d}/{_MONTHS[t.month - 1]}/{t.year}:{t:%H:%M:%S} +0000"


def trace_id(epoch_ms: int) -> str:
    """An ``X-Amzn-Trace-Id`` header value (``Root=1-<epoch hex>-<96 random bits>``)."""
    return f"Root=1-{epoch_ms // 1000:08x}-{secrets.token_hex(12)}"


def execute_api_domain(api_id: str, region: str = DEFAULT_REGION) -> str:
    """The default ``domainName`` of an API: ``{api_id}.execute-api.{region}.amazonaws.com``."""
    return f"{api_id}.execute-api.{region}.amazonaws.com"


def ws_method_arn(api_id: str, stage: str, account_id: str, region: str, route_key: str = "$connect") -> str:
    """A WebSocket authorizer's ``methodArn`` (no HTTP method, unlike REST): ``.../{stage}/$connect``."""
    return f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/{route_key}"


# ---------------------------------------------------------------------------------- helpers


def _multi(values: Mapping[str, str] | None) -> dict[str, list[str]]:
    return {k: [v] for k, v in (values or {}).items()}


def _gateway_headers(
    client: Mapping[str, str] | None,
    *,
    domain: str,
    source_ip: str,
    user_agent: str | None,
    epoch_ms: int,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The client's headers as the integration sees them: API Gateway's own headers set (the client's
    ``X-Forwarded-For`` kept in front of the source IP), defaults for what every client sends."""
    headers: dict[str, str] = {}
    forwarded = ""
    for key, value in (client or {}).items():
        if key.lower() == "x-forwarded-for":
            forwarded = value
        if key.lower() not in _GATEWAY_HEADERS:
            headers[key] = value
    present = {k.lower() for k in headers}
    for key, value in (extra or {}).items():
        if key.lower() not in present:
            headers[key] = value
    if user_agent and "user-agent" not in present:
        headers["User-Agent"] = user_agent
    headers.update(
        {
            "Host": domain,
            "X-Amzn-Trace-Id": trace_id(epoch_ms),
            "X-Forwarded-For": f"{forwarded}, {source_ip}" if forwarded else source_ip,
            "X-Forwarded-Port": "443",
            "X-Forwarded-Proto": "https",
        }
    )
    return dict(sorted(headers.items(), key=lambda kv: kv[0].lower()))  # as API Gateway orders them


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _ws_identity(source_ip: str, user_agent: str | None) -> dict[str, str]:
    identity = {"sourceIp": source_ip}
    if user_agent:
        identity["userAgent"] = user_agent
    return identity


def _ws_context(
    *,
    route_key: str,
    event_type: str,
    connection_id: str,
    domain: str,
    stage: str,
    api_id: str,
    source_ip: str,
    user_agent: str | None,
    connected_at: int | None,
    epoch_ms: int | None,
    request_id: str | None,
    message_id: str | None = None,
    disconnect: tuple[int, str] | None = None,
    authorizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A WebSocket request context, keys in the order API Gateway sends them."""
    epoch = epoch_ms if epoch_ms is not None else now_ms()
    rid = request_id or new_request_id()
    ctx: dict[str, Any] = {"routeKey": route_key}
    if message_id is not None:
        ctx["messageId"] = message_id
    if disconnect is not None:
        ctx["disconnectStatusCode"] = disconnect[0]
    ctx.update(
        {
            "eventType": event_type,
            "extendedRequestId": rid,
            "requestTime": request_time(epoch),
            "messageDirection": "IN",
        }
    )
    if disconnect is not None:
        ctx["disconnectReason"] = disconnect[1]
    ctx.update(
        {
            "stage": stage,
            "connectedAt": connected_at if connected_at is not None else epoch,
            "requestTimeEpoch": epoch,
            "identity": _ws_identity(source_ip, user_agent),
            "requestId": rid,
            "domainName": domain,
            "connectionId": connection_id,
            "apiId": api_id,
        }
    )
    if authorizer is not None:
        ctx["authorizer"] = dict(authorizer)
    return ctx


def _upgrade_headers(
    headers: Mapping[str, str] | None,
    *,
    domain: str,
    source_ip: str,
    user_agent: str | None,
    epoch_ms: int,
    authorizer: bool,
) -> dict[str, str]:
    # The authorizer also sees the hop-by-hop upgrade headers; the $connect integration does not.
    extra = {"Connection": "upgrade", "content-length": "0"} if authorizer else {}
    extra = {
        **extra,
        "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
    }
    if authorizer:
        extra["Upgrade"] = "websocket"
    return _gateway_headers(
        headers, domain=domain, source_ip=source_ip, user_agent=user_agent, epoch_ms=epoch_ms, extra=extra
    )


# ---------------------------------------------------------------------------------- WebSocket API


def ws_authorizer_event(
    *,
    connection_id: str | None = None,
    domain: str | None = None,
    stage: str = DEFAULT_STAGE,
    api_id: str | None = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = DEFAULT_REGION,
    query: Mapping[str, str] | None = None,
    multi_query: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    source_ip: str = DEFAULT_SOURCE_IP,
    user_agent: str | None = None,
    connected_at: int | None = None,
    epoch_ms: int | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The input of a WebSocket ``$connect`` REQUEST authorizer.

    ``headers`` are the client's upgrade request headers (API Gateway adds Host, X-Forwarded-*,
    X-Amzn-Trace-Id); ``query`` its query string (``{"token": ...}``). Pass the same
    ``connection_id``, ``connected_at`` and ``request_id`` to ``ws_connect_event`` for the same upgrade.
    """
    api_id = api_id or new_api_id()
    domain = domain or execute_api_domain(api_id, region)
    epoch = epoch_ms if epoch_ms is not None else now_ms()
    all_headers = _upgrade_headers(
        headers, domain=domain, source_ip=source_ip, user_agent=user_agent, epoch_ms=epoch, authorizer=True
    )
    return {
        "type": "REQUEST",
        "methodArn": ws_method_arn(api_id, stage, account_id, region),
        "headers": all_headers,
        "multiValueHeaders": _multi(all_headers),
        "queryStringParameters": dict(query or {}),
        "multiValueQueryStringParameters": dict(multi_query) if multi_query is not None else _multi(query),
        "stageVariables": {},
        "requestContext": _ws_context(
            route_key="$connect",
            event_type="CONNECT",
            connection_id=connection_id or new_connection_id(),
            domain=domain,
            stage=stage,
            api_id=api_id,
            source_ip=source_ip,
            user_agent=user_agent or _header(all_headers, "User-Agent"),
            connected_at=connected_at if connected_at is not None else epoch,
            epoch_ms=epoch,
            request_id=request_id,
        ),
    }


def ws_authorizer_context(policy: Mapping[str, Any], integration_latency_ms: int = 0) -> dict[str, Any]:
    """``requestContext.authorizer`` of a connection an authorizer allowed: its ``principalId``, the
    authorizer's latency and the policy's ``context`` entries, flattened."""
    return {
        "principalId": policy.get("principalId"),
        "integrationLatency": integration_latency_ms,
        **dict(policy.get("context") or {}),
    }


def ws_connect_event(
    *,
    connection_id: str | None = None,
    domain: str | None = None,
    stage: str = DEFAULT_STAGE,
    api_id: str | None = None,
    region: str = DEFAULT_REGION,
    query: Mapping[str, str] | None = None,
    multi_query: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    source_ip: str = DEFAULT_SOURCE_IP,
    user_agent: str | None = None,
    authorizer: Mapping[str, Any] | None = None,
    connected_at: int | None = None,
    epoch_ms: int | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The ``$connect`` route's proxy event; ``authorizer`` as made by ``ws_authorizer_context``
    (None: a route without authorizer). The query string keys appear only when there is a query."""
    api_id = api_id or new_api_id()
    domain = domain or execute_api_domain(api_id, region)
    epoch = epoch_ms if epoch_ms is not None else now_ms()
    all_headers = _upgrade_headers(
        headers, domain=domain, source_ip=source_ip, user_agent=user_agent, epoch_ms=epoch, authorizer=False
    )
    event: dict[str, Any] = {"headers": all_headers, "multiValueHeaders": _multi(all_headers)}
    if query:
        event["queryStringParameters"] = dict(query)
        event["multiValueQueryStringParameters"] = (
            dict(multi_query) if multi_query is not None else _multi(query)
        )
    event["requestContext"] = _ws_context(
        route_key="$connect",
        event_type="CONNECT",
        connection_id=connection_id or new_connection_id(),
        domain=domain,
        stage=stage,
        api_id=api_id,
        source_ip=source_ip,
        user_agent=user_agent or _header(all_headers, "User-Agent"),
        connected_at=connected_at if connected_at is not None else epoch,
        epoch_ms=epoch,
        request_id=request_id,
        authorizer=authorizer,
    )
    event["isBase64Encoded"] = False
    return event


def ws_message_event(
    *,
    connection_id: str,
    route_key: str,
    body: str,
    is_base64: bool = False,
    authorizer: Mapping[str, Any] | None = None,
    message_id: str | None = None,
    domain: str | None = None,
    stage: str = DEFAULT_STAGE,
    api_id: str | None = None,
    region: str = DEFAULT_REGION,
    source_ip: str = DEFAULT_SOURCE_IP,
    user_agent: str | None = None,
    connected_at: int | None = None,
    epoch_ms: int | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """A MESSAGE event for ``route_key`` (no headers: they belong to the upgrade request).
    ``body`` is the frame's text, or base64 of a binary frame with ``is_base64``."""
    api_id = api_id or new_api_id()
    return {
        "requestContext": _ws_context(
            route_key=route_key,
            event_type="MESSAGE",
            connection_id=connection_id,
            domain=domain or execute_api_domain(api_id, region),
            stage=stage,
            api_id=api_id,
            source_ip=source_ip,
            user_agent=user_agent,
            connected_at=connected_at,
            epoch_ms=epoch_ms,
            request_id=request_id,
            message_id=message_id or new_request_id(),
            authorizer=authorizer,
        ),
        "body": body,
        "isBase64Encoded": is_base64,
    }


def ws_disconnect_event(
    *,
    connection_id: str,
    status_code: int = NO_STATUS_CLOSE[0],
    reason: str = NO_STATUS_CLOSE[1],
    authorizer: Mapping[str, Any] | None = None,
    domain: str | None = None,
    stage: str = DEFAULT_STAGE,
    api_id: str | None = None,
    region: str = DEFAULT_REGION,
    source_ip: str = DEFAULT_SOURCE_IP,
    user_agent: str | None = None,
    connected_at: int | None = None,
    epoch_ms: int | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The ``$disconnect`` event: close code and reason (1005 / "Client-side close frame status not
    set" when the client sent none; 1001 "Going away" on idle timeout). Its headers are API Gateway's
    fixed set, not the client's."""
    api_id = api_id or new_api_id()
    domain = domain or execute_api_domain(api_id, region)
    headers = {"Host": domain, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    return {
        "headers": headers,
        "multiValueHeaders": _multi(headers),
        "requestContext": _ws_context(
            route_key="$disconnect",
            event_type="DISCONNECT",
            connection_id=connection_id,
            domain=domain,
            stage=stage,
            api_id=api_id,
            source_ip=source_ip,
            user_agent=user_agent,
            connected_at=connected_at,
            epoch_ms=epoch_ms,
            request_id=request_id,
            disconnect=(status_code, reason),
            authorizer=authorizer,
        ),
        "isBase64Encoded": False,
    }


# ---------------------------------------------------------------------------------- REST API


def _java_date(epoch_s: int) -> str:
    t = datetime.fromtimestamp(epoch_s, UTC)
    return f"{_DAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t.day:02d} {t:%H:%M:%S} UTC {t.year}"


def cognito_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """ID token claims as a REST API Cognito authorizer passes them on: every value a string,
    ``exp``/``iat`` as dates (``Wed Jun 19 21:44:36 UTC 2019``), booleans ``"true"``/``"false"``,
    other numbers as digits (``auth_time``). Lists and objects become JSON text (their exact
    rendering by API Gateway is undocumented; CalledIt reads none)."""
    out: dict[str, str] = {}
    for key, value in claims.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif key in ("exp", "iat") and isinstance(value, int | float):
            out[key] = _java_date(int(value))
        elif isinstance(value, int | float | str):
            out[key] = str(value)
        else:
            out[key] = json.dumps(value, separators=(",", ":"))
    return out


_EDGE_HEADERS = {
    "CloudFront-Forwarded-Proto": "https",
    "CloudFront-Is-Desktop-Viewer": "true",
    "CloudFront-Is-Mobile-Viewer": "false",
    "CloudFront-Is-SmartTV-Viewer": "false",
    "CloudFront-Is-Tablet-Viewer": "false",
    "CloudFront-Viewer-ASN": "64496",
    "CloudFront-Viewer-Country": "US",
}


def rest_event(
    *,
    method: str,
    resource: str,
    path: str,
    path_parameters: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    multi_query: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    multi_headers: Mapping[str, list[str]] | None = None,
    body: str | None = None,
    is_base64: bool = False,
    claims: Mapping[str, Any] | None = None,
    stage: str = DEFAULT_STAGE,
    api_id: str | None = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = DEFAULT_REGION,
    domain: str | None = None,
    source_ip: str = DEFAULT_SOURCE_IP,
    user_agent: str | None = None,
    edge: bool = True,
    resource_id: str | None = None,
    epoch_ms: int | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """A REST API (v1) Lambda proxy event.

    ``resource`` is the route template (``/predictions/{id}``), ``path`` the request path without the
    stage. ``claims``: the Cognito user pool authorizer's claims (passed through ``cognito_claims``,
    so raw ID token claims are fine); None for a route without authorizer (no ``authorizer`` key).
    ``edge``: an edge-optimized endpoint (the default for ``AWS::Serverless::Api``) adds CloudFront's
    headers. Absent query/path parameters/body are ``null``, as API Gateway sends them.
    """
    method = method.upper()
    api_id = api_id or new_api_id()
    domain = domain or execute_api_domain(api_id, region)
    epoch = epoch_ms if epoch_ms is not None else now_ms()
    extra: dict[str, str] = dict(_EDGE_HEADERS) if edge else {}
    if edge:
        cf = secrets.token_hex(16)
        extra["Via"] = f"2.0 {cf}.cloudfront.net (CloudFront)"
        extra["X-Amz-Cf-Id"] = base64.urlsafe_b64encode(os.urandom(42)).decode()
    all_headers = _gateway_headers(
        headers, domain=domain, source_ip=source_ip, user_agent=user_agent, epoch_ms=epoch, extra=extra
    )
    if multi_headers is None:
        all_multi = _multi(all_headers)
    else:
        all_multi = {k: list(v) for k, v in multi_headers.items()}
        all_multi.update({k: [v] for k, v in all_headers.items() if k not in all_multi})
    context: dict[str, Any] = {
        "resourceId": resource_id or new_resource_id(),
        "resourcePath": resource,
        "httpMethod": method,
        "extendedRequestId": new_request_id(),
        "requestTime": request_time(epoch),
        "path": f"/{stage}{path}",
        "accountId": account_id,
        "protocol": "HTTP/1.1",
        "stage": stage,
        "domainPrefix": domain.split(".", 1)[0],
        "requestTimeEpoch": epoch,
        "requestId": request_id or str(uuid.uuid4()),
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": user_agent or _header(all_headers, "User-Agent"),
            "user": None,
        },
        "domainName": domain,
        "apiId": api_id,
    }
    if claims is not None:
        context["authorizer"] = {"claims": cognito_claims(claims)}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": all_multi,
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": (
            dict(multi_query) if multi_query is not None else (_multi(query) if query else None)
        ),
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


# ---------------------------------------------------------------------------------- SQS


def sqs_record(
    body: str,
    *,
    queue_arn: str = f"arn:aws:sqs:{DEFAULT_REGION}:{DEFAULT_ACCOUNT_ID}:verify",
    message_id: str | None = None,
    receipt_handle: str | None = None,
    attributes: Mapping[str, str] | None = None,
    message_attributes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One record of the SQS event a queue's event source mapping sends Lambda."""
    import hashlib

    now = str(now_ms())
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": receipt_handle or base64.b64encode(secrets.token_bytes(48)).decode(),
        "body": body,
        "attributes": dict(
            attributes
            or {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": now,
                "SenderId": DEFAULT_ACCOUNT_ID,
                "ApproximateFirstReceiveTimestamp": now,
            }
        ),
        "messageAttributes": dict(message_attributes or {}),
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }
