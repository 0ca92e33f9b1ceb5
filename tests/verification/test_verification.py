"""Verification end to end on moto: policy, the prediction's states and history, the agent reading a
fixture site through fetch_url, schedules, the sweep, the queue consumer, and the live verify action."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from scripted_model import ScriptedModel, Step

from calledit import clock
from calledit.agent_run import RunReport
from calledit.budget import RunBudget
from calledit.prediction import Prediction, PredictionStatus, VerifiableCategory, format_utc
from calledit.protocol import ErrorEvent, Event, ToolEvent, VerdictEvent
from calledit.providers.selection import ModelChoice
from calledit.saved import SavedPrediction
from calledit.storage.predictions import PredictionStore
from calledit.verdict import Evidence, Verdict, VerdictDraft, auto_resolves, settles_early
from calledit.verification import fetch as fetch_module
from calledit.verification.service import verify_saved

from .conftest import Site

NOW = datetime(2027, 4, 2, 9, 0, tzinfo=UTC)
FAST = RunBudget(throttle_retry_delay_s=0, timeout_s=60)


def evidence(n: int = 1) -> list[Evidence]:
    return [
        Evidence(
            source="Met Office",
            url="https://example.com/r",
            finding="12 mm of rain recorded.",
            retrieved_at=NOW,
        )
    ] * n


def draft(outcome: str = "true", confidence: float = 0.95, n: int = 1) -> VerdictDraft:
    return VerdictDraft.model_validate(
        {"outcome": outcome, "confidence": confidence, "evidence": evidence(n), "reasoning": "Recorded rain."}
    )


# ---------------------------------------------------------------- policy

POLICY = [
    # outcome, confidence, evidence items, category, applies alone?
    ("true", 0.95, 1, "api_tool_verifiable", True),
    ("false", 0.9, 2, "strands_tool_verifiable", True),
    ("true", 0.89, 1, "api_tool_verifiable", False),  # not confident enough
    ("true", 0.99, 0, "api_tool_verifiable", False),  # no evidence
    ("true", 1.0, 3, "human_verifiable_only", False),  # only the user can judge
    ("inconclusive", 1.0, 1, "api_tool_verifiable", False),  # nothing settled
    ("false", 0.5, 1, "agent_verifiable", False),
]


@pytest.mark.parametrize(("outcome", "confidence", "n", "category", "applies"), POLICY)
def test_auto_resolve_policy(outcome: str, confidence: float, n: int, category: str, applies: bool) -> None:
    assert auto_resolves(draft(outcome, confidence, n), category, threshold=0.9) is applies


def test_the_threshold_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLEDIT_AUTO_RESOLVE_CONFIDENCE", "0.8")
    assert auto_resolves(draft("true", 0.85), VerifiableCategory.API_TOOL_VERIFIABLE)
    monkeypatch.setenv("CALLEDIT_AUTO_RESOLVE_CONFIDENCE", "0.99")
    assert not auto_resolves(draft("true", 0.95), VerifiableCategory.API_TOOL_VERIFIABLE)


def test_a_by_prediction_is_never_refuted_before_its_date() -> None:
    early = settles_early(draft("false"), "before_date", date_passed=False)
    assert early.outcome == "inconclusive" and "refuted once its date has passed" in early.reasoning
    assert settles_early(draft("true"), "before_date", date_passed=False).outcome == "true"
    assert settles_early(draft("false"), "before_date", date_passed=True).outcome == "false"
    assert settles_early(draft("false"), "at_date", date_passed=False).outcome == "false"


# ---------------------------------------------------------------- store


def prediction(date: str = "2027-03-31T21:59:59Z", **extra: Any) -> Prediction:
    return Prediction.model_validate(
        {
            "prediction_statement": "It will rain in Paris on 31 March 2027",
            "verification_date": date,
            "date_reasoning": "The end of 31 March 2027 in Paris.",
            "verification_method": {
                "source": ["Météo-France"],
                "criteria": ["Rain recorded"],
                "steps": ["Look"],
            },
            "verifiable_category": "api_tool_verifiable",
            "category_reasoning": "Weather data.",
            **extra,
        }
    )


def saved(store: PredictionStore, user: str = "u1", rid: str = "r1", **extra: Any) -> SavedPrediction:
    item, _ = store.create(user, rid, prediction(**extra), timezone="Europe/Paris", model="offline-heuristic")
    return item


def verdict(outcome: str = "true", confidence: float = 0.95, n: int = 1, at: datetime = NOW) -> Verdict:
    return Verdict(**draft(outcome, confidence, n).model_dump(), checked_at=at, model="scripted")


def test_a_confident_verdict_resolves_alone_and_everything_is_kept(aws: Any) -> None:
    store = PredictionStore()
    p = saved(store)
    claimed = store.claim_verification("u1", p.prediction_id, NOW)
    assert claimed is not None and claimed.status is PredictionStatus.VERIFYING
    assert store.claim_verification("u1", p.prediction_id, NOW) is None  # never two at once
    done = store.record_verdict("u1", p.prediction_id, verdict(), applies=True)
    assert done is not None and done.status is PredictionStatus.RESOLVED and done.outcome == "true"
    assert done.resolved_by == "agent" and done.verdict is not None and done.verdict.confidence == 0.95
    assert store.due("u1", NOW, 10) == []
    history = store.history("u1", p.prediction_id)
    assert history is not None and [h["kind"] for h in history] == ["verdict"]
    assert history[0]["evidence"][0]["source"] == "Met Office"


def test_a_proposed_verdict_comes_first_in_due_and_is_confirmed_or_overridden(aws: Any) -> None:
    store = PredictionStore()
    older = saved(store, rid="older", date="2027-01-01T00:00:00Z")
    p = saved(store, rid="r1")
    store.claim_verification("u1", p.prediction_id, NOW)
    proposed = store.record_verdict("u1", p.prediction_id, verdict("false", 0.6), applies=False)
    assert proposed is not None and proposed.status is PredictionStatus.PROPOSED and proposed.outcome is None
    assert [d.prediction_id for d in store.due("u1", NOW, 10)] == [p.prediction_id, older.prediction_id]
    confirmed = store.confirm("u1", p.prediction_id)
    assert confirmed is not None and confirmed.outcome == "false" and confirmed.resolved_by == "user"
    assert store.confirm("u1", p.prediction_id) is None  # nothing proposed any more
    overridden = store.record_outcome("u1", p.prediction_id, "true", "I saw it myself.")
    assert overridden is not None and overridden.outcome == "true"
    kinds = [h["kind"] for h in store.history("u1", p.prediction_id) or []]
    assert kinds == ["verdict", "confirm", "override"]


def test_a_by_prediction_checked_early_waits_for_its_next_check(aws: Any) -> None:
    store = PredictionStore()
    p = saved(store, date="2027-06-30T21:59:59Z", verification_mode="before_date")
    assert p.verification_mode == "before_date" and p.next_check_at is not None
    store.claim_verification("u1", p.prediction_id, NOW)
    waiting = store.record_verdict("u1", p.prediction_id, verdict("inconclusive", 0.2, 0), applies=False)
    assert waiting is not None and waiting.status is PredictionStatus.PENDING
    assert waiting.next_check_at == NOW + timedelta(hours=24)
    assert waiting.verdict is not None and waiting.verdict.outcome == "inconclusive"


def test_a_stale_claim_is_handed_out_again(aws: Any) -> None:
    store = PredictionStore()
    p = saved(store)
    assert store.claim_verification("u1", p.prediction_id, NOW) is not None
    assert store.claim_verification("u1", p.prediction_id, NOW + timedelta(minutes=5)) is None
    assert store.claim_verification("u1", p.prediction_id, NOW + timedelta(minutes=16)) is not None


def test_another_users_prediction_has_no_history_and_cannot_be_touched(aws: Any) -> None:
    store = PredictionStore()
    p = saved(store, user="alice")
    assert store.history("mallory", p.prediction_id) is None
    assert store.claim_verification("mallory", p.prediction_id, NOW) is None
    assert store.confirm("mallory", p.prediction_id) is None
    assert store.record_outcome("mallory", p.prediction_id, "false", "") is None
    assert store.get("alice", p.prediction_id).status is PredictionStatus.PENDING  # type: ignore[union-attr]


# ---------------------------------------------------------------- the agent reads a site


def page_verdict(messages: Any) -> Step:
    """A scripted model: decide from what fetch_url returned (or failed to)."""
    from scripted_model import tool_results

    page = tool_results(messages).get("fetch_url")
    failure = _last_tool_error(messages)
    if page is None:
        body = {
            "outcome": "inconclusive",
            "confidence": 0.0,
            "evidence": [],
            "reasoning": f"No page: {failure}",
        }
    else:
        rained = "rain" in page["text"].lower()
        body = {
            "outcome": "true" if rained else "false",
            "confidence": 0.95,
            "evidence": [
                {
                    "source": page.get("title") or "page",
                    "url": page["final_url"],
                    "finding": page["text"][:200],
                    "retrieved_at": page["retrieved_at"],
                }
            ],
            "reasoning": "The page says so." + (" (cut short)" if page["truncated"] else ""),
        }
    return Step(tools=[("VerdictDraft", body)])


def _last_tool_error(messages: Any) -> str:
    for message in reversed(messages):
        for block in message.get("content", []):
            if "toolResult" in block and block["toolResult"].get("status") == "error":
                return str(block["toolResult"]["content"][0].get("text"))
    return ""


def scripted(url: str) -> ModelChoice:
    return ModelChoice(ScriptedModel([Step(tools=[("fetch_url", {"url": url})]), page_verdict]), "scripted")


@pytest.fixture
def loopback_fetch(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def configure(**limits: Any) -> None:
        policy = fetch_module.FetchPolicy(allow_loopback=True, **limits)
        monkeypatch.setattr(
            fetch_module.FetchPolicy, "from_env", classmethod(lambda cls, environ=None: policy)
        )

    configure()
    return configure


async def verify_page(
    aws: Any, url: str, *, category: str = "api_tool_verifiable"
) -> tuple[list[Event], SavedPrediction]:
    store = PredictionStore()
    p = saved(store, verifiable_category=category)
    with clock.frozen_at(NOW):
        events = [
            e
            async for e in verify_saved(
                "u1", p.prediction_id, store=store, choice=scripted(url), budget=FAST, report=RunReport()
            )
        ]
    after = store.get("u1", p.prediction_id)
    assert after is not None
    return events, after


@pytest.mark.parametrize(
    ("path", "outcome", "status"),
    [
        ("/article", "true", PredictionStatus.RESOLVED),  # the page reports rain; confident, with evidence
        ("/plain", "false", PredictionStatus.RESOLVED),  # no rain there
        ("/status/404", "inconclusive", PredictionStatus.PROPOSED),  # a 404 is not evidence
        ("/pdf", "inconclusive", PredictionStatus.PROPOSED),  # refused content type
    ],
)
async def test_the_agent_reads_the_fixture_site_and_the_prediction_follows(
    aws: Any, site: Site, loopback_fetch: Any, path: str, outcome: str, status: PredictionStatus
) -> None:
    events, after = await verify_page(aws, site.url(path))
    final = events[-1]
    assert isinstance(final, VerdictEvent) and final.verdict.outcome == outcome
    assert after.status is status and (after.outcome == outcome) is (status is PredictionStatus.RESOLVED)
    chips = [(e.name, e.phase, e.label) for e in events if isinstance(e, ToolEvent)]
    assert ("fetch_url", "end", "Reading a page") in chips
    assert final.verdict.checked_at == NOW and final.verdict.model == "scripted"
    if outcome != "inconclusive":
        assert final.verdict.evidence[0].url == site.url(path) and final.applied


async def test_a_page_too_large_is_cut_and_said_so(aws: Any, site: Site, loopback_fetch: Any) -> None:
    loopback_fetch(max_bytes=50_000)
    events, _ = await verify_page(aws, site.url("/big"))
    final = events[-1]
    assert isinstance(final, VerdictEvent) and "(cut short)" in final.verdict.reasoning


async def test_a_page_that_times_out_is_not_evidence(aws: Any, site: Site, loopback_fetch: Any) -> None:
    loopback_fetch(timeout_s=0.5)
    events, after = await verify_page(aws, site.url("/slow"))
    final = events[-1]
    assert isinstance(final, VerdictEvent) and final.verdict.outcome == "inconclusive"
    assert "timed out" in final.verdict.reasoning.lower() and after.status is PredictionStatus.PROPOSED


async def test_private_and_metadata_addresses_are_refused(aws: Any, site: Site, loopback_fetch: Any) -> None:
    before = site.count
    events, _ = await verify_page(aws, "http://169.254.169.254/latest/meta-data/")
    final = events[-1]
    assert isinstance(final, VerdictEvent) and final.verdict.outcome == "inconclusive"
    assert site.count == before


async def test_a_human_only_call_is_never_resolved_by_the_agent(
    aws: Any, site: Site, loopback_fetch: Any
) -> None:
    events, after = await verify_page(aws, site.url("/article"), category="human_verifiable_only")
    final = events[-1]
    assert isinstance(final, VerdictEvent) and not final.applied and after.status is PredictionStatus.PROPOSED


async def test_the_offline_verifier_settles_a_calendar_claim(aws: Any) -> None:
    store = PredictionStore()
    p, _ = store.create(
        "u1",
        "cal",
        prediction(
            prediction_statement="Christmas 2027 will fall on a Saturday",
            date="2027-12-25T22:59:59Z",
            verifiable_category="current_tool_verifiable",
        ),
        timezone="Europe/Paris",
        model="offline-heuristic",
    )
    with clock.frozen_at(datetime(2027, 12, 26, 10, tzinfo=UTC)):
        events = [e async for e in verify_saved("u1", p.prediction_id, store=store, budget=FAST)]
    final = events[-1]
    assert isinstance(final, VerdictEvent) and final.verdict.outcome == "true" and final.applied
    assert final.verdict.model == "offline-verifier"
    assert store.get("u1", p.prediction_id).outcome == "true"  # type: ignore[union-attr]


async def test_a_failed_run_releases_the_prediction_for_the_next_sweep(aws: Any) -> None:
    from strands.types.exceptions import ModelThrottledException

    store = PredictionStore()
    p = saved(store)
    broken = ModelChoice(ScriptedModel([Step(error=ModelThrottledException("busy"))]), "scripted")
    events = [e async for e in verify_saved("u1", p.prediction_id, store=store, choice=broken, budget=FAST)]
    assert isinstance(events[-1], ErrorEvent) and events[-1].code == "rate_limited"
    assert store.get("u1", p.prediction_id).status is PredictionStatus.PENDING  # type: ignore[union-attr]


# ---------------------------------------------------------------- schedules, sweep, queue


@pytest.fixture
def queues(aws: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="verify")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    scheduler = boto3.client("scheduler", region_name="us-east-1")
    scheduler.create_schedule_group(Name="calledit-verify")
    env = {
        "VERIFY_QUEUE_URL": url,
        "VERIFY_QUEUE_ARN": arn,
        "SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/scheduler",
        "SCHEDULE_GROUP": "calledit-verify",
        "VERIFY_DEAD_LETTERS_ARN": "arn:aws:sqs:us-east-1:123456789012:verify-dead-letters",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from calledit.settings import get_settings

    get_settings.cache_clear()
    return env


def schedules() -> list[str]:
    import boto3

    client = boto3.client("scheduler", region_name="us-east-1")
    return [s["Name"] for s in client.list_schedules(GroupName="calledit-verify")["Schedules"]]


def test_a_schedule_is_made_on_save_and_removed_on_resolve_and_delete(
    queues: dict[str, str], api: Any
) -> None:
    status, first, _ = api(
        "POST", "/predictions", body={"request_id": "s1", "prediction": prediction().model_dump(mode="json")}
    )
    assert status == 201
    status, second, _ = api(
        "POST", "/predictions", body={"request_id": "s2", "prediction": prediction().model_dump(mode="json")}
    )
    assert sorted(schedules()) == sorted(
        [f"verify-{first['prediction_id']}", f"verify-{second['prediction_id']}"]
    )
    import boto3

    detail = boto3.client("scheduler", region_name="us-east-1").get_schedule(
        Name=f"verify-{first['prediction_id']}", GroupName="calledit-verify"
    )
    assert detail["ScheduleExpression"] == "at(2027-03-31T21:59:59)"
    assert detail["Target"]["Arn"] == queues["VERIFY_QUEUE_ARN"]
    assert detail["Target"]["DeadLetterConfig"] == {"Arn": queues["VERIFY_DEAD_LETTERS_ARN"]}
    assert json.loads(detail["Target"]["Input"]) == {
        "user_id": "alice",
        "prediction_id": first["prediction_id"],
        "source": "schedule",
    }
    api("PATCH", f"/predictions/{first['prediction_id']}", body={"status": "true"})
    assert schedules() == [f"verify-{second['prediction_id']}"]
    assert api("DELETE", f"/predictions/{second['prediction_id']}")[0] == 204
    assert schedules() == []


@pytest.mark.parametrize(("due_in", "delay"), [(timedelta(minutes=-5), 0), (timedelta(seconds=90), 90)])
def test_a_call_due_within_15_minutes_is_queued_with_a_delay_not_scheduled(
    queues: dict[str, str], api: Any, due_in: timedelta, delay: int
) -> None:
    from unittest import mock

    from calledit.aws import sqs_client

    when = prediction(date=format_utc(datetime.now(UTC) + due_in)).model_dump(mode="json")
    with mock.patch.object(sqs_client(), "send_message", wraps=sqs_client().send_message) as sent:
        status, saved_call, _ = api("POST", "/predictions", body={"request_id": "soon", "prediction": when})
    assert status == 201 and schedules() == []
    assert abs(sent.call_args.kwargs["DelaySeconds"] - delay) <= 1  # whole seconds, a moment has passed
    assert json.loads(sent.call_args.kwargs["MessageBody"]) == {
        "user_id": "alice",
        "prediction_id": saved_call["prediction_id"],
        "source": "schedule",
    }


def test_a_verdict_that_resolves_the_call_ends_its_schedule(queues: dict[str, str], api: Any) -> None:
    from calledit.scheduled.verifier import VerifyMessage, verify_one

    christmas = prediction(
        prediction_statement="Christmas 2027 will fall on a Saturday", date="2027-12-25T22:59:59Z"
    )
    status, call, _ = api(
        "POST", "/predictions", body={"request_id": "x1", "prediction": christmas.model_dump(mode="json")}
    )
    assert status == 201 and schedules() == [f"verify-{call['prediction_id']}"]
    with clock.frozen_at(datetime(2027, 12, 26, 10, tzinfo=UTC)):
        final = asyncio.run(verify_one(VerifyMessage(user_id="alice", prediction_id=call["prediction_id"])))
    assert isinstance(final, VerdictEvent) and final.applied and final.verdict.outcome == "true"
    assert schedules() == []


def test_the_sweep_enqueues_every_due_prediction_once(queues: dict[str, str]) -> None:
    import boto3

    from calledit.scheduled.sweep import Sweeper

    store = PredictionStore()
    due = [saved(store, user=f"user-{i % 7}", rid=f"d{i}", date="2027-01-01T00:00:00Z") for i in range(45)]
    saved(store, rid="future", date="2099-01-01T00:00:00Z")
    # One thread: moto's transactions are not thread-safe (tests/local/test_sweep_local.py runs
    # overlapping, multi-threaded sweeps against DynamoDB Local).
    first = Sweeper(concurrency=1).sweep(NOW)
    again = Sweeper(concurrency=1).sweep(NOW)  # a second sweep right after finds them enqueued
    assert first.found == 45 and first.enqueued == 45 and first.failed == 0
    assert again.enqueued == 0
    sqs = boto3.client("sqs", region_name="us-east-1")
    bodies: list[dict[str, str]] = []
    while messages := sqs.receive_message(QueueUrl=queues["VERIFY_QUEUE_URL"], MaxNumberOfMessages=10).get(
        "Messages"
    ):
        bodies += [json.loads(m["Body"]) for m in messages]
        for m in messages:
            sqs.delete_message(QueueUrl=queues["VERIFY_QUEUE_URL"], ReceiptHandle=m["ReceiptHandle"])
    assert sorted(b["prediction_id"] for b in bodies) == sorted(p.prediction_id for p in due)
    later = Sweeper(concurrency=1).sweep(NOW + timedelta(minutes=61))  # unverified: again after the window
    assert later.enqueued == 45


def test_the_queue_consumer_verifies_and_notifies_the_owner(
    queues: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from calledit.local.events import sqs_record
    from calledit.local.lambdas import LambdaContext
    from calledit.storage.connections import ConnectionStore
    from calledit.storage.notifications import NotificationStore

    posted: list[tuple[str, dict[str, Any]]] = []

    class Recorder:
        def __init__(self, endpoint: str, connection_id: str) -> None:
            self.connection_id = connection_id

        def post(self, data: bytes) -> None:
            posted.append((self.connection_id, json.loads(data)))

    monkeypatch.setenv("CALLEDIT_MANAGEMENT_ENDPOINT", "https://ws.example/prod")
    from calledit.settings import get_settings

    get_settings.cache_clear()
    monkeypatch.setattr("calledit.scheduled.notify.ManagementApiTransport", Recorder)
    store = PredictionStore()
    p, _ = store.create(
        "u1",
        "cal",
        prediction(prediction_statement="Christmas 2027 will fall on a Friday", date="2027-12-25T22:59:59Z"),
        timezone="Europe/Paris",
        model="offline-heuristic",
    )
    ConnectionStore().add("tab-1", "u1")
    import verifier

    body = json.dumps({"user_id": "u1", "prediction_id": p.prediction_id})
    records = [
        sqs_record(body, message_id="m1"),
        sqs_record(body, message_id="m2"),
        sqs_record("{", message_id="m3"),
    ]
    with clock.frozen_at(datetime(2027, 12, 26, 10, tzinfo=UTC)):
        result = verifier.handler({"Records": records}, LambdaContext.named("verifier"))
    # The duplicate simply found it resolved; the malformed body goes back (then to the dead letters).
    assert result == {"batchItemFailures": [{"itemIdentifier": "m3"}]}
    after = store.get("u1", p.prediction_id)
    assert after is not None and after.status is PredictionStatus.RESOLVED and after.outcome == "false"
    assert [(cid, body["type"], body["kind"], body["request_id"]) for cid, body in posted] == [
        ("tab-1", "notification", "verdict_ready", None)
    ]
    notes = NotificationStore().recent("u1")
    assert (
        len(notes) == 1 and notes[0].prediction_id == p.prediction_id and "Resolved false" in notes[0].title
    )


def test_a_scheduled_check_that_cannot_settle_reminds_the_owner_it_is_due(queues: dict[str, str]) -> None:
    from calledit.scheduled.verifier import VerifyMessage, verify_one
    from calledit.storage.notifications import NotificationStore

    store = PredictionStore()
    call = saved(store, user="u9", rid="rain")
    with clock.frozen_at(datetime(2027, 4, 2, 9, tzinfo=UTC)):
        final = asyncio.run(verify_one(VerifyMessage(user_id="u9", prediction_id=call.prediction_id)))
    assert isinstance(final, VerdictEvent) and final.verdict.outcome == "inconclusive" and not final.applied
    (note,) = NotificationStore().recent("u9")
    assert note.kind == "due" and note.title.startswith("Due: what happened?")
    again = asyncio.run(verify_one(VerifyMessage(user_id="u9", prediction_id=call.prediction_id)))
    assert isinstance(again, ErrorEvent) and again.code == "conflict"  # proposed: left to the user
