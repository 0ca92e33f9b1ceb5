"""calledit.local.scheduler and calledit.local.sqs, driven by the real boto3 clients over loopback."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from aiohttp import web
from aws_lambda_powertools.utilities.parser.models import SqsModel
from botocore.config import Config
from botocore.exceptions import ClientError

from calledit.local.scheduler import Cron, Scheduler, SchedulerError, at_time
from calledit.local.sqs import SQS, QueueConfig, md5_of_attributes, queue_arn

ROLE = "arn:aws:iam::000000000000:role/scheduler"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:000000000000:function:Verifier"
CREDENTIALS: dict[str, Any] = {
    "region_name": "us-east-1",
    "aws_access_key_id": "x",
    "aws_secret_access_key": "x",
    "config": Config(read_timeout=25, retries={"max_attempts": 1}),
}
QUEUES = {
    "targets": QueueConfig(visibility_timeout=30),
    "dlq": QueueConfig(visibility_timeout=30),
    "work": QueueConfig(visibility_timeout=1, max_receive_count=2, dead_letter_queue="work-dlq"),
    "work-dlq": QueueConfig(),
}


def code(exc: ClientError) -> str:
    return str(exc.response["Error"]["Code"])


@dataclass
class Local:
    """Both emulators behind one aiohttp server, with boto3 clients pointed at it."""

    base_url: str
    data_dir: Path
    sqs: SQS
    scheduler: Scheduler
    deliveries: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    fail_lambda: Callable[[int], bool] = lambda attempt: False

    def __post_init__(self) -> None:
        self.scheduler_client = boto3.client(
            "scheduler", endpoint_url=f"{self.base_url}/scheduler", **CREDENTIALS
        )
        self.sqs_client = boto3.client("sqs", endpoint_url=f"{self.base_url}/sqs", **CREDENTIALS)

    def deliver(self, target: dict[str, Any], payload: str) -> None:
        """What the stack wires: SQS ARNs to the SQS emulator, anything else to "Lambda"."""
        self.deliveries.append((target, payload))
        if target["Arn"].startswith("arn:aws:sqs:"):
            self.sqs.deliver(target, payload)
        elif self.fail_lambda(sum(1 for t, _ in self.deliveries if t["Arn"] == target["Arn"])):
            raise RuntimeError("function error")

    async def call(self, client: Any, op: str, **kwargs: Any) -> Any:
        return await asyncio.to_thread(getattr(client, op), **kwargs)

    async def sched(self, op: str, **kwargs: Any) -> Any:
        return await self.call(self.scheduler_client, op, **kwargs)

    async def q(self, op: str, **kwargs: Any) -> Any:
        return await self.call(self.sqs_client, op, **kwargs)

    def url(self, name: str) -> str:
        return f"{self.base_url}/sqs/000000000000/{name}"

    async def count(self, queue: str) -> tuple[int, int]:
        attrs = (await self.q("get_queue_attributes", QueueUrl=self.url(queue), AttributeNames=["All"]))[
            "Attributes"
        ]
        return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


@asynccontextmanager
async def serve(*mounts: Callable[[web.Application], None]) -> AsyncIterator[str]:
    app = web.Application()
    for mount in mounts:
        mount(app)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def running(
    data_dir: Path, clock: Callable[[], datetime] | None = None, max_sleep_s: float = 30.0
) -> AsyncIterator[Local]:
    holder: list[Local] = []
    sqs = SQS(data_dir, QUEUES)
    scheduler = Scheduler(
        data_dir,
        lambda target, payload: holder[0].deliver(target, payload),
        retry_delay_s=0.05,
        max_sleep_s=max_sleep_s,
        clock=clock or (lambda: datetime.now(UTC)),
    )
    async with serve(
        lambda app: sqs.routes(app, "/sqs"), lambda app: scheduler.routes(app, "/scheduler")
    ) as url:
        local = Local(url, data_dir, sqs, scheduler)
        holder.append(local)
        await sqs.start()
        await scheduler.start()
        try:
            yield local
        finally:
            await scheduler.stop()
            await sqs.stop()


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[Local]:
    async with running(tmp_path) as env:
        yield env


def at_expression(when: datetime, tz: str = "UTC") -> str:
    return f"at({when.astimezone(ZoneInfo(tz)).strftime('%Y-%m-%dT%H:%M:%S')})"


def schedule_args(name: str, expression: str, target_arn: str, **extra: Any) -> dict[str, Any]:
    target = {"Arn": target_arn, "RoleArn": ROLE, "Input": json.dumps({"name": name})}
    target |= extra.pop("Target", {})
    return {
        "Name": name,
        "ScheduleExpression": expression,
        "Target": target,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        **extra,
    }


async def wait_for(predicate: Callable[[], Any], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def receive_all(local: Local, queue: str, wait_s: int = 5, **kwargs: Any) -> list[dict[str, Any]]:
    result = await local.q(
        "receive_message", QueueUrl=local.url(queue), WaitTimeSeconds=wait_s, MaxNumberOfMessages=10, **kwargs
    )
    messages: list[dict[str, Any]] = result.get("Messages", [])
    return messages


# ------------------------------------------------------------ scheduler


async def test_schedule_crud_and_errors(local: Local) -> None:
    future = at_expression(datetime.now(UTC) + timedelta(days=1))
    created = await local.sched("create_schedule", **schedule_args("call-1", future, LAMBDA_ARN))
    assert created["ScheduleArn"] == "arn:aws:scheduler:us-east-1:000000000000:schedule/default/call-1"

    got = await local.sched("get_schedule", Name="call-1")
    assert got["ScheduleExpression"] == future
    assert got["ScheduleExpressionTimezone"] == "UTC"
    assert got["State"] == "ENABLED"
    assert got["GroupName"] == "default"
    assert got["ActionAfterCompletion"] == "NONE"
    assert got["Target"]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}
    assert isinstance(got["CreationDate"], datetime)

    client = local.scheduler_client
    with pytest.raises(client.exceptions.ConflictException) as conflict:
        await local.sched("create_schedule", **schedule_args("call-1", future, LAMBDA_ARN))
    assert conflict.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert "already exists" in conflict.value.response["Error"]["Message"]
    # An SDK retry with the same ClientToken is idempotent.
    again = schedule_args("call-2", future, LAMBDA_ARN, ClientToken="token-1")
    first = await local.sched("create_schedule", **again)
    assert (await local.sched("create_schedule", **again))["ScheduleArn"] == first["ScheduleArn"]

    with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
        await local.sched("get_schedule", Name="nope")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        await local.sched("update_schedule", **schedule_args("nope", future, LAMBDA_ARN))
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        await local.sched("delete_schedule", Name="nope")

    await local.sched(
        "update_schedule", **schedule_args("call-1", "rate(5 minutes)", LAMBDA_ARN, State="DISABLED")
    )
    got = await local.sched("get_schedule", Name="call-1")
    assert (got["ScheduleExpression"], got["State"]) == ("rate(5 minutes)", "DISABLED")
    assert got["LastModificationDate"] >= got["CreationDate"]

    listed = await local.sched("list_schedules")
    assert [s["Name"] for s in listed["Schedules"]] == ["call-1", "call-2"]
    assert listed["Schedules"][0]["Target"] == {"Arn": LAMBDA_ARN}
    assert [s["Name"] for s in (await local.sched("list_schedules", State="DISABLED"))["Schedules"]] == [
        "call-1"
    ]
    assert [s["Name"] for s in (await local.sched("list_schedules", NamePrefix="call-2"))["Schedules"]] == [
        "call-2"
    ]
    page = await local.sched("list_schedules", MaxResults=1)
    assert len(page["Schedules"]) == 1 and page["NextToken"]
    rest = await local.sched("list_schedules", MaxResults=1, NextToken=page["NextToken"])
    assert [s["Name"] for s in rest["Schedules"]] == ["call-2"] and "NextToken" not in rest
    paginator = client.get_paginator("list_schedules").paginate(PaginationConfig={"PageSize": 1})
    full = await asyncio.to_thread(paginator.build_full_result)
    names = [s["Name"] for s in full["Schedules"]]
    assert names == ["call-1", "call-2"]

    # Groups
    await local.sched("create_schedule_group", Name="verifications")
    with pytest.raises(client.exceptions.ConflictException):
        await local.sched("create_schedule_group", Name="verifications")
    assert (await local.sched("get_schedule_group", Name="verifications"))["State"] == "ACTIVE"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        await local.sched("get_schedule_group", Name="missing")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        await local.sched("create_schedule", **schedule_args("x", future, LAMBDA_ARN, GroupName="missing"))
    await local.sched(
        "create_schedule", **schedule_args("call-1", future, LAMBDA_ARN, GroupName="verifications")
    )
    in_group = await local.sched("get_schedule", Name="call-1", GroupName="verifications")
    assert in_group["Arn"].endswith(":schedule/verifications/call-1")
    grouped = await local.sched("list_schedules", GroupName="verifications")
    assert [(s["GroupName"], s["Name"]) for s in grouped["Schedules"]] == [("verifications", "call-1")]

    await local.sched("delete_schedule", Name="call-1")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        await local.sched("get_schedule", Name="call-1")
    assert (await local.sched("get_schedule", Name="call-1", GroupName="verifications"))["Name"] == "call-1"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ScheduleExpression": "at(2030-13-01T00:00:00)"}, "Invalid Schedule Expression"),
        ({"ScheduleExpression": "at(2030-01-01 00:00:00)"}, "Invalid Schedule Expression"),
        ({"ScheduleExpression": "rate(0 minutes)"}, "Invalid Schedule Expression"),
        ({"ScheduleExpression": "rate(5 seconds)"}, "Invalid Schedule Expression"),
        ({"ScheduleExpression": "cron(0 9 * * * *)"}, "day-of-month"),
        ({"ScheduleExpression": "cron(0 9 * *)"}, "six fields"),
        ({"ScheduleExpression": "cron(61 9 * * ? *)"}, "out of range"),
        ({"ScheduleExpressionTimezone": "Mars/Olympus"}, "Timezone"),
        ({"Name": "bad name!"}, "pattern"),
        ({"Target": {"RoleArn": "not-a-role"}}, "RoleArn"),
        ({"Target": {"DeadLetterConfig": {"Arn": LAMBDA_ARN}}}, "SQS"),
        ({"Target": {"RetryPolicy": {"MaximumRetryAttempts": 186}}}, "MaximumRetryAttempts"),
        ({"FlexibleTimeWindow": {"Mode": "FLEXIBLE"}}, "MaximumWindowInMinutes"),
        (
            {"StartDate": datetime(2031, 1, 1, tzinfo=UTC), "EndDate": datetime(2030, 1, 1, tzinfo=UTC)},
            "EndDate",
        ),
    ],
)
async def test_schedule_validation(local: Local, overrides: dict[str, Any], message: str) -> None:
    args = schedule_args("valid", "at(2030-01-01T00:00:00)", LAMBDA_ARN)
    target = overrides.pop("Target", None)
    if target:
        args["Target"] |= target
    args |= overrides
    with pytest.raises(local.scheduler_client.exceptions.ValidationException) as exc:
        await local.sched("create_schedule", **args)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message.lower() in exc.value.response["Error"]["Message"].lower()


async def test_at_schedule_fires_once_into_sqs_and_is_deleted(local: Local) -> None:
    when = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)
    await local.sched(
        "create_schedule",
        **schedule_args(
            "deadline",
            at_expression(when),
            queue_arn("targets"),
            ActionAfterCompletion="DELETE",
            Target={
                "Input": '{"at": "<aws.scheduler.scheduled-time>", "arn": "<aws.scheduler.schedule-arn>"}'
            },
        ),
    )
    messages = await receive_all(local, "targets", wait_s=6, MessageSystemAttributeNames=["SentTimestamp"])
    assert len(messages) == 1
    sent = datetime.fromtimestamp(int(messages[0]["Attributes"]["SentTimestamp"]) / 1000, UTC)
    assert when <= sent < when + timedelta(seconds=1)
    assert json.loads(messages[0]["Body"]) == {
        "at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "arn": "arn:aws:scheduler:us-east-1:000000000000:schedule/default/deadline",
    }
    with pytest.raises(local.scheduler_client.exceptions.ResourceNotFoundException):
        await local.sched("get_schedule", Name="deadline")
    await local.q("delete_message", QueueUrl=local.url("targets"), ReceiptHandle=messages[0]["ReceiptHandle"])
    assert await receive_all(local, "targets", wait_s=1) == []  # fired once


async def test_at_schedule_without_delete_stays(local: Local) -> None:
    when = datetime.now(UTC) + timedelta(seconds=0.5)
    await local.sched("create_schedule", **schedule_args("kept", at_expression(when), queue_arn("targets")))
    assert len(await receive_all(local, "targets", wait_s=5)) == 1
    assert (await local.sched("get_schedule", Name="kept"))["ActionAfterCompletion"] == "NONE"
    assert local.scheduler.schedules[("default", "kept")].next_due is None


def test_at_time_zones_and_dst() -> None:
    # Europe/Paris: CET (+01:00) until 2025-03-30 02:00, CEST (+02:00) until 2025-10-26 03:00.
    assert at_time("at(2025-03-29T03:30:00)", "Europe/Paris") == datetime(2025, 3, 29, 2, 30, tzinfo=UTC)
    assert at_time("at(2025-03-30T03:30:00)", "Europe/Paris") == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert at_time("at(2025-03-30T02:30:00)", "Europe/Paris") == datetime(
        2025, 3, 30, 1, 30, tzinfo=UTC
    )  # gap
    assert at_time("at(2025-10-26T02:30:00)", "Europe/Paris") == datetime(
        2025, 10, 26, 0, 30, tzinfo=UTC
    )  # 1st
    assert at_time("at(2025-10-26T03:30:00)", "Europe/Paris") == datetime(2025, 10, 26, 2, 30, tzinfo=UTC)
    assert at_time("at(2025-07-01T12:00:00)") == datetime(2025, 7, 1, 12, tzinfo=UTC)
    assert at_time("at(2025-07-01T12:00:00)", "America/New_York") == datetime(2025, 7, 1, 16, tzinfo=UTC)


async def test_at_schedule_in_a_time_zone_fires_on_time(local: Local) -> None:
    when = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)
    expression = at_expression(when, "Europe/Paris")  # the Paris wall-clock time, 1-2 hours off UTC
    await local.sched(
        "create_schedule",
        **schedule_args("paris", expression, queue_arn("targets"), ScheduleExpressionTimezone="Europe/Paris"),
    )
    assert local.scheduler.schedules[("default", "paris")].next_due == when
    await local.sched(
        "create_schedule",
        **schedule_args(
            "dst", "at(2030-03-31T03:30:00)", queue_arn("targets"), ScheduleExpressionTimezone="Europe/Paris"
        ),
    )
    assert local.scheduler.schedules[("default", "dst")].next_due == datetime(2030, 3, 31, 1, 30, tzinfo=UTC)
    messages = await receive_all(local, "targets", wait_s=6, MessageSystemAttributeNames=["SentTimestamp"])
    assert [json.loads(m["Body"]) for m in messages] == [{"name": "paris"}]
    sent = datetime.fromtimestamp(int(messages[0]["Attributes"]["SentTimestamp"]) / 1000, UTC)
    assert when <= sent < when + timedelta(seconds=1)


def warped_clock(speed: float) -> Callable[[], datetime]:
    """A clock running ``speed`` times faster than real time (rate() can't go below a minute)."""
    origin = datetime.now(UTC)
    started = time.monotonic()
    return lambda: origin + timedelta(seconds=(time.monotonic() - started) * speed)


async def test_rate_schedule_fires_repeatedly(tmp_path: Path) -> None:
    async with running(tmp_path, clock=warped_clock(60), max_sleep_s=0.02) as local:  # a minute a second
        await local.sched(
            "create_schedule",
            **schedule_args(
                "every-minute",
                "rate(1 minute)",
                queue_arn("targets"),
                Target={"Input": "<aws.scheduler.scheduled-time>"},
            ),
        )
        bodies: list[str] = []
        deadline = time.monotonic() + 6
        while len(bodies) < 3 and time.monotonic() < deadline:
            for message in await receive_all(local, "targets", wait_s=2):
                bodies.append(message["Body"])
                await local.q(
                    "delete_message", QueueUrl=local.url("targets"), ReceiptHandle=message["ReceiptHandle"]
                )
        times = sorted(datetime.strptime(b, "%Y-%m-%dT%H:%M:%SZ") for b in bodies)
        assert len(times) >= 3
        assert all(later - earlier == timedelta(minutes=1) for earlier, later in itertools.pairwise(times))
        assert (await local.sched("get_schedule", Name="every-minute"))["State"] == "ENABLED"

        # DISABLED stops it.
        await local.sched(
            "update_schedule",
            **schedule_args("every-minute", "rate(1 minute)", queue_arn("targets"), State="DISABLED"),
        )
        await asyncio.sleep(0.2)
        await local.q("purge_queue", QueueUrl=local.url("targets"))
        assert await receive_all(local, "targets", wait_s=2) == []


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_cron_expressions() -> None:
    utc_zone, paris = ZoneInfo("UTC"), ZoneInfo("Europe/Paris")

    def nxt(fields: str, after: datetime, tz: ZoneInfo = utc_zone) -> datetime | None:
        return Cron.parse(fields).next_after(after, tz)

    after = utc(2025, 1, 1, 10, 0)  # a Wednesday
    assert nxt("0 9 ? * MON-FRI *", after) == utc(2025, 1, 2, 9, 0)
    assert nxt("0/15 * * * ? *", after) == utc(2025, 1, 1, 10, 15)
    assert nxt("5,10 10 * * ? *", after) == utc(2025, 1, 1, 10, 5)
    assert nxt("0 0 L * ? *", after) == utc(2025, 1, 31, 0, 0)
    assert nxt("0 0 L 2 ? 2028", after) == utc(2028, 2, 29, 0, 0)
    assert nxt("0 12 ? * 6L *", after) == utc(2025, 1, 31, 12, 0)  # last Friday
    assert nxt("0 12 ? * FRI#2 *", after) == utc(2025, 1, 10, 12, 0)
    assert nxt("0 12 ? * L *", after) == utc(2025, 1, 4, 12, 0)  # Saturday
    assert nxt("0 12 1W * ? *", utc(2025, 2, 5)) == utc(2025, 3, 3, 12, 0)  # Sat 1 Mar -> Mon 3 Mar
    assert nxt("0 12 31W * ? *", utc(2025, 8, 1)) == utc(2025, 8, 29, 12, 0)  # Sun 31 Aug -> Fri 29 Aug
    assert nxt("0 12 15W * ? *", after) == utc(2025, 1, 15, 12, 0)
    assert nxt("0 12 LW * ? *", utc(2025, 5, 1)) == utc(2025, 5, 30, 12, 0)  # 31 May 2025 is a Saturday
    assert nxt("0 12 1 JAN ? 2026-2027", after) == utc(2026, 1, 1, 12, 0)
    assert nxt("0 12 30 2 ? *", after) is None
    # In a time zone: 09:00 Paris is 08:00Z in winter, 07:00Z in summer.
    assert nxt("0 9 * * ? *", utc(2025, 3, 29, 12), paris) == utc(2025, 3, 30, 7, 0)
    # DST: 02:30 does not exist on 2025-03-30 (skipped); 02:30 happens twice on 2025-10-26 (runs once).
    assert nxt("30 2 * * ? *", utc(2025, 3, 29, 12), paris) == utc(2025, 3, 31, 0, 30)
    first = nxt("30 2 * * ? *", utc(2025, 10, 25, 12), paris)
    assert first == utc(2025, 10, 26, 0, 30)
    assert nxt("30 2 * * ? *", first, paris) == utc(2025, 10, 27, 1, 30)
    for bad in (
        "0 9 ? * ? *",
        "0 9 * * MON *",
        "0 24 * * ? *",
        "0 9 ? * 8 *",
        "0 9 ? * MON#6 *",
        "0 9 5-1 * ? *",
    ):
        with pytest.raises(SchedulerError):
            Cron.parse(bad)


async def test_cron_schedule_fires(tmp_path: Path) -> None:
    async with running(tmp_path, clock=warped_clock(120), max_sleep_s=0.02) as local:
        await local.sched(
            "create_schedule",
            **schedule_args(
                "cron",
                "cron(* * * * ? *)",
                queue_arn("targets"),
                Target={"Input": "<aws.scheduler.scheduled-time>"},
            ),
        )
        messages = await receive_all(local, "targets", wait_s=3)
        assert messages and messages[0]["Body"].endswith(":00Z")


async def test_schedule_persists_across_restart(tmp_path: Path) -> None:
    start = datetime.now(UTC)
    async with running(tmp_path) as local:
        await local.sched(
            "create_schedule",
            **schedule_args("missed", at_expression(start + timedelta(seconds=1)), queue_arn("targets")),
        )
        await local.sched(
            "create_schedule",
            **schedule_args(
                "later",
                at_expression(start + timedelta(seconds=2.5)),
                queue_arn("targets"),
                ActionAfterCompletion="DELETE",
            ),
        )
        await local.sched(
            "create_schedule", **schedule_args("rate", "rate(1 day)", LAMBDA_ARN, State="DISABLED")
        )
    assert json.loads((tmp_path / "scheduler.json").read_text())["schedules"]
    await asyncio.sleep(max(0.0, (start + timedelta(seconds=1.3) - datetime.now(UTC)).total_seconds()))

    async with running(tmp_path) as local:  # a new emulator on the same data directory
        assert (await local.sched("get_schedule", Name="rate"))["State"] == "DISABLED"
        first = await receive_all(local, "targets", wait_s=2)
        assert [json.loads(m["Body"]) for m in first] == [{"name": "missed"}]  # fired at start
        second = await receive_all(local, "targets", wait_s=4)
        assert [json.loads(m["Body"]) for m in second] == [{"name": "later"}]
        await wait_for(lambda: ("default", "later") not in local.scheduler.schedules)
        assert local.scheduler.schedules[("default", "missed")].next_due is None
    saved = json.loads((tmp_path / "scheduler.json").read_text())
    assert sorted(s["Name"] for s in saved["schedules"]) == ["missed", "rate"]


async def test_retries_then_dead_letter_queue(local: Local) -> None:
    local.fail_lambda = lambda attempt: True
    now = datetime.now(UTC)
    await local.sched(
        "create_schedule",
        **schedule_args(
            "failing",
            at_expression(now),
            LAMBDA_ARN,
            ActionAfterCompletion="DELETE",
            Target={
                "Input": '{"attempt": <aws.scheduler.attempt-number>}',
                "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60},
                "DeadLetterConfig": {"Arn": queue_arn("dlq")},
            },
        ),
    )
    messages = await receive_all(local, "dlq", wait_s=5, MessageAttributeNames=["All"])
    assert len(messages) == 1
    assert json.loads(messages[0]["Body"]) == {"attempt": 3}
    attributes = {k: v["StringValue"] for k, v in messages[0]["MessageAttributes"].items()}
    assert attributes == {
        "ERROR_CODE": "RuntimeError",
        "ERROR_MESSAGE": "function error",
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
        "RETRY_ATTEMPTS": "2",
        "SCHEDULE_ARN": "arn:aws:scheduler:us-east-1:000000000000:schedule/default/failing",
        "TARGET_ARN": LAMBDA_ARN,
    }
    assert [json.loads(p) for t, p in local.deliveries if t["Arn"] == LAMBDA_ARN] == [
        {"attempt": 1},
        {"attempt": 2},
        {"attempt": 3},
    ]
    await wait_for(lambda: not local.scheduler.schedules)


async def test_retry_succeeds(local: Local) -> None:
    local.fail_lambda = lambda attempt: attempt == 1
    await local.sched(
        "create_schedule",
        **schedule_args(
            "flaky",
            at_expression(datetime.now(UTC)),
            LAMBDA_ARN,
            Target={"Input": "<aws.scheduler.attempt-number>", "DeadLetterConfig": {"Arn": queue_arn("dlq")}},
        ),
    )
    await wait_for(lambda: len(local.deliveries) >= 2)
    await asyncio.sleep(0.2)
    assert [p for _, p in local.deliveries] == ["1", "2"]
    assert await receive_all(local, "dlq", wait_s=0) == []


# ------------------------------------------------------------ SQS


async def test_sqs_send_receive_delete(local: Local) -> None:
    created = await local.q("create_queue", QueueName="orders", Attributes={"VisibilityTimeout": "5"})
    assert created["QueueUrl"] == local.url("orders")
    assert (await local.q("get_queue_url", QueueName="orders"))["QueueUrl"] == local.url("orders")
    assert (await local.q("create_queue", QueueName="orders", Attributes={"VisibilityTimeout": "5"}))[
        "QueueUrl"
    ] == local.url("orders")
    attributes = {
        "kind": {"DataType": "String", "StringValue": "verify"},
        "n": {"DataType": "Number", "StringValue": "42"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
    }
    sent = await local.q(
        "send_message", QueueUrl=local.url("orders"), MessageBody="héllo", MessageAttributes=attributes
    )
    assert sent["MD5OfMessageBody"] == hashlib.md5("héllo".encode()).hexdigest()  # noqa: S324
    from moto.sqs.models import Message as MotoMessage  # an independent MD5OfMessageAttributes

    moto = MotoMessage("id", "héllo")
    moto.message_attributes = attributes
    assert sent["MD5OfMessageAttributes"] == moto.attribute_md5
    assert await local.count("orders") == (1, 0)

    got = await local.q(
        "receive_message",
        QueueUrl=local.url("orders"),
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
    )
    (message,) = got["Messages"]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "héllo"
    assert message["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01\xff"
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert message["Attributes"]["SenderId"] == "x"
    assert set(message["Attributes"]) >= {"SentTimestamp", "ApproximateFirstReceiveTimestamp"}
    assert await local.count("orders") == (0, 1)
    await local.q("delete_message", QueueUrl=local.url("orders"), ReceiptHandle=message["ReceiptHandle"])
    assert await local.count("orders") == (0, 0)
    only = await local.q(
        "get_queue_attributes", QueueUrl=local.url("orders"), AttributeNames=["VisibilityTimeout", "QueueArn"]
    )
    assert only["Attributes"] == {"VisibilityTimeout": "5", "QueueArn": queue_arn("orders")}
    listed = await local.q("list_queues", QueueNamePrefix="ord")
    assert listed["QueueUrls"] == [local.url("orders")]


async def test_sqs_visibility_timeout(local: Local) -> None:
    url = local.url("targets")
    await local.q("send_message", QueueUrl=url, MessageBody="one")
    first = (await local.q("receive_message", QueueUrl=url, VisibilityTimeout=1))["Messages"][0]
    assert "Messages" not in await local.q("receive_message", QueueUrl=url)
    await asyncio.sleep(1.1)
    second = (
        await local.q(
            "receive_message", QueueUrl=url, VisibilityTimeout=30, AttributeNames=["ApproximateReceiveCount"]
        )
    )["Messages"][0]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    # A stale receipt handle "succeeds" without deleting, as SQS.
    await local.q("delete_message", QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    assert await local.count("targets") == (0, 1)
    with pytest.raises(ClientError) as stale:
        await local.q(
            "change_message_visibility",
            QueueUrl=url,
            ReceiptHandle=first["ReceiptHandle"],
            VisibilityTimeout=0,
        )
    assert code(stale.value) == "InvalidParameterValue"
    await local.q(
        "change_message_visibility", QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=0
    )
    assert await local.count("targets") == (1, 0)
    with pytest.raises(local.sqs_client.exceptions.MessageNotInflight) as not_inflight:
        await local.q(
            "change_message_visibility",
            QueueUrl=url,
            ReceiptHandle=second["ReceiptHandle"],
            VisibilityTimeout=5,
        )
    assert code(not_inflight.value) == "AWS.SimpleQueueService.MessageNotInflight"
    with pytest.raises(local.sqs_client.exceptions.ReceiptHandleIsInvalid):
        await local.q("delete_message", QueueUrl=url, ReceiptHandle="garbage")
    with pytest.raises(ClientError) as too_long:
        await local.q(
            "change_message_visibility",
            QueueUrl=url,
            ReceiptHandle=second["ReceiptHandle"],
            VisibilityTimeout=43201,
        )
    assert code(too_long.value) == "InvalidParameterValue"

    await local.q("send_message", QueueUrl=url, MessageBody="later", DelaySeconds=1)
    attrs = await local.q(
        "get_queue_attributes", QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )
    assert attrs["Attributes"] == {"ApproximateNumberOfMessagesDelayed": "1"}


async def test_sqs_long_poll(local: Local) -> None:
    url = local.url("targets")
    started = time.monotonic()
    assert "Messages" not in await local.q("receive_message", QueueUrl=url, WaitTimeSeconds=1)
    assert 0.9 < time.monotonic() - started < 2

    async def send_soon() -> None:
        await asyncio.sleep(0.5)
        await asyncio.to_thread(local.sqs.send_message, "targets", "wake up")  # from another thread

    started = time.monotonic()
    sender = asyncio.create_task(send_soon())
    got = await local.q("receive_message", QueueUrl=url, WaitTimeSeconds=10)
    await sender
    assert got["Messages"][0]["Body"] == "wake up"
    assert 0.4 < time.monotonic() - started < 2

    # A message whose visibility timeout expires during the wait is returned then.
    await local.q(
        "change_message_visibility",
        QueueUrl=url,
        ReceiptHandle=got["Messages"][0]["ReceiptHandle"],
        VisibilityTimeout=1,
    )
    started = time.monotonic()
    again = await local.q("receive_message", QueueUrl=url, WaitTimeSeconds=5)
    assert again["Messages"][0]["Body"] == "wake up"
    assert 0.8 < time.monotonic() - started < 2


async def test_sqs_batches_and_errors(local: Local) -> None:
    url = local.url("targets")
    client = local.sqs_client
    result = await local.q(
        "send_message_batch",
        QueueUrl=url,
        Entries=[{"Id": f"m{i}", "MessageBody": f"body {i}"} for i in range(3)]
        + [{"Id": "bad", "MessageBody": "nul \x00 char"}],
    )
    assert sorted(e["Id"] for e in result["Successful"]) == ["m0", "m1", "m2"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in result["Failed"]] == [
        ("bad", "InvalidMessageContents", True)
    ]
    messages = await receive_all(local, "targets", wait_s=0)
    assert sorted(m["Body"] for m in messages) == ["body 0", "body 1", "body 2"]
    deleted = await local.q(
        "delete_message_batch",
        QueueUrl=url,
        Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        + [{"Id": "junk", "ReceiptHandle": "junk"}],
    )
    assert len(deleted["Successful"]) == 3
    assert [(f["Id"], f["Code"]) for f in deleted["Failed"]] == [("junk", "ReceiptHandleIsInvalid")]
    assert await local.count("targets") == (0, 0)

    with pytest.raises(client.exceptions.TooManyEntriesInBatchRequest) as too_many:
        await local.q(
            "send_message_batch",
            QueueUrl=url,
            Entries=[{"Id": f"m{i}", "MessageBody": "x"} for i in range(11)],
        )
    assert code(too_many.value) == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
    with pytest.raises(client.exceptions.BatchEntryIdsNotDistinct):
        await local.q("send_message_batch", QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}] * 2)
    with pytest.raises(client.exceptions.EmptyBatchRequest):
        await local.q("send_message_batch", QueueUrl=url, Entries=[])
    with pytest.raises(client.exceptions.InvalidBatchEntryId):
        await local.q("send_message_batch", QueueUrl=url, Entries=[{"Id": "no spaces", "MessageBody": "x"}])
    with pytest.raises(client.exceptions.BatchRequestTooLong):
        await local.q(
            "send_message_batch",
            QueueUrl=url,
            Entries=[{"Id": f"m{i}", "MessageBody": "x" * 100_000} for i in range(3)],
        )

    with pytest.raises(client.exceptions.QueueDoesNotExist) as missing:
        await local.q("send_message", QueueUrl=local.url("nope"), MessageBody="x")
    assert code(missing.value) == "AWS.SimpleQueueService.NonExistentQueue"
    assert dict(missing.value.response["Error"])["QueryErrorCode"] == "QueueDoesNotExist"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(client.exceptions.QueueDoesNotExist):
        await local.q("get_queue_url", QueueName="nope")
    with pytest.raises(ClientError) as too_big:
        await local.q("send_message", QueueUrl=url, MessageBody="x" * (256 * 1024 + 1))
    assert code(too_big.value) == "InvalidParameterValue"
    assert "Message must be shorter than 262144 bytes" in too_big.value.response["Error"]["Message"]
    await local.q("send_message", QueueUrl=url, MessageBody="x" * (256 * 1024))  # the limit itself is fine
    with pytest.raises(ClientError) as too_many_wanted:
        await local.q("receive_message", QueueUrl=url, MaxNumberOfMessages=11)
    assert code(too_many_wanted.value) == "InvalidParameterValue"
    with pytest.raises(ClientError) as long_wait:
        await local.q("receive_message", QueueUrl=url, WaitTimeSeconds=21)
    assert code(long_wait.value) == "InvalidParameterValue"
    with pytest.raises(client.exceptions.QueueNameExists) as exists:
        await local.q("create_queue", QueueName="targets", Attributes={"VisibilityTimeout": "5"})
    assert code(exists.value) == "QueueAlreadyExists"
    with pytest.raises(ClientError) as bad_name:
        await local.q("create_queue", QueueName="bad name")
    assert code(bad_name.value) == "InvalidParameterValue"
    with pytest.raises(client.exceptions.InvalidAttributeName):
        await local.q("get_queue_attributes", QueueUrl=url, AttributeNames=["Bogus"])
    with pytest.raises(client.exceptions.InvalidAttributeValue):
        await local.q("create_queue", QueueName="other", Attributes={"VisibilityTimeout": "-1"})
    with pytest.raises(client.exceptions.InvalidMessageContents):
        await local.q("send_message", QueueUrl=url, MessageBody="\ufffe")

    await local.q("purge_queue", QueueUrl=url)
    assert await local.count("targets") == (0, 0)
    await local.q("delete_queue", QueueUrl=url)
    with pytest.raises(client.exceptions.QueueDoesNotExist):
        await local.q("get_queue_attributes", QueueUrl=url)


async def test_sqs_wrong_protocol_is_rejected(local: Local) -> None:
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{local.base_url}/sqs/", data={"Action": "ListQueues"}) as resp,
    ):
        assert resp.status == 400
        assert (await resp.json(content_type=None))["__type"].endswith("UnknownOperationException")


async def test_sqs_persists_across_restart(tmp_path: Path) -> None:
    async with running(tmp_path) as local:
        await local.q("create_queue", QueueName="made", Attributes={"VisibilityTimeout": "7"})
        for body in ("a", "b"):
            await local.q("send_message", QueueUrl=local.url("made"), MessageBody=body)
        await local.q("receive_message", QueueUrl=local.url("made"), VisibilityTimeout=600)  # in flight
        assert await local.count("made") == (1, 1)
    assert (tmp_path / "sqs" / "made.json").exists()
    async with running(tmp_path) as local:
        assert await local.count("made") == (2, 0)  # in flight messages are visible again
        attrs = await local.q(
            "get_queue_attributes", QueueUrl=local.url("made"), AttributeNames=["VisibilityTimeout"]
        )
        assert attrs["Attributes"]["VisibilityTimeout"] == "7"
        messages = await receive_all(local, "made", wait_s=0, AttributeNames=["ApproximateReceiveCount"])
        assert sorted((m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in messages) == [
            ("a", "2"),
            ("b", "1"),
        ]


# ------------------------------------------------------------ event source mapping


class Recorder:
    """A consumer handler: records events, fails as told."""

    def __init__(self, behaviour: Callable[[dict[str, Any], int], Any] = lambda event, n: None) -> None:
        self.events: list[dict[str, Any]] = []
        self.behaviour = behaviour
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> Any:
        with self.lock:
            self.events.append(event)
            n = len(self.events)
        return self.behaviour(event, n)

    def records(self) -> Iterator[dict[str, Any]]:
        for event in self.events:
            yield from event["Records"]


async def test_consumer_gets_lambda_sqs_events_and_deletes(local: Local) -> None:
    handler = Recorder()
    local.sqs.add_consumer("targets", handler, batch_size=10, max_concurrency=2)
    await local.q(
        "send_message",
        QueueUrl=local.url("targets"),
        MessageBody='{"job": 1}',
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "verify"}},
    )
    await wait_for(lambda: handler.events)
    event = handler.events[0]
    SqsModel.model_validate(event)
    (record,) = event["Records"]
    assert record["body"] == '{"job": 1}'
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:000000000000:targets"
    assert record["awsRegion"] == "us-east-1"
    assert record["md5OfBody"] == hashlib.md5(b'{"job": 1}').hexdigest()  # noqa: S324
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert set(record["attributes"]) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "verify",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert record["md5OfMessageAttributes"] == md5_of_attributes(
        {"kind": {"DataType": "String", "StringValue": "verify"}}
    )
    await wait_for(lambda: local.sqs._queues["targets"].messages == {})
    assert await local.count("targets") == (0, 0)

    # A batch: several messages in one event.
    await local.q(
        "send_message_batch",
        QueueUrl=local.url("targets"),
        Entries=[{"Id": f"m{i}", "MessageBody": str(i)} for i in range(5)],
    )
    await wait_for(lambda: sum(1 for _ in handler.records()) == 6)
    await wait_for(lambda: local.sqs._queues["targets"].messages == {})


