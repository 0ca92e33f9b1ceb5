"""ws_actions: every route with API Gateway-shaped events, and a table of bad input."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from calledit.lifecycle import MAX_ACTIVE_PER_USER, JobStatus
from calledit.protocol import CompleteEvent, frame
from calledit.storage.jobs import JobStore
from calledit.ws.actions import ActionHandler

from .conftest import PREDICTION


@pytest.fixture
def invoked() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def handler(aws: dict[str, str], connections: Any, invoked: list[dict[str, Any]]) -> ActionHandler:
    return ActionHandler(jobs=JobStore(), invoker=invoked.append, transport_factory=connections.factory)


def call(request_id: str = "req-1", **extra: Any) -> dict[str, Any]:
    return {
        "action": "makecall",
        "prompt": "Bitcoin will close above 150k by March 2027",
        "timezone": "Europe/Paris",
        "request_id": request_id,
        **extra,
    }


def last(connections: Any, cid: str = "Zs1AbC+dE/f=") -> dict[str, Any]:
    body: dict[str, Any] = connections.frames[cid][-1]
    return body


def test_makecall_records_the_job_hands_off_and_acknowledges(handler, ws_event, connections, invoked) -> None:
    assert handler(ws_event(call())) == {"statusCode": 200}
    assert invoked == [{"user_id": "user-1", "request_id": "req-1"}]
    job = JobStore().get("user-1", "req-1")
    assert job is not None and job.status == "queued" and job.timezone == "Europe/Paris"
    assert job.endpoint == "https://abc123.execute-api.us-east-1.amazonaws.com/prod"
    ack = last(connections)
    assert ack == {
        "type": "status",
        "status": "accepted",
        "message": "Your call is queued.",
        "request_id": "req-1",
        "seq": 0,
    }
    assert JobStore().slot_holders("user-1") == {"req-1"}


BAD_INPUT = [
    ("malformed json", dict(raw="{not json"), "bad_request", "not valid JSON"),
    ("json array", dict(raw="[1,2]"), "bad_request", "JSON object"),
    ("empty body", dict(raw=""), "bad_request", "Empty message"),
    ("binary frame", dict(raw=base64.b64encode(b"\x00\x01").decode(), binary=True), "bad_request", "Binary"),
    ("missing action", dict(body={"prompt": "x"}), "unknown_action", "Unknown action"),
    ("unknown action", dict(body={"action": "explode"}), "unknown_action", "explode"),
    ("missing prompt", dict(body={"action": "makecall", "request_id": "r1"}), "bad_request", "'prompt'"),
    ("missing request id", dict(body={"action": "makecall", "prompt": "x"}), "bad_request", "'request_id'"),
    ("empty prompt", dict(body=call(prompt="   ")), "bad_request", "empty"),
    ("huge prompt", dict(body=call(prompt="x" * 2001)), "too_large", "2,000"),
    ("prompt wrong type", dict(body=call(prompt=42)), "bad_request", "prompt"),
    ("bad timezone", dict(body=call(timezone="Mars/Olympus")), "bad_request", "unknown timezone"),
    ("timezone wrong type", dict(body=call(timezone=["UTC"])), "bad_request", "timezone"),
    ("bad request id", dict(body=call(request_id="has spaces!")), "bad_request", "request_id"),
    ("frame over 32 KB", dict(raw=json.dumps(call(prompt="y" * 40_000))), "too_large", "32 KB"),
    ("resume without id", dict(body={"action": "resume"}), "bad_request", "'request_id'"),
    (
        "resume negative seq",
        dict(body={"action": "resume", "request_id": "r", "after_seq": -1}),
        "bad_request",
        "after_seq",
    ),
    (
        "resume huge seq",
        dict(body={"action": "resume", "request_id": "r", "after_seq": 10**40}),
        "bad_request",
        "after_seq",
    ),
    ("deeply nested", dict(raw="[" * 4096), "bad_request", "nested"),
    ("deeply nested object", dict(raw='{"a":' * 3000), "bad_request", "nested"),
    ("lifecycle route as action", dict(body={"action": "$disconnect"}), "unknown_action", "$disconnect"),
    ("connect as action", dict(body={"action": "$connect"}), "unknown_action", "$connect"),
    (
        "message over 32 KB, under 128 KB",
        dict(raw=json.dumps(call(prompt="z" * 100_000))),
        "too_large",
        "32 KB",
    ),
]


@pytest.mark.parametrize(("case", "kwargs", "code", "words"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_gets_an_error_frame_not_a_dropped_connection(
    handler, ws_event, connections, invoked, case, kwargs, code, words
) -> None:
    response = handler(ws_event(**kwargs))
    assert response == {"statusCode": 200}
    frame = last(connections)
    assert frame["type"] == "error" and frame["code"] == code, frame
    assert words.lower() in frame["message"].lower()
    assert "Traceback" not in frame["message"] and "pydantic" not in frame["message"]
    assert invoked == []


def test_ping_gets_pong_outside_any_request(handler, ws_event, connections) -> None:
    handler(ws_event({"action": "ping"}, route="ping"))
    assert last(connections) == {
        "type": "status",
        "status": "pong",
        "message": "pong",
        "request_id": None,
        "seq": 0,
    }


def test_message_without_identity_is_refused(handler, ws_event, invoked) -> None:
    assert handler(ws_event(call(), user=None))["statusCode"] == 403
    assert invoked == []


def test_rate_limit_on_concurrent_calls(handler, ws_event, connections, invoked) -> None:
    for i in range(MAX_ACTIVE_PER_USER):
        handler(ws_event(call(f"r{i}")))
    handler(ws_event(call("one-too-many")))
    refusal = last(connections)
    assert refusal["code"] == "rate_limited" and refusal["retry_after"] > 0 and refusal["seq"] == 0
    assert len(invoked) == MAX_ACTIVE_PER_USER
    assert JobStore().get("user-1", "one-too-many") is None  # refused calls leave nothing behind


def test_cancel_flags_only_the_callers_own_job(handler, ws_event, connections) -> None:
    handler(ws_event(call("mine")))
    handler(
        ws_event(
            {"action": "cancel", "request_id": "mine"}, user="user-2", connection_id="other", route="cancel"
        )
    )
    assert connections.frames["other"][-1]["code"] == "not_found"
    assert JobStore().get("user-1", "mine").status is JobStatus.QUEUED  # type: ignore[union-attr]
    handler(ws_event({"action": "cancel", "request_id": "mine"}, route="cancel"))
    # No worker had claimed it yet: the cancel ends it here, with its one terminal frame.
    job = JobStore().get("user-1", "mine")
    assert job is not None and job.status is JobStatus.CANCELLED
    assert last(connections) == job.frames[-1] and last(connections)["seq"] == 1
    assert JobStore().slot_holders("user-1") == set()


def test_cancel_of_a_running_job_flags_it_for_the_worker(handler, ws_event, connections) -> None:
    handler(ws_event(call("mine")))
    assert JobStore().claim("user-1", "mine", "run-1") is not None
    handler(ws_event({"action": "cancel", "request_id": "mine"}, route="cancel"))
    job = JobStore().get("user-1", "mine")
    assert job is not None and job.cancel_requested and job.status is JobStatus.RUNNING
    assert last(connections)["status"] == "accepted"


def test_resume_attaches_a_running_job_to_the_new_connection(handler, ws_event, connections) -> None:
    handler(ws_event(call("r1")))
    JobStore().claim("user-1", "r1", "run-1")
    handler(
        ws_event(
            {"action": "resume", "request_id": "r1", "after_seq": 4}, connection_id="new=", route="resume"
        )
    )
    job = JobStore().get("user-1", "r1")
    assert (
        job is not None and job.connection_id == "new=" and job.resume_after == 4 and job.attach_version == 1
    )
    assert connections.frames["new="][-1]["status"] == "resumed"


def test_resume_of_another_users_job_is_not_found(handler, ws_event, connections) -> None:
    handler(ws_event(call("r1")))
    handler(
        ws_event({"action": "resume", "request_id": "r1"}, user="intruder", connection_id="x", route="resume")
    )
    assert connections.frames["x"][-1]["code"] == "not_found"
    assert JobStore().get("user-1", "r1").connection_id == "Zs1AbC+dE/f="  # type: ignore[union-attr]


def test_resume_of_a_finished_job_replays_every_frame_after_after_seq(handler, ws_event, connections) -> None:
    from calledit.protocol import StatusEvent, TextEvent

    handler(ws_event(call("r1")))
    store = JobStore()
    job = store.claim("user-1", "r1", "run-1")
    assert job is not None
    frames = [frame(StatusEvent(status="running", message="go"), "r1", 1)]
    frames += [frame(TextEvent(content=f"part {i} "), "r1", i) for i in range(2, 12)]
    frames.append(frame(CompleteEvent(content="{}", prediction=PREDICTION, model="m"), "r1", 12))
    assert store.finish(job, JobStatus.COMPLETED, frames, run_id="run-1") is not None
    handler(
        ws_event(
            {"action": "resume", "request_id": "r1", "after_seq": 3}, connection_id="later", route="resume"
        )
    )
    got = connections.frames["later"]
    assert got[0]["status"] == "resumed" and got[0]["seq"] == 0
    assert got[1:] == frames[3:]  # 4..12: the gap a client used to see (3 -> 12) is gone


def test_duplicate_makecall_does_not_start_a_second_run(handler, ws_event, connections, invoked) -> None:
    handler(ws_event(call("dup")))
    handler(ws_event(call("dup"), connection_id="again"))
    assert len(invoked) == 1
    assert connections.frames["again"][-1]["status"] == "resumed"


def test_worker_start_failure_is_reported(aws, ws_event, connections) -> None:
    def broken(payload: dict[str, Any]) -> None:
        raise RuntimeError("lambda down")

    ActionHandler(jobs=JobStore(), invoker=broken, transport_factory=connections.factory)(ws_event(call("r")))
    body = last(connections)
    assert body["code"] == "internal" and "lambda down" not in body["message"] and body["seq"] == 1
    assert JobStore().get("user-1", "r").status == "failed"  # type: ignore[union-attr]
    assert JobStore().slot_holders("user-1") == set()


def test_a_dead_workers_stale_job_is_failed_and_frees_its_slot(handler, ws_event, connections) -> None:
    from calledit.lifecycle import STALE_AFTER_S

    store = JobStore()
    for i in range(MAX_ACTIVE_PER_USER):
        handler(ws_event(call(f"r{i}")))
        store.claim("user-1", f"r{i}", f"run-{i}")
    handler(ws_event(call("blocked")))
    assert last(connections)["code"] == "rate_limited"
    age(store, "r0", STALE_AFTER_S + 1)
    handler(ws_event(call("next")))
    assert last(connections)["status"] == "accepted"
    dead = store.get("user-1", "r0")
    assert dead is not None and dead.status is JobStatus.FAILED and dead.frames[-1]["type"] == "error"
    assert store.slot_holders("user-1") == {"r1", "r2", "next"}


def test_finished_jobs_free_their_slot_at_once(handler, ws_event, connections) -> None:
    store = JobStore()
    for i in range(MAX_ACTIVE_PER_USER):
        handler(ws_event(call(f"r{i}")))
    handler(ws_event({"action": "cancel", "request_id": "r1"}, route="cancel"))
    handler(ws_event(call("next")))
    assert last(connections)["status"] == "accepted"
    assert store.slot_holders("user-1") == {"r0", "r2", "next"}


def age(store: JobStore, request_id: str, seconds: float, user: str = "user-1") -> None:
    """Make a job's heartbeat ``seconds`` old, as if its worker had died then."""
    from decimal import Decimal

    from calledit.aws import table
    from calledit.settings import get_settings

    table(get_settings().jobs_table).update_item(
        Key={"user_id": user, "request_id": request_id},
        UpdateExpression="SET heartbeat_at = :old",
        ExpressionAttributeValues={":old": Decimal(str(store.now() - seconds))},
    )


def test_a_late_resume_from_an_older_connection_never_takes_the_call_back(
    handler, ws_event, connections
) -> None:
    """Resumes from two reconnects can land in either order; the newest connection keeps the call."""
    handler(ws_event(call("r1"), connected_at=1_000))
    JobStore().claim("user-1", "r1", "run-1")
    resume = {"action": "resume", "request_id": "r1", "after_seq": 3}
    handler(ws_event(resume, connection_id="newest", route="resume", connected_at=3_000))
    handler(ws_event(resume, connection_id="older", route="resume", connected_at=2_000))
    job = JobStore().get("user-1", "r1")
    assert job is not None and job.connection_id == "newest" and job.attach_version == 1
    assert "newer connection" in connections.frames["older"][-1]["message"]
    handler(ws_event(resume, connection_id="newest", route="resume", connected_at=3_000))  # same socket again
    assert JobStore().get("user-1", "r1").attach_version == 2  # type: ignore[union-attr]
