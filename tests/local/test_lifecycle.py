"""Every call ends exactly once, in order: the job lifecycle against the local stack with real clients.

Each test is one of the reproductions of the lifecycle issue: resume after a disconnect, a job that
finished while the client was away, a dead worker, a run past its deadline, simultaneous calls and
admission, and random interleavings of disconnect / resume / cancel.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from decimal import Decimal
from typing import Any

import aiohttp
import jwt
import pytest

from calledit import framelog
from calledit.lifecycle import MAX_ACTIVE_PER_USER, STALE_AFTER_S, JobStatus
from calledit.protocol import StatusEvent, TextEvent, frame, is_terminal
from calledit.storage.jobs import JobStore

from .conftest import Client

PROMPT = "The S&P 500 will close above 7000 by March 2027"


def makecall(request_id: str, prompt: str = PROMPT) -> dict[str, Any]:
    return {"action": "makecall", "prompt": prompt, "timezone": "Europe/Paris", "request_id": request_id}


def sub_of(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


async def receive(ws: aiohttp.ClientWebSocketResponse, timeout_s: float = 15) -> dict[str, Any]:
    msg = await ws.receive(timeout=timeout_s)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    body: dict[str, Any] = json.loads(msg.data)
    return body


async def read_until(
    ws: aiohttp.ClientWebSocketResponse, request_id: str, stop: Any, seen: list[dict[str, Any]]
) -> None:
    """Append the request's numbered frames to ``seen`` until ``stop(frame)``."""
    while True:
        body = await receive(ws)
        if body.get("request_id") == request_id and body["seq"] > 0:
            seen.append(body)
            if stop(body):
                return


def assert_exactly_once(frames: list[dict[str, Any]]) -> None:
    """Numbered 1..N without a gap or a duplicate, one terminal frame, and it is the last."""
    seqs = [f["seq"] for f in frames]
    assert seqs == list(range(1, len(frames) + 1)), seqs
    terminals = [f for f in frames if is_terminal(f)]
    assert len(terminals) == 1 and terminals[0] is frames[-1], [f["type"] for f in frames]


async def wait_for_status(user: str, request_id: str, done: set[JobStatus], timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        job = await asyncio.to_thread(JobStore().get, user, request_id)
        if job is not None and job.status in done:
            return job
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.1)


async def test_resume_after_a_disconnect_continues_the_numbering(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLEDIT_OFFLINE_DELAY_MS", "40")  # slow enough to leave mid-stream
    token = await client.sign_in()
    url = f"{client.stack.ws_url}?token={token}"
    seen: list[dict[str, Any]] = []
    async with client.session.ws_connect(url) as ws:
        await ws.send_json(makecall("away"))
        await read_until(ws, "away", lambda f: f["seq"] == 5, seen)
    await asyncio.sleep(3.5)  # past the old 3 s grace that used to cancel the run
    async with client.session.ws_connect(url) as ws:
        await ws.send_json({"action": "resume", "request_id": "away", "after_seq": 5})
        await read_until(ws, "away", is_terminal, seen)
    assert_exactly_once(seen)
    assert seen[-1]["type"] == "complete"


async def test_a_job_that_finished_while_the_client_was_away_is_replayed_in_full(client: Client) -> None:
    token = await client.sign_in()
    url = f"{client.stack.ws_url}?token={token}"
    seen: list[dict[str, Any]] = []
    async with client.session.ws_connect(url) as ws:
        await ws.send_json(makecall("gone"))
        await read_until(ws, "gone", lambda f: f["seq"] == 3, seen)
    await wait_for_status(sub_of(token), "gone", {JobStatus.COMPLETED})
    async with client.session.ws_connect(url) as ws:
        await ws.send_json({"action": "resume", "request_id": "gone", "after_seq": 3})
        await read_until(ws, "gone", is_terminal, seen)
    assert_exactly_once(seen)
    assert len(seen) > 5  # a replay of the whole rest, not just the final frame


async def _dead_job(user: str, request_id: str, frames_made: int, restarts: int = 0) -> None:
    """The record a worker leaves when it is killed after logging ``frames_made`` frames."""
    from calledit.aws import table
    from calledit.settings import get_settings

    frames = [frame(StatusEvent(status="running", message="Analysing"), request_id, 1)]
    frames += [frame(TextEvent(content=f"word{i} "), request_id, i) for i in range(2, frames_made + 1)]
    store = JobStore()
    await asyncio.to_thread(
        store.create,
        user,
        request_id,
        connection_id="long-gone",
        endpoint="http://127.0.0.1:1/gone",
        prompt=PROMPT,
        timezone="Europe/Paris",
    )
    await asyncio.to_thread(store.admit, user, request_id, MAX_ACTIVE_PER_USER)
    await asyncio.to_thread(
        table(get_settings().jobs_table).update_item,
        Key={"user_id": user, "request_id": request_id},
        UpdateExpression="SET #s = :running, run_id = :run, frame_log = :log, last_seq = :last, "
        "heartbeat_at = :old, restarts = :restarts",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":running": "running",
            ":run": "dead-run",
            ":log": framelog.pack(frames),
            ":last": frames_made,
            ":old": Decimal(str(time.time() - STALE_AFTER_S - 5)),
            ":restarts": restarts,
        },
    )


