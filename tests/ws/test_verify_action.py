"""The live ``verify`` action: refusals for other users' and settled calls, then a streamed verdict."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from calledit import clock
from calledit.budget import RunBudget
from calledit.prediction import Prediction
from calledit.storage.jobs import JobStore
from calledit.storage.predictions import PredictionStore
from calledit.ws.actions import ActionHandler
from calledit.ws.worker import handle_job

from .conftest import PREDICTION

FAST = RunBudget(throttle_retry_delay_s=0, timeout_s=60)


def prediction(statement: str) -> Prediction:
    return PREDICTION.model_copy(update={"prediction_statement": statement})


def test_verify_now_over_the_websocket(aws: Any, ws_event: Any, connections: Any) -> None:
    invoked: list[dict[str, Any]] = []
    handler = ActionHandler(jobs=JobStore(), invoker=invoked.append, transport_factory=connections.factory)
    store = PredictionStore()
    mine, _ = store.create(
        "user-1",
        "cal",
        prediction("Christmas 2027 will fall on a Saturday"),
        timezone="Europe/Paris",
        model="offline-heuristic",
    )
    theirs, _ = store.create(
        "someone-else", "x", PREDICTION, timezone="Europe/Oslo", model="offline-heuristic"
    )
    handler(
        ws_event(
            {"action": "verify", "request_id": "v0", "prediction_id": theirs.prediction_id}, route="verify"
        )
    )
    assert connections.frames["Zs1AbC+dE/f="][-1]["code"] == "not_found" and invoked == []
    handler(
        ws_event(
            {"action": "verify", "request_id": "v1", "prediction_id": mine.prediction_id}, route="verify"
        )
    )
    assert connections.frames["Zs1AbC+dE/f="][-1]["status"] == "accepted"
    with clock.frozen_at(datetime(2027, 12, 26, 10, tzinfo=UTC)):
        status = asyncio.run(handle_job(invoked[0], transport_factory=connections.factory, budget=FAST))
    assert status == "completed"
    frames = [f for f in connections.frames["Zs1AbC+dE/f="] if f["request_id"] == "v1" and f["seq"] > 0]
    assert (
        frames[-1]["type"] == "verdict"
        and frames[-1]["verdict"]["outcome"] == "true"
        and frames[-1]["applied"]
    )
    assert [f["seq"] for f in frames] == list(range(1, len(frames) + 1))
    handler(
        ws_event(
            {"action": "verify", "request_id": "v2", "prediction_id": mine.prediction_id}, route="verify"
        )
    )
    assert connections.frames["Zs1AbC+dE/f="][-1]["code"] == "conflict"  # already resolved
