"""ws_actions: every route with API Gateway-shaped events, and a table of bad input."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from calledit.ws.actions import MAX_ACTIVE_JOBS_PER_USER, ActionHandler
from calledit.ws.jobs import JobStore


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
    return connections.frames[cid][-1]


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


def test_ping_gets_pong(handler, ws_event, connections) -> None:
    handler(ws_event({"action": "ping"}, route="ping"))
    assert last(connections)["status"] == "pong"


def test_message_without_identity_is_refused(handler, ws_event, invoked) -> None:
    assert handler(ws_event(call(), user=None))["statusCode"] == 403
    assert invoked == []


def test_rate_limit_on_concurrent_calls(handler, ws_event, connections, invoked) -> None:
    for i in range(MAX_ACTIVE_JOBS_PER_USER):
        handler(ws_event(call(f"r{i}")))
    handler(ws_event(call("one-too-many")))
    assert last(connections)["code"] == "rate_limited"
    assert len(invoked) == MAX_ACTIVE_JOBS_PER_USER


def test_cancel_flags_only_the_callers_own_job(handler, ws_event, connections) -> None:
    handler(ws_event(call("mine")))
    handler(
        ws_event(
            {"action": "cancel", "request_id": "mine"}, user="user-2", connection_id="other", route="cancel"
        )
    )
    assert connections.frames["other"][-1]["code"] == "not_found"
    assert JobStore().get("user-1", "mine").cancel_requested is False  # type: ignore[union-attr]
    handler(ws_event({"action": "cancel", "request_id": "mine"}, route="cancel"))
    assert JobStore().get("user-1", "mine").cancel_requested is True  # type: ignore[union-attr]


def test_resume_attaches_a_running_job_to_the_new_connection(handler, ws_event, connections) -> None:
    handler(ws_event(call("r1")))
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


def test_resume_of_a_finished_job_returns_the_stored_result(handler, ws_event, connections) -> None:
    handler(ws_event(call("r1")))
    final = {
        "type": "complete",
        "content": "{}",
        "prediction": {"a": 1},
        "model": "offline-heuristic",
        "request_id": "r1",
        "seq": 9,
    }
    JobStore().finish("user-1", "r1", "completed", last_seq=9, final_frame=final)
    handler(ws_event({"action": "resume", "request_id": "r1"}, connection_id="later", route="resume"))
    assert connections.frames["later"] == [final]


def test_duplicate_makecall_does_not_start_a_second_run(handler, ws_event, connections, invoked) -> None:
    handler(ws_event(call("dup")))
    handler(ws_event(call("dup"), connection_id="again"))
    assert len(invoked) == 1
    assert connections.frames["again"][-1]["status"] == "resumed"


def test_worker_start_failure_is_reported(aws, ws_event, connections) -> None:
    def broken(payload: dict[str, Any]) -> None:
        raise RuntimeError("lambda down")

    ActionHandler(jobs=JobStore(), invoker=broken, transport_factory=connections.factory)(ws_event(call("r")))
    frame = last(connections)
    assert frame["code"] == "internal" and "lambda down" not in frame["message"]
    assert JobStore().get("user-1", "r").status == "failed"  # type: ignore[union-attr]


def test_a_dead_workers_stale_job_does_not_count_against_the_limit(handler, ws_event, connections) -> None:
    import time

    from calledit.aws import table
    from calledit.settings import get_settings
    from calledit.ws.jobs import STALE_AFTER_S

    for i in range(MAX_ACTIVE_JOBS_PER_USER):
        handler(ws_event(call(f"r{i}")))
    table(get_settings().jobs_table).update_item(
        Key={"user_id": "user-1", "request_id": "r0"},
        UpdateExpression="SET updated_at = :old",
        ExpressionAttributeValues={":old": int(time.time()) - STALE_AFTER_S - 1},
    )
    handler(ws_event(call("next")))
    assert last(connections)["status"] == "accepted"
