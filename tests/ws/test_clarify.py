"""Clarifying questions over the WebSocket, on moto with the offline model: the run pauses without a
worker (awaiting_input, the agent's snapshot on the job), a fresh worker resumes it on the answer,
skip or timeout; bad answers get error frames and the call stays answerable."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from calledit import clock
from calledit.lifecycle import JobStatus
from calledit.providers.offline import OFFLINE_MODEL_NAME, OfflineHeuristicModel
from calledit.providers.selection import ModelChoice
from calledit.storage.jobs import JobStore
from calledit.ws.actions import ActionHandler
from calledit.ws.worker import ClarifyTimeout, handle_job, handle_timeout

CITY = "Manchester City will win the Premier League this season"
TODAY = datetime(2026, 11, 25, 12, tzinfo=UTC)
CONN = "Zs1AbC+dE/f="


def offline() -> ModelChoice:
    return ModelChoice(OfflineHeuristicModel(), OFFLINE_MODEL_NAME)


class Call:
    """One user's call driven like the browser does: actions in, frames out, worker runs between."""

    def __init__(
        self, ws_event: Callable[..., dict[str, Any]], connections: Any, user: str = "user-1"
    ) -> None:
        self.ws_event, self.connections, self.user = ws_event, connections, user
        self.invoked: list[dict[str, Any]] = []
        self.handler = ActionHandler(
            jobs=JobStore(), invoker=self.invoked.append, transport_factory=connections.factory
        )

    def send(self, body: dict[str, Any], user: str | None = None) -> dict[str, Any]:
        self.handler(self.ws_event(body, route=body["action"], user=user or self.user))
        return dict(self.connections.frames[CONN][-1])

    async def work(self) -> JobStatus | None:
        """A fresh worker (new store, new agent) for the latest invoke, as a new Lambda would be."""
        with clock.frozen_at(TODAY):
            return await handle_job(
                self.invoked.pop(),
                jobs=JobStore(),
                choice=offline(),
                transport_factory=self.connections.factory,
            )

    def frames(self, request_id: str = "c1") -> list[dict[str, Any]]:
        return [f for f in self.connections.frames[CONN] if f["request_id"] == request_id and f["seq"] > 0]


@pytest.fixture
def call(aws: Any, ws_event: Any, connections: Any) -> Call:
    return Call(ws_event, connections)


async def ask(call: Call, prompt: str = CITY) -> dict[str, Any]:
    call.send({"action": "makecall", "request_id": "c1", "prompt": prompt, "timezone": "Europe/London"})
    assert await call.work() is JobStatus.AWAITING_INPUT
    asked = call.frames()[-1]
    assert asked["type"] == "clarify" and asked["round"] == 1
    return asked


