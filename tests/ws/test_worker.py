"""The stream worker end to end on moto: real agent loop, offline model, coalescing sender, job record."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from calledit.lifecycle import JobStatus
from calledit.local.lambdas import LambdaContext
from calledit.providers.offline import OFFLINE_MODEL_NAME, OfflineHeuristicModel
from calledit.providers.selection import ModelChoice
from calledit.storage.jobs import JobStore
from calledit.ws.worker import JobWorker, handle_job

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


def claimed(store: JobStore, run_id: str = "run-1", **kwargs: Any) -> Any:
    new_job(**kwargs)
    job = store.claim(kwargs.get("user", "u1"), kwargs.get("request_id", "r1"), run_id)
    assert job is not None
    return job


async def test_worker_streams_every_event_and_stores_the_result(aws: Any, connections: Any) -> None:
    new_job()
    status = await handle_job(
        {"user_id": "u1", "request_id": "r1"}, choice=offline(), transport_factory=connections.factory
    )
    assert status == "completed"
    frames = connections.frames["conn=1"]
    assert [f["seq"] for f in frames] == list(range(1, len(frames) + 1))
    assert frames[0]["type"] == "status" and frames[-1]["type"] == "complete"
    assert {f["type"] for f in frames} >= {"status", "text", "tool", "complete"}
    job = JobStore().get("u1", "r1")
    assert job is not None and job.status == "completed" and job.last_seq == frames[-1]["seq"]
    assert job.frames == frames  # the whole stream is logged for resumes
    assert job.result == frames[-1]["prediction"]


async def test_duplicate_delivery_is_ignored(aws: Any, connections: Any) -> None:
    new_job()
    await handle_job(
        {"user_id": "u1", "request_id": "r1"}, choice=offline(), transport_factory=connections.factory
    )
    again = await handle_job(
        {"user_id": "u1", "request_id": "r1"}, choice=offline(), transport_factory=connections.factory
    )
    assert again is None


async def test_a_gone_client_does_not_stop_the_run_and_the_log_keeps_every_frame(
    aws: Any, connections: Any
) -> None:
    connections.gone.add("conn=1")
    store = JobStore()
    status = await JobWorker(
        claimed(store), store, choice=offline(), transport_factory=connections.factory
    ).run()
    assert status == "completed"
    job = store.get("u1", "r1")
    assert job is not None and job.status is JobStatus.COMPLETED
    assert [f["seq"] for f in job.frames] == list(range(1, len(job.frames) + 1))
    assert job.frames[-1]["type"] == "complete"


async def test_resume_from_a_new_connection_replays_after_the_last_seq(aws: Any, connections: Any) -> None:
    store = JobStore()
    run = JobWorker(
        claimed(store), store, choice=offline(0.003), transport_factory=connections.factory, poll_s=0.02
    )
    task = asyncio.create_task(run.run())
    while len(connections.frames["conn=1"]) < 3:  # noqa: ASYNC110 - polling a plain list the fake fills
        await asyncio.sleep(0.005)
    connections.gone.add("conn=1")  # the old socket dies...
    seen = connections.frames["conn=1"][-1]["seq"]
    store.attach("u1", "r1", "conn=2", ENDPOINT, seen)  # ...and the client resumes from a new one
    assert await task == "completed"
    old, new = connections.frames["conn=1"], connections.frames["conn=2"]
    assert new[0]["seq"] == seen + 1 and new[-1]["type"] == "complete"
    assert [f["seq"] for f in old + new] == list(range(1, new[-1]["seq"] + 1))  # nothing lost or repeated


async def test_cancel_request_stops_the_run(aws: Any, connections: Any) -> None:
    store = JobStore()
    run = JobWorker(
        claimed(store), store, choice=offline(0.01), transport_factory=connections.factory, poll_s=0.01
    )
    task = asyncio.create_task(run.run())
    await asyncio.sleep(0.05)
    await asyncio.to_thread(store.request_cancel, "u1", "r1")
    assert await task == "cancelled"
    assert connections.frames["conn=1"][-1]["status"] == "cancelled"


def test_stream_worker_handler_runs_under_asyncio_run(
    aws: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Lambda entry point with the offline model, posting through moto's management API."""
    import stream_worker
    from calledit.aws import reset_clients

    reset_clients()
    new_job()

    from calledit.metrics import metrics

    metrics.clear_metrics()  # runs driven directly by other tests were never flushed
    assert threading.current_thread() is threading.main_thread()
    result = stream_worker.handler(
        {"user_id": "u1", "request_id": "r1"}, LambdaContext.named("stream-worker", 300)
    )
    assert result == {"status": "completed"}
    # Embedded-metric-format line for CloudWatch: one run, its outcome, tokens and first-frame latency.
    import json

    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert emf, "no metrics flushed"
    emitted = emf[-1]
    assert emitted["outcome"] == "completed" and emitted["kind"] == "analysis"
    one = {k: (v[0] if isinstance(v, list) else v) for k, v in emitted.items() if k != "_aws"}
    assert one["Runs"] == 1.0 and one["OutputTokens"] > 0 and one["FirstFrameLatency"] >= 0


async def test_a_run_past_its_deadline_ends_with_timed_out(aws: Any, connections: Any) -> None:
    store = JobStore()
    worker = JobWorker(
        claimed(store), store, choice=offline(0.05), transport_factory=connections.factory, timeout_s=0.2
    )
    assert await worker.run() == JobStatus.TIMED_OUT
    frames = connections.frames["conn=1"]
    assert frames[-1]["type"] == "error" and frames[-1]["code"] == "timed_out"
    assert sum(1 for f in frames if f["type"] in ("complete", "error")) == 1
    assert store.slot_holders("u1") == set()


async def test_the_worker_heartbeats_and_flushes_its_log_while_running(aws: Any, connections: Any) -> None:
    store = JobStore()
    job = claimed(store)
    worker = JobWorker(
        job, store, choice=offline(0.02), transport_factory=connections.factory, poll_s=0.05, flush_s=0.1
    )
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.6)
    mid = await asyncio.to_thread(store.get, "u1", "r1")
    assert mid is not None and mid.status is JobStatus.RUNNING
    assert mid.heartbeat_at > job.heartbeat_at and mid.last_seq > 0
    assert mid.frames == connections.frames["conn=1"][: len(mid.frames)]
    assert await task == JobStatus.COMPLETED


async def test_a_worker_that_lost_its_lease_stops_and_leaves_the_job_alone(
    aws: Any, connections: Any
) -> None:
    """A zombie (presumed dead, restarted elsewhere) must not finish or overwrite the job."""
    store = JobStore()
    job = claimed(store)
    worker = JobWorker(job, store, choice=offline(0.02), transport_factory=connections.factory, poll_s=0.05)
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.2)
    restarted = await asyncio.to_thread(
        store.restart, job, connection_id="conn=2", endpoint=ENDPOINT, next_seq=50
    )
    assert restarted is not None
    assert await task is None
    after = store.get("u1", "r1")
    assert after is not None and after.status is JobStatus.QUEUED and after.next_seq == 50
