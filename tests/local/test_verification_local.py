"""Verification on the local stack: a call due in seconds goes into the verify queue with a delay
that ends at its date (later ones get a schedule), the queue's consumer runs the verifier function,
and the owner's open tab gets a notification; the live ``verify`` action streams the same agent;
deleting a call deletes its schedule."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from calledit.prediction import format_utc

from .conftest import Client


def prediction(statement: str, due: datetime) -> dict[str, Any]:
    return {
        "prediction_statement": statement,
        "verification_date": format_utc(due),
        "date_reasoning": "The date of the statement.",
        "verification_method": {
            "source": ["A calendar"],
            "criteria": ["The weekday"],
            "steps": ["Look it up"],
        },
        "verifiable_category": "current_tool_verifiable",
        "category_reasoning": "A calendar fact.",
    }


async def save(client: Client, token: str, request_id: str, body: dict[str, Any]) -> dict[str, Any]:
    status, saved = await client.rest(
        "POST",
        "/predictions",
        token,
        {"request_id": request_id, "prediction": body, "timezone": "Europe/Paris"},
    )
    assert status == 201, saved
    return dict(saved)


async def next_notification(ws: aiohttp.ClientWebSocketResponse, timeout_s: float) -> dict[str, Any]:
    async with asyncio.timeout(timeout_s):
        while True:
            frame = json.loads((await ws.receive()).data)
            if frame["type"] == "notification":
                return dict(frame)


async def test_a_call_due_in_seconds_is_verified_on_time_and_its_owner_notified(client: Client) -> None:
    token = await client.sign_in()
    scheduler = client.stack.scheduler
    assert scheduler is not None
    async with client.session.ws_connect(f"{client.stack.ws_url}?token={token}") as ws:
        due = datetime.now(UTC) + timedelta(seconds=3)
        saved = await save(
            client, token, "due-soon", prediction("Christmas 2027 will fall on a Saturday", due)
        )
        name = f"verify-{saved['prediction_id']}"
        assert not [key for key in scheduler.schedules if key[1] == name]  # SQS delays it instead
        note = await next_notification(ws, timeout_s=30)
        arrived = datetime.now(UTC)
    assert note["request_id"] is None and note["seq"] == 0
    assert note["kind"] == "verdict_ready" and note["prediction_id"] == saved["prediction_id"]
    assert note["title"].startswith("Resolved true")
    assert arrived >= due  # never before its date
    status, after = await client.rest("GET", f"/predictions/{saved['prediction_id']}", token)
    assert status == 200 and after["status"] == "resolved" and after["resolved_by"] == "agent"
    assert after["verdict"]["outcome"] == "true" and after["verdict"]["model"] == "offline-verifier"
    status, history = await client.rest("GET", f"/predictions/{saved['prediction_id']}/verdicts", token)
    assert status == 200 and [entry["kind"] for entry in history["items"]] == ["verdict"]


async def test_verify_now_streams_and_a_proposed_verdict_is_confirmed(client: Client) -> None:
    token = await client.sign_in()
    later = datetime.now(UTC) + timedelta(days=30)
    saved = await save(client, token, "rain", prediction("It will rain in Paris on the day", later))
    async with client.session.ws_connect(f"{client.stack.ws_url}?token={token}") as ws:
        await ws.send_json({"action": "verify", "request_id": "v-1", "prediction_id": saved["prediction_id"]})
        frames = await client.frames_until_done(ws, "v-1")
    stream = [f for f in frames if f["seq"] > 0]
    assert [f["seq"] for f in stream] == list(range(1, len(stream) + 1))
    assert ("current_time", "start") in [(f["name"], f["phase"]) for f in stream if f["type"] == "tool"]
    verdict = stream[-1]
    assert verdict["type"] == "verdict" and verdict["applied"] is False
    assert (
        verdict["verdict"]["outcome"] == "inconclusive" and "no web access" in verdict["verdict"]["reasoning"]
    )
    other = await client.sign_in()
    assert (await client.rest("POST", f"/predictions/{saved['prediction_id']}/confirm", other))[0] == 404
    status, done = await client.rest("POST", f"/predictions/{saved['prediction_id']}/confirm", token)
    assert status == 200 and done["status"] == "resolved" and done["outcome"] == "inconclusive"
    assert (await client.rest("POST", f"/predictions/{saved['prediction_id']}/confirm", token))[0] == 409


async def test_deleting_a_call_deletes_its_schedule(client: Client) -> None:
    token = await client.sign_in()
    scheduler = client.stack.scheduler
    assert scheduler is not None
    saved = await save(
        client, token, "later", prediction("It will snow", datetime.now(UTC) + timedelta(days=9))
    )
    name = f"verify-{saved['prediction_id']}"
    assert [key for key in scheduler.schedules if key[1] == name] == [("calledit-local-verify", name)]
    assert (await client.rest("DELETE", f"/predictions/{saved['prediction_id']}", token))[0] == 204
    assert f"verify-{saved['prediction_id']}" not in {key[1] for key in scheduler.schedules}