@pytest.mark.parametrize(("after_seq", "first_new"), [(3, 6), (5, 6), (7, 8)])
async def test_a_dead_workers_job_is_restarted_on_resume_and_numbering_continues(
    client: Client, after_seq: int, first_new: int
) -> None:
    """The client may have seen fewer frames than were logged (3), all of them (5), or frames the
    dead worker posted but never logged (7): it gets the rest exactly once either way."""
    token = await client.sign_in()
    user = sub_of(token)
    await _dead_job(user, "dead", frames_made=5)
    seen: list[dict[str, Any]] = []
    async with client.session.ws_connect(f"{client.stack.ws_url}?token={token}") as ws:
        await ws.send_json({"action": "resume", "request_id": "dead", "after_seq": after_seq})
        await read_until(ws, "dead", is_terminal, seen)
    assert [f["seq"] for f in seen] == [
        *range(after_seq + 1, 6),
        *range(first_new, first_new + len(seen) - max(0, 5 - after_seq)),
    ]
    restarted = next(f for f in seen if f["seq"] == first_new)
    assert restarted["type"] == "status" and restarted["status"] == "restarted"
    assert seen[-1]["type"] == "complete" and sum(map(is_terminal, seen)) == 1
    job = await wait_for_status(user, "dead", {JobStatus.COMPLETED})
    assert job.restarts == 1 and job.last_seq == seen[-1]["seq"]


async def test_a_job_that_died_again_after_its_restart_fails_with_a_terminal_frame(client: Client) -> None:
    token = await client.sign_in()
    user = sub_of(token)
    await _dead_job(user, "twice", frames_made=4, restarts=1)
    seen: list[dict[str, Any]] = []
    async with client.session.ws_connect(f"{client.stack.ws_url}?token={token}") as ws:
        await ws.send_json({"action": "resume", "request_id": "twice", "after_seq": 4})
        await read_until(ws, "twice", is_terminal, seen)
    assert [(f["seq"], f["type"], f.get("code")) for f in seen] == [(5, "error", "internal")]
    job = await JobStore_get(user, "twice")
    assert job.status is JobStatus.FAILED
    assert await asyncio.to_thread(JobStore().slot_holders, user) == set()


async def JobStore_get(user: str, request_id: str) -> Any:
    return await asyncio.to_thread(JobStore().get, user, request_id)