async def test_a_question_is_posted_only_once_the_job_waits_for_the_answer(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A client may answer the instant the question arrives: the job must already be awaiting input.
    # Slow job writes make the race certain, were the frame posted before the write.
    seen: dict[str, JobStatus] = {}
    for name in ("pause", "finish"):
        write = getattr(JobStore, name)

        def slow(self: JobStore, *args: Any, _write: Any = write, **kwargs: Any) -> Any:
            time.sleep(0.2)
            return _write(self, *args, **kwargs)

        monkeypatch.setattr(JobStore, name, slow)

    def observe(body: dict[str, Any]) -> None:
        job = JobStore().get("user-1", str(body["request_id"]))
        if body["type"] in ("clarify", "complete") and job is not None:
            seen[body["type"]] = job.status

    call.connections.on_post = observe
    asked = await ask(call)
    assert seen == {"clarify": JobStatus.AWAITING_INPUT}
    call.send(
        {"action": "clarify", "request_id": "c1", "answers": {asked["questions"][0]["id"]: "by May 2027"}}
    )
    assert await call.work() is JobStatus.COMPLETED
    assert seen["complete"] is JobStatus.COMPLETED


async def test_ask_answer_and_complete_across_two_workers(call: Call) -> None:
    asked = await ask(call)
    question = asked["questions"][0]
    assert question["id"] == "by_when" and "end of this season (May 2027)" in question["suggestions"]
    job = JobStore().get("user-1", "c1")
    assert job is not None and job.status is JobStatus.AWAITING_INPUT and job.conversation
    assert job.run_id == ""  # no worker holds it while the user thinks

    ack = call.send(
        {"action": "clarify", "request_id": "c1", "answers": {"by_when": question["suggestions"][0]}}
    )
    assert ack["type"] == "status" and ack["status"] == "accepted" and ack["seq"] == 0
    assert await call.work() is JobStatus.COMPLETED
    frames = call.frames()
    assert [f["seq"] for f in frames] == list(range(1, len(frames) + 1))  # one numbering across the pause
    complete = frames[-1]
    assert complete["type"] == "complete"
    prediction = complete["prediction"]
    assert prediction["prediction_statement"] == CITY  # verbatim
    assert prediction["verification_date"] == "2027-05-31T22:59:59Z"
    assert prediction["clarifications"] == [
        {"question": "By when should this be judged?", "answer": "end of this season (May 2027)"}
    ]
    assert complete["verifiability"]["dimensions"][0] == {
        "name": "time_bound",
        "score": 0.9,
        "reason": "You gave the time frame when asked.",
    }
    # Both halves counted: time + question before the pause; date, answer text, structured output after.
    assert complete["usage"]["model_calls"] == 5


async def test_skip_goes_on_with_stated_assumptions(call: Call) -> None:
    await ask(call, "Bitcoin will go up")
    call.send({"action": "clarify", "request_id": "c1", "skip": True})
    assert await call.work() is JobStatus.COMPLETED
    prediction = call.frames()[-1]["prediction"]
    assert "(you skipped the question), so one year was assumed" in prediction["date_reasoning"]
    assert any(
        c.startswith("Assumed (no level given)") for c in prediction["verification_method"]["criteria"]
    )
    assert prediction["clarifications"] == []


async def test_an_unanswered_question_times_out_once(call: Call) -> None:
    await ask(call)
    timeout = ClarifyTimeout(user_id="user-1", request_id="c1", round=1)
    with clock.frozen_at(TODAY):
        status = await handle_timeout(timeout, choice=offline(), transport_factory=call.connections.factory)
    assert status is JobStatus.COMPLETED
    assert "one year was assumed" in call.frames()[-1]["prediction"]["date_reasoning"]
    assert await handle_timeout(timeout, choice=offline()) is None  # a second delivery: nothing to do
    late = call.send({"action": "clarify", "request_id": "c1", "answers": {"by_when": "within 6 months"}})
    assert late["type"] == "error" and late["code"] == "conflict"


BAD = [
    # description, message, user, code, words
    ("unknown id", {"answers": {"colour": "blue"}}, None, "bad_request", "Unknown question id(s) colour"),
    ("too long", {"answers": {"by_when": "x" * 501}}, None, "too_large", "500"),
    ("neither answers nor skip", {"answers": {}}, None, "bad_request", "either answers"),
    ("both", {"answers": {"by_when": "May 2027"}, "skip": True}, None, "bad_request", "either answers"),
    ("bad id format", {"answers": {"By When!": "May"}}, None, "bad_request", "answers"),
    ("another user's call", {"answers": {"by_when": "May 2027"}}, "mallory", "not_found", "No such call"),
]


@pytest.mark.parametrize(("what", "body", "user", "code", "words"), BAD, ids=[b[0] for b in BAD])
async def test_bad_answers_get_error_frames_and_the_call_stays_answerable(
    call: Call, what: str, body: dict[str, Any], user: str | None, code: str, words: str
) -> None:
    await ask(call)
    error = call.send({"action": "clarify", "request_id": "c1", **body}, user=user)
    assert error["type"] == "error" and error["code"] == code and words in error["message"], error
    assert call.invoked == []
    job = JobStore().get("user-1", "c1")
    assert job is not None and job.status is JobStatus.AWAITING_INPUT
    call.send({"action": "clarify", "request_id": "c1", "answers": {"by_when": "by the end of May 2027"}})
    assert await call.work() is JobStatus.COMPLETED


async def test_answering_a_call_that_is_not_waiting_is_a_conflict(call: Call) -> None:
    call.send(
        {"action": "makecall", "request_id": "c2", "prompt": "Bitcoin above 100k by 2030", "clarify": False}
    )
    error = call.send({"action": "clarify", "request_id": "c2", "answers": {"by_when": "May"}})
    assert error["code"] == "conflict" and "not waiting" in error["message"]  # queued, not asking
    assert await call.work() is JobStatus.COMPLETED
    assert not [f for f in call.frames("c2") if f["type"] == "clarify"]  # clarify: false never asks


async def test_a_worker_that_dies_after_the_answer_is_restarted_from_the_snapshot(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ask(call)
    call.send({"action": "clarify", "request_id": "c1", "answers": {"by_when": "by the end of May 2027"}})
    call.invoked.clear()
    store = JobStore()
    assert store.claim("user-1", "c1", "dead-worker") is not None  # claimed, then the Lambda died
    later = store.now() + 60
    monkeypatch.setattr(JobStore, "now", lambda self: later)
    ack = call.send({"action": "resume", "request_id": "c1", "after_seq": call.frames()[-1]["seq"]})
    assert ack["status"] == "resumed"
    assert await call.work() is JobStatus.COMPLETED
    frames = call.frames()
    assert [f["seq"] for f in frames] == list(range(1, len(frames) + 1))
    assert frames[-1]["prediction"]["verification_date"] == "2027-05-31T22:59:59Z"  # the answer survived


async def test_the_pause_sends_the_delayed_timeout_message(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="clarify-timeouts")["QueueUrl"]
    monkeypatch.setenv("CLARIFY_TIMEOUT_QUEUE_URL", url)
    monkeypatch.setenv("CALLEDIT_CLARIFY_TIMEOUT_S", "1")
    from calledit.settings import get_settings

    get_settings.cache_clear()
    asked = await ask(call)
    assert asked["timeout_s"] == 1
    await asyncio.sleep(1.1)
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    assert [json.loads(m["Body"]) for m in messages] == [
        {"user_id": "user-1", "request_id": "c1", "round": 1}
    ]
