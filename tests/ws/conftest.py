"""Fixtures for the WebSocket side: API Gateway-shaped events and recording transports."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from calledit.prediction import Prediction

PREDICTION = Prediction.model_validate(
    {
        "prediction_statement": "It will snow in Oslo on Christmas Day 2027",
        "verification_date": "2027-12-25T22:59:59Z",
        "date_reasoning": "Christmas Day ends at midnight in Oslo.",
        "verification_method": {"source": ["Met Norway"], "criteria": ["Snow recorded"], "steps": ["Check"]},
        "verifiable_category": "api_tool_verifiable",
        "category_reasoning": "Weather observations are needed.",
    }
)


class Connections:
    """A stand-in for the management API: frames posted per connection id; some ids gone."""

    def __init__(self) -> None:
        self.frames: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.gone: set[str] = set()
        self.lock = threading.Lock()
        self.on_post: Callable[[dict[str, Any]], None] | None = None  # sees each frame as it is posted

    def factory(self, endpoint: str, connection_id: str) -> _Transport:
        return _Transport(self, endpoint, connection_id)


class _Transport:
    def __init__(self, owner: Connections, endpoint: str, connection_id: str) -> None:
        self.owner, self.endpoint, self.connection_id = owner, endpoint, connection_id

    def post(self, data: bytes) -> None:
        from calledit.ws.transport import ConnectionGone

        with self.owner.lock:
            if self.connection_id in self.owner.gone:
                raise ConnectionGone(self.connection_id)
            body = json.loads(data)
            if self.owner.on_post is not None:
                self.owner.on_post(body)
            self.owner.frames[self.connection_id].append(body)


@pytest.fixture
def connections() -> Connections:
    return Connections()


EventFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def ws_event() -> EventFactory:
    """Build a WebSocket MESSAGE event like API Gateway sends after $connect authorised the user."""

    def make(
        body: Any = None,
        *,
        user: str | None = "user-1",
        connection_id: str = "Zs1AbC+dE/f=",
        route: str = "makecall",
        raw: str | None = None,
        binary: bool = False,
        connected_at: int = 1_700_000_000_000,
    ) -> dict[str, Any]:
        from calledit.local.events import ws_message_event

        authorizer = (
            {"principalId": user, "sub": user, "email": f"{user}@example.com", "integrationLatency": 12}
            if user
            else None
        )
        return ws_message_event(
            connection_id=connection_id,
            route_key=route,
            body=raw if raw is not None else json.dumps(body),
            is_base64=binary,
            authorizer=authorizer,
            domain="abc123.execute-api.us-east-1.amazonaws.com",
            api_id="abc123",
            connected_at=connected_at,
        )

    return make
