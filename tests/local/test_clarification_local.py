"""Clarifying questions on the local stack, over a real WebSocket: the call asks, waits with no worker
running, and goes on with the answer, or by itself (stated assumptions) once the timeout message
comes back through the SQS emulator to the worker function."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from .conftest import Client

CITY = "Manchester City will win the Premier League this season"


async def until(
    ws: aiohttp.ClientWebSocketResponse, kind: str, timeout_s: float = 30
) -> list[dict[str, Any]]:
    """Frames of request c1 up to and including the first of type ``kind``."""
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout_s):
        while True:
            frame = json.loads((await ws.receive()).data)
            if frame.get("request_id") == "c1":
                seen.append(frame)
                if frame["type"] == kind and frame["seq"] > 0:
                    return seen


async def test_ask_then_answer_over_the_websocket(client: Client) -> None:
    token = await client.sign_in()
    async with client.session.ws_connect(f"{client.stack.ws_url}?token={token}") as ws:
        await ws.send_json(
            {"action": "makecall", "request_id": "c1", "prompt": CITY, "timezone": "Europe/London"}
        )
        asked = (await until(ws, "clarify"))[-1]
        suggestion = next(
            s for s in asked["questions"][0]["suggestions"] if s.startswith("end of this season")
        )
        await ws.send_json({"action": "clarify", "request_id": "c1", "answers": {"by_when": suggestion}})
        rest = await until(ws, "complete")
    complete = rest[-1]
    assert [f["status"] for f in rest if f["seq"] == 0] == ["accepted"]
    assert complete["seq"] > asked["seq"]
    assert complete["prediction"]["prediction_statement"] == CITY
    assert complete["prediction"]["clarifications"][0]["answer"] == suggestion
    assert complete["prediction"]["verification_date"].endswith("-05-31T22:59:59Z")
    status, saved = await client.rest(
        "POST",
        "/predictions",
        token,
        {"request_id": "c1", "prediction": complete["prediction"], "timezone": "Europe/London"},
    )
    assert status == 201 and saved["clarifications"] == complete["prediction"]["clarifications"]
    assert saved["verifiability"] == complete["verifiability"]


async def test_an_unanswered_question_goes_on_by_itself(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLEDIT_CLARIFY_TIMEOUT_S", "2")
    token = await client.sign_in()
    async with client.session.ws_connect(f"{client.stack.ws_url}?token={token}") as ws:
        await ws.send_json({"action": "makecall", "request_id": "c1", "prompt": "Bitcoin will go up"})
        asked = (await until(ws, "clarify"))[-1]
        assert asked["timeout_s"] == 2 and [q["id"] for q in asked["questions"]] == ["by_when", "threshold"]
        complete = (await until(ws, "complete", timeout_s=30))[-1]
    assert "(no answer came in time), so one year was assumed" in complete["prediction"]["date_reasoning"]
    await asyncio.sleep(0)
