"""$connect / $disconnect handlers with API Gateway-shaped events on moto."""

from __future__ import annotations

from typing import Any

import pytest

from calledit.storage.connections import ConnectionStore


class Context:
    function_name = "ws-connect"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ws-connect"
    aws_request_id = "ctx-1"


def connect_event(user: str | None = "user-1", cid: str = "Zs1+ab/cd=") -> dict[str, Any]:
    return {
        "headers": {"Host": "abc123.execute-api.us-east-1.amazonaws.com"},
        "queryStringParameters": {"token": "redacted"},
        "requestContext": {
            "routeKey": "$connect",
            "eventType": "CONNECT",
            "connectionId": cid,
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "stage": "prod",
            "identity": {"sourceIp": "203.0.113.9"},
            "authorizer": {"principalId": user, "sub": user, "email": "a@example.com"} if user else None,
        },
        "isBase64Encoded": False,
    }


def test_connect_records_the_verified_user(aws: Any) -> None:
    import ws_connect

    assert ws_connect.handler(connect_event(), Context()) == {"statusCode": 200}
    assert ConnectionStore().owner("Zs1+ab/cd=") == "user-1"


def test_connect_without_authorizer_context_is_refused(aws: Any) -> None:
    import ws_connect

    assert ws_connect.handler(connect_event(user=None), Context()) == {"statusCode": 403}
    assert ConnectionStore().owner("Zs1+ab/cd=") is None


@pytest.mark.parametrize("status", [1000, 1001, 1006])
def test_disconnect_forgets_the_connection(aws: Any, status: int) -> None:
    import ws_connect
    import ws_disconnect

    ws_connect.handler(connect_event(), Context())
    event = connect_event()
    event["requestContext"].update(
        routeKey="$disconnect", eventType="DISCONNECT", disconnectStatusCode=status, disconnectReason=""
    )
    assert ws_disconnect.handler(event, Context()) == {"statusCode": 200}
    assert ConnectionStore().owner("Zs1+ab/cd=") is None
