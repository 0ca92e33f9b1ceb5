"""$connect / $disconnect handlers with complete API Gateway events (the one event builder) on moto."""

from __future__ import annotations

from typing import Any

import pytest

from calledit.local.events import ws_connect_event, ws_disconnect_event, ws_message_event
from calledit.local.lambdas import LambdaContext
from calledit.storage.connections import ConnectionStore

CID = "Zs1+ab/cd="


def Context() -> LambdaContext:
    return LambdaContext.named("ws-connect")


def authorizer(user: str | None) -> dict[str, Any] | None:
    return {"principalId": user, "sub": user, "email": "a@example.com"} if user else None


def test_connect_records_the_verified_user(aws: Any) -> None:
    import ws_connect

    event = ws_connect_event(connection_id=CID, query={"token": "redacted"}, authorizer=authorizer("user-1"))
    assert ws_connect.handler(event, Context()) == {"statusCode": 200}
    assert ConnectionStore().for_user("user-1") == [CID]


def test_connect_without_authorizer_context_is_refused(aws: Any) -> None:
    import ws_connect

    event = ws_connect_event(connection_id=CID, authorizer=None)
    assert ws_connect.handler(event, Context()) == {"statusCode": 403}
    assert ConnectionStore().for_user("user-1") == []


@pytest.mark.parametrize("status", [1000, 1001, 1006])
def test_disconnect_forgets_the_connection(aws: Any, status: int) -> None:
    import ws_connect
    import ws_disconnect

    ws_connect.handler(ws_connect_event(connection_id=CID, authorizer=authorizer("user-1")), Context())
    event = ws_disconnect_event(connection_id=CID, status_code=status, authorizer=authorizer("user-1"))
    assert ws_disconnect.handler(event, Context()) == {"statusCode": 200}
    assert ConnectionStore().for_user("user-1") == []


def test_a_message_posing_as_disconnect_never_forgets_a_connection(aws: Any) -> None:
    """Only API Gateway raises $disconnect; a MESSAGE event must not reach the record (defence in depth)."""
    import ws_connect
    import ws_disconnect

    ws_connect.handler(ws_connect_event(connection_id=CID, authorizer=authorizer("user-1")), Context())
    forged = ws_message_event(
        connection_id=CID,
        route_key="$disconnect",
        body='{"action":"$disconnect"}',
        authorizer=authorizer("user-1"),
    )
    assert ws_disconnect.handler(forged, Context()) == {"statusCode": 400}
    assert ConnectionStore().for_user("user-1") == [CID]


def test_a_user_sees_every_open_tab(aws: Any) -> None:
    store = ConnectionStore()
    for cid in ("tab-1", "tab-2"):
        store.add(cid, "user-9")
    store.add("other", "user-8")
    assert sorted(store.for_user("user-9")) == ["tab-1", "tab-2"]
