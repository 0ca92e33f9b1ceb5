"""The stream worker end to end on moto: real agent loop, offline model, coalescing sender, job record."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from calledit.models.offline import OFFLINE_MODEL_NAME, OfflineHeuristicModel
from calledit.models.selection import ModelChoice
from calledit.ws.jobs import JobStore
from calledit.ws.worker import JobRun, run_worker

ENDPOINT = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"


def new_job(
    user: str = "u1",
    request_id: str = "r1",
    connection: str = "conn=1",
    prompt: str = "The S&P 500 will close above 7000 by March 2027",
) -> Any:
    return JobStore().create(
        user, request_id, connection_id=connection, endpoint=ENDPOINT, prompt=prompt, timezone="Europe/Paris"
    )


def offline(delay_s: float = 0.0) -> ModelChoice:
    return ModelChoice(OfflineHeuristicModel(delay_s=delay_s), OFFLINE_MODEL_NAME)


async def test_worker_streams_every_event_and_stores_the_result(aws: Any, connections: Any) -> None:
    new_job()
    status = await run_worker(
        {"user_id": "u1", "request_id": "r1"}, choice=offline(), transport_factory=connections.factory
    )
    assert status == "completed"
    frames = connections.frames["conn=1"]
    assert [f["seq"] for f in frames] == list(range(1, len(frames) + 1))
    assert frames[0]["type"] == "status" and frames[-1]["type"] == "complete"
    assert {f["type"] for f in frames} >= {"status", "text", "tool", "complete"}
    job = JobStore().get("u1", "r1")
    assert job is not None and job.status == "completed" and job.last_seq == frames[-1]["seq"]
    assert job.final_frame == frames[-1]


async def test_duplicate_delivery_is_ignored(aws: Any, connections: Any) -> None:
    new_job()
    await run_worker(
        {"user_id": "u1", "request_id": "r1"}, choice=offline(), transport_factory=connections.factory
    )
    again = await run_worker(
        {"user_id": "u1", "request_id": "r1"}, choice=offline(), transport_factory=connections.factory
    )
    assert again is None


async def test_gone_client_cancels_the_run_and_keeps_the_job(aws: Any, connections: Any) -> None:
    connections.gone.add("conn=1")
    job = new_job()
    run = JobRun(
        job, JobStore(), choice=offline(0.002), transport_factory=connections.factory, gone_grace_s=0.05
    )
    status = await run.run()
    assert status == "abandoned"
    assert run.cancel.is_set()  # the agent was told to stop: no more model spend
    assert JobStore().get("u1", "r1").status == "abandoned"  # type: ignore[union-attr]


async def test_resume_from_a_new_connection_replays_after_the_last_seq(aws: Any, connections: Any) -> None:
    job = new_job()
    store = JobStore()
    run = JobRun(
        job,
        store,
        choice=offline(0.003),
        transport_factory=connections.factory,
        poll_s=0.02,
        gone_grace_s=2.0,
    )
    task = asyncio.create_task(run.run())
    while len(connections.frames["conn=1"]) < 3:  # noqa: ASYNC110 - polling a plain list the fake fills
        await asyncio.sleep(0.005)
    connections.gone.add("conn=1")  # the old socket dies...
    seen = connections.frames["conn=1"][-1]["seq"]
    store.attach("u1", "r1", "conn=2", seen)  # ...and the client resumes from a new one
    assert await task == "completed"
    old, new = connections.frames["conn=1"], connections.frames["conn=2"]
    assert new[0]["seq"] == seen + 1 and new[-1]["type"] == "complete"
    assert [f["seq"] for f in old + new] == list(range(1, new[-1]["seq"] + 1))  # nothing lost or repeated


async def test_cancel_request_stops_the_run(aws: Any, connections: Any) -> None:
    job = new_job()
    store = JobStore()
    run = JobRun(job, store, choice=offline(0.01), transport_factory=connections.factory, poll_s=0.01)
    task = asyncio.create_task(run.run())
    await asyncio.sleep(0.05)
    await asyncio.to_thread(store.request_cancel, "u1", "r1")
    assert await task == "cancelled"
    assert connections.frames["conn=1"][-1]["status"] == "cancelled"


def test_stream_worker_handler_runs_under_asyncio_run(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Lambda entry point with the offline model, posting through moto's management API."""
    import stream_worker
    from calledit.aws import reset_clients

    reset_clients()
    new_job()

    class Context:
        function_name = "stream-worker"
        memory_limit_in_mb = 1024
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:stream-worker"
        aws_request_id = "ctx-1"

    assert threading.current_thread() is threading.main_thread()
    result = stream_worker.handler({"user_id": "u1", "request_id": "r1"}, Context())
    assert result == {"status": "completed"}