async def test_consumer_retries_failures_then_dead_letters(local: Local) -> None:
    def fail(event: dict[str, Any], n: int) -> Any:
        raise RuntimeError("handler failed")

    handler = Recorder(fail)
    local.sqs.add_consumer("work", handler, batch_size=10, max_concurrency=2)
    await local.q("send_message", QueueUrl=local.url("work"), MessageBody="poison")
    dead = await receive_all(local, "work-dlq", wait_s=6, AttributeNames=["All"])
    assert [m["Body"] for m in dead] == ["poison"]
    assert dead[0]["Attributes"]["DeadLetterQueueSourceArn"] == queue_arn("work")
    counts = [r["attributes"]["ApproximateReceiveCount"] for r in handler.records()]
    assert counts == ["1", "2"]  # maxReceiveCount = 2: received twice, then moved
    assert await local.count("work") == (0, 0)


async def test_consumer_partial_batch_failures(local: Local) -> None:
    url = local.url("work")
    await local.q(
        "send_message_batch",
        QueueUrl=url,
        Entries=[{"Id": b, "MessageBody": b} for b in ("ok1", "bad", "ok2")],
    )

    def report(event: dict[str, Any], n: int) -> Any:
        failed = [r["messageId"] for r in event["Records"] if r["body"] == "bad" and n == 1]
        return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}

    handler = Recorder(report)
    local.sqs.add_consumer("work", handler, batch_size=10, max_concurrency=1)
    await wait_for(lambda: len(handler.events) >= 2, timeout_s=5)
    assert sorted(r["body"] for r in handler.events[0]["Records"]) == ["bad", "ok1", "ok2"]
    assert [
        (r["body"], r["attributes"]["ApproximateReceiveCount"]) for r in handler.events[1]["Records"]
    ] == [("bad", "2")]
    await wait_for(lambda: local.sqs._queues["work"].messages == {})
    assert await receive_all(local, "work-dlq", wait_s=0) == []


async def test_consumer_invalid_batch_item_failures_fail_the_batch(local: Local) -> None:
    handler = Recorder(
        lambda event, n: {"batchItemFailures": [{"itemIdentifier": "unknown"}]} if n == 1 else None
    )
    local.sqs.add_consumer("work", handler, batch_size=10, max_concurrency=1)
    await local.q("send_message", QueueUrl=local.url("work"), MessageBody="m")
    await wait_for(lambda: len(handler.events) >= 2, timeout_s=5)
    assert handler.events[1]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    await wait_for(lambda: local.sqs._queues["work"].messages == {})


def test_queue_config_redrive_policy() -> None:
    attrs = QUEUES["work"].attributes()
    assert json.loads(attrs["RedrivePolicy"]) == {
        "deadLetterTargetArn": queue_arn("work-dlq"),
        "maxReceiveCount": 2,
    }