async def test_a_run_past_its_deadline_ends_with_timed_out(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLEDIT_RUN_TIMEOUT_S", "1")
    monkeypatch.setenv("CALLEDIT_OFFLINE_DELAY_MS", "60")
    token = await client.sign_in()
    seen: list[dict[str, Any]] = []
    async with client.session.ws_connect(f"{client.stack.ws_url}?token={token}") as ws:
        await ws.send_json(makecall("slow"))
        await read_until(ws, "slow", is_terminal, seen)
    assert_exactly_once(seen)
    assert seen[-1]["type"] == "error" and seen[-1]["code"] == "timed_out"
    job = await wait_for_status(sub_of(token), "slow", {JobStatus.TIMED_OUT})
    assert job.frames[-1] == seen[-1]


async def test_thirty_simultaneous_calls_admit_exactly_three(client: Client) -> None:
    token = await client.sign_in()
    ids = [f"burst-{i:02d}" for i in range(30)]
    acks: dict[str, dict[str, Any]] = {}
    async with client.session.ws_connect(f"{client.stack.ws_url}?token={token}") as ws:
        await asyncio.gather(*(ws.send_json(makecall(rid)) for rid in ids))
        ended: set[str] = set()
        while len(acks) < 30 or not ended >= {r for r, a in acks.items() if a["type"] == "status"}:
            body = await receive(ws, 60)
            rid = body["request_id"]
            if body["seq"] == 0 and rid not in acks:
                acks[rid] = body
            if body["seq"] > 0 and is_terminal(body):
                ended.add(rid)
        accepted = [
            rid for rid, ack in acks.items() if ack["type"] == "status" and ack["status"] == "accepted"
        ]
        refused = [ack for ack in acks.values() if ack["type"] == "error"]
        assert len(accepted) == 3 and len(refused) == 27
        assert all(a["code"] == "rate_limited" and a["retry_after"] > 0 for a in refused)
        # The three finished, so their slots are free at once: the next call is accepted.
        await ws.send_json(makecall("after-burst"))
        while True:
            body = await receive(ws)
            if body["request_id"] == "after-burst":
                assert body["type"] == "status" and body["status"] == "accepted"
                break


@pytest.mark.parametrize("seed", range(8))
async def test_random_disconnect_resume_cancel_never_duplicates_gaps_or_ends_twice(
    client: Client, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """A client that drops, resumes (with the last seq it saw) and cancels at random moments sees
    every call's frames numbered 1..N exactly once, ending in exactly one terminal frame."""
    rng = random.Random(seed)
    monkeypatch.setenv("CALLEDIT_OFFLINE_DELAY_MS", str(rng.choice([5, 15, 30])))
    token = await client.sign_in()
    url = f"{client.stack.ws_url}?token={token}"
    calls = [f"fuzz-{seed}-{i}" for i in range(rng.randint(1, 3))]
    seen: dict[str, list[dict[str, Any]]] = {rid: [] for rid in calls}
    refused: set[str] = set()
    ws = await client.session.ws_connect(url)
    conn_no = 0
    log: list[str] = []
    for rid in calls:
        await ws.send_json(makecall(rid))

    async def drain(for_s: float) -> None:
        end = time.monotonic() + for_s
        while (left := end - time.monotonic()) > 0:
            try:
                body = await receive(ws, left)
            except TimeoutError:
                return
            rid = body.get("request_id")
            if rid in seen and body["seq"] > 0:
                body["_conn"] = conn_no
                seen[rid].append(body)
            elif rid in seen and body["type"] == "error":
                refused.add(rid)

    def open_calls() -> list[str]:
        return [r for r in calls if r not in refused and not any(is_terminal(f) for f in seen[r])]

    for _ in range(rng.randint(3, 8)):
        if not open_calls():
            break
        action = rng.choice(["wait", "wait", "drop", "drop", "cancel"])
        if action == "wait":
            await drain(rng.uniform(0.02, 0.4))
        elif action == "drop":
            await ws.close()
            await asyncio.sleep(rng.uniform(0.0, 0.5))
            ws = await client.session.ws_connect(url)
            conn_no += 1
            for rid in open_calls():
                last = seen[rid][-1]["seq"] if seen[rid] else 0
                log.append(f"conn{conn_no} resume {rid} after {last}")
                await ws.send_json({"action": "resume", "request_id": rid, "after_seq": last})
        else:
            target = rng.choice(open_calls())
            log.append(f"cancel {target}")
            await ws.send_json({"action": "cancel", "request_id": target})
    deadline = time.monotonic() + 60
    while open_calls() and time.monotonic() < deadline:
        await drain(0.5)
    await ws.close()
    assert not open_calls(), {r: [f["seq"] for f in seen[r]] for r in open_calls()}
    for rid in calls:
        if rid not in refused:
            trace = [(f["_conn"], f["seq"], f["type"]) for f in seen[rid]]
            assert [f["seq"] for f in seen[rid]] == list(range(1, len(seen[rid]) + 1)), (rid, trace, log)
            assert_exactly_once(seen[rid])


async def test_route_handling_stays_responsive_while_workers_are_busy(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """72 long jobs (more than the worker pool) must not delay a new handshake or a ping."""
    monkeypatch.setenv("CALLEDIT_OFFLINE_DELAY_MS", "200")
    sockets = []
    for _ in range(24):
        token = await client.sign_in()
        ws = await client.session.ws_connect(f"{client.stack.ws_url}?token={token}")
        for i in range(3):
            await ws.send_json(makecall(f"long-{uuid.uuid4().hex[:8]}-{i}"))
        sockets.append(ws)
    await asyncio.sleep(1.0)
    token = await client.sign_in()
    started = time.monotonic()
    async with client.session.ws_connect(f"{client.stack.ws_url}?token={token}") as ws:
        await ws.send_json({"action": "ping"})
        while (await receive(ws, 10)).get("status") != "pong":
            pass
    assert time.monotonic() - started < 5.0  # generous: it is milliseconds when pools are separate
    for ws in sockets:
        await ws.close()


async def test_the_lambda_invoke_endpoint_refuses_callers_without_the_run_secret(client: Client) -> None:
    base = f"{client.stack.base_url}/lambda"
    path = "2015-03-31/functions/PredictionsFunction/invocations"
    forged = {"httpMethod": "GET", "path": "/predictions", "requestContext": {"authorizer": {"claims": {}}}}
    for secret in ("", "guess", "x" * 32):
        async with client.session.post(f"{base}/{secret}/{path}", json=forged) as resp:
            assert 400 <= resp.status < 500, secret  # refused, and nothing was invoked
    async with client.session.post(f"{base}/{client.stack.invoke_secret}/{path}", json={}) as resp:
        assert resp.status == 200  # the handlers' own endpoint still works


async def test_access_logs_never_contain_id_tokens(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    token = await client.sign_in()
    with caplog.at_level("INFO", logger="aiohttp.access"):
        async with client.session.ws_connect(f"{client.stack.ws_url}?token={token}") as ws:
            await ws.send_json({"action": "ping"})
            await receive(ws)
        await asyncio.sleep(0.1)
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert any("/ws?token=REDACTED" in line for line in lines), lines
    assert not any(token in line or token[:40] in line for line in lines)
