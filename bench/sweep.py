"""The sweep at scale: 10,000 due predictions in DynamoDB Local, each enqueued once, none twice, in <= 60 s;
then what one scheduled verdict costs in model calls and tokens.

1. Starts DynamoDB Local (the npm install in bench/.cache/stack/node is reused; data in
   bench/.cache/sweep/, emptied first, never .local/) and the local SQS emulator
   (``calledit.local.sqs``, what ``make dev`` runs) in a child process on a free 127.0.0.1 port;
   creates the template's tables and queues.
2. Seeds ``--due`` predictions whose check is due (dates up to 30 days past) and ``--future``
   ones that are not (2 to 365 days ahead, "by" calls among them), spread over ``--users`` users.
   Each item is made by ``PredictionStore.create`` itself (its transaction is captured instead of
   sent: the same prediction item and idempotency marker), then written with BatchWriteItem.
   Seeding is timed apart; it is not the figure.
3. Runs the production ``Sweeper`` (``--concurrency`` threads, 4 as in production; ``--sweepers``
   overlapping invocations) and times it; sweeps again right away (must enqueue 0); drains the
   verify queue (ReceiveMessage x10 + DeleteMessageBatch) and checks that the ids received are
   exactly the due ones: none missing, none twice, no future one.
4. Takes ``--verdicts`` of the drained messages (a mix of calendar facts the offline verifier
   settles and claims it cannot) through ``verify_one``, the queue consumer, and reports model
   calls, turns and input/output tokens per verdict as ``verify_one`` records them in its metrics.
   The model is ``CALLEDIT_MODEL`` (default ``offline``: no LLM; see the note it prints).

A sweep reads at most 1,000 items per shard (16,000 in all): beyond that (``--due`` > ~15,000) the
"first sweep" is the rounds it takes, back to back, until no shard is left at its limit.

Exit code 1 if a check fails or the first sweep takes more than 60 s. Bounded: ``--due`` and
``--future`` <= 50,000, ``--timeout`` for the whole run. Loopback only (the SQS emulator binds
127.0.0.1; DynamoDB Local has no bind flag and listens on all interfaces, as under ``make dev``).
Run: ``.venv/bin/python bench/sweep.py [--due 10000] [--json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import json
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import benchlib

from calledit.local.sqs import SQS
from calledit.prediction import Prediction, VerifiableCategory, VerificationMethod
from calledit.protocol import Event
from calledit.scheduled.sweep import SweepReport
from calledit.storage.predictions import SWEEP_SHARDS, PredictionStore
from calledit.usage import Usage

MAX_DUE = 50_000
MAX_FUTURE = 50_000
MAX_USERS = 10_000
MAX_VERDICTS = 200
TARGET_S = 60.0
DATA_DIR = benchlib.CACHE_DIR / "sweep"
NODE_DIR = benchlib.STACK_DATA / "node"  # the DynamoDB Local install the stack benchmarks use
TEMPLATE = benchlib.REPO / "template.yaml"
SEED_THREADS = 4
# What one sweep reads per shard at most (PredictionStore.sweep_due's default, which the Sweeper uses).
SHARD_LIMIT: int = inspect.signature(PredictionStore.sweep_due).parameters["limit"].default
MAX_ROUNDS = 8
SQS_FLUSH_MS: float = inspect.signature(SQS.__init__).parameters["flush_delay_s"].default * 1000


@dataclass(frozen=True)
class Statement:
    """One kind of seeded prediction: the verdict table has a row per kind."""

    kind: str
    text: str
    category: VerifiableCategory
    mode: Literal["at_date", "before_date"]
    source: str


STATEMENTS = (
    Statement(
        "calendar, true",
        "Christmas 2027 will fall on a Saturday",
        VerifiableCategory.CURRENT_TOOL_VERIFIABLE,
        "at_date",
        "A calendar",
    ),
    Statement(
        "calendar, false",
        "1 January 2030 will be a Monday",
        VerifiableCategory.CURRENT_TOOL_VERIFIABLE,
        "at_date",
        "A calendar",
    ),
    Statement(
        "calendar, year",
        "By 2027-03-14, it will be 2027",
        VerifiableCategory.CURRENT_TOOL_VERIFIABLE,
        "at_date",
        "A calendar",
    ),
    Statement(
        "weather",
        "It will rain in Paris on Saturday",
        VerifiableCategory.API_TOOL_VERIFIABLE,
        "at_date",
        "Météo-France observations",
    ),
    Statement(
        "market, by a date",
        "The S&P 500 will close above 7000 by March 2027",
        VerifiableCategory.API_TOOL_VERIFIABLE,
        "before_date",
        "The index provider's official closing values",
    ),
    Statement(
        "personal",
        "I will run a marathon this year",
        VerifiableCategory.HUMAN_VERIFIABLE_ONLY,
        "at_date",
        "The user",
    ),
)


# ---------------------------------------------------------------- processes


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) from /proc; 0 if unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class SQSChild:
    """The SQS emulator in a child process (stops when our end of its stdin closes)."""

    process: subprocess.Popen[bytes]
    endpoint: str

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(timeout=10)


def start_sqs(data_dir: Path, flush_ms: float | None, timeout_s: float = 60.0) -> SQSChild:
    flush = ["--flush-ms", str(flush_ms)] if flush_ms is not None else []
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "serve-sqs", "--data-dir", str(data_dir), *flush],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=benchlib.REPO,
    )
    assert proc.stdout is not None
    found: list[str] = []

    def read_port() -> None:
        assert proc.stdout is not None
        found.append(proc.stdout.readline().decode().strip())

    reader = threading.Thread(target=read_port, daemon=True)
    reader.start()
    reader.join(timeout_s)
    if not found or not found[0].startswith("PORT "):
        proc.kill()
        raise RuntimeError(f"the SQS emulator did not start: {found[0] if found else 'no answer'}")
    return SQSChild(proc, f"http://127.0.0.1:{found[0].split()[1]}/sqs")


async def serve_sqs(data_dir: Path, flush_ms: float | None) -> None:
    """``serve-sqs``: the template's queues on 127.0.0.1, as the local stack serves them; prints PORT."""
    import socket

    from aiohttp import web

    from calledit.local.sqs import SQS, declared_queues
    from calledit.local.template import read_template

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    endpoint = f"http://127.0.0.1:{port}/sqs"
    template = read_template(TEMPLATE, sqs_endpoint=endpoint)
    queues = declared_queues(template)
    options = {"flush_delay_s": flush_ms / 1000} if flush_ms is not None else {}
    sqs = SQS(data_dir, queues, endpoint=endpoint, **options)
    app = web.Application(client_max_size=1024**2)
    sqs.routes(app, "/sqs")
    await sqs.start()
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    print(f"PORT {port}", flush=True)
    await asyncio.to_thread(sys.stdin.buffer.read)  # until the parent closes our stdin (or dies)
    await sqs.stop()
    await runner.cleanup()


# ---------------------------------------------------------------- seeding


def prediction(statement: Statement, when: datetime) -> Prediction:
    return Prediction(
        prediction_statement=statement.text,
        verification_date=when,
        date_reasoning="A fixed date chosen by the benchmark.",
        verification_method=VerificationMethod(
            source=[statement.source],
            criteria=[f"The statement holds: {statement.text}"],
            steps=["Check the statement on its verification date"],
        ),
        verifiable_category=statement.category,
        category_reasoning="Seeded by the sweep benchmark.",
        verification_mode=statement.mode,
    )


@dataclass
class Seeded:
    items: list[dict[str, Any]]
    due: dict[str, str]  # prediction_id -> statement kind
    future: set[str]
    build_s: float


def build_items(table_name: str, due: int, future: int, users: int, rng: random.Random) -> Seeded:
    """Prediction items and idempotency markers exactly as ``PredictionStore.create`` writes them."""
    began = time.perf_counter()
    store, capture = benchlib.capturing_store(table_name)
    user_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(users)]
    now = datetime.now(UTC)
    due_ids: dict[str, str] = {}
    future_ids: set[str] = set()
    for i in range(due + future):
        statement = STATEMENTS[i % len(STATEMENTS)]
        if i < due:
            when = now - timedelta(seconds=rng.randint(60, 30 * 86_400))
        else:
            when = now + timedelta(seconds=rng.randint(2 * 86_400, 365 * 86_400))
        saved, created = store.create(
            user_ids[i % users],
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            prediction(statement, when),
            timezone="Europe/Paris",
            model="offline-analyst",
        )
        assert created
        if i < due:
            due_ids[saved.prediction_id] = statement.kind
        else:
            future_ids.add(saved.prediction_id)
    expected = 2 * (due + future)
    if len(capture.items) != expected or not all(
        "sweep_shard" in item for item in capture.items if str(item["SK"]).startswith("PRED#")
    ):
        raise RuntimeError(
            f"PredictionStore.create no longer writes one prediction + one marker per save through "
            f"transact_write_items ({len(capture.items)} items captured, {expected} expected): "
            "update build_items"
        )
    return Seeded(capture.items, due_ids, future_ids, time.perf_counter() - began)


def write_items(endpoint: str, table_name: str, items: list[dict[str, Any]], threads: int) -> float:
    """BatchWriteItem (boto3's batch_writer: 25 per call, unprocessed items retried) on ``threads``."""
    import boto3

    chunks = [items[i::threads] for i in range(threads)]

    def write(chunk: list[dict[str, Any]]) -> None:
        resource = boto3.session.Session().resource("dynamodb", endpoint_url=endpoint)
        with resource.Table(table_name).batch_writer() as batch:
            for item in chunk:
                batch.put_item(Item=item)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="seed") as pool:
        list(pool.map(write, chunks))
    return time.perf_counter() - began


# ---------------------------------------------------------------- the sweep, instrumented


class TimedStore(PredictionStore):
    """The production store, timing the two calls the sweep makes (the Sweeper is unchanged)."""

    def __init__(self, table_name: str) -> None:
        super().__init__(table_name)
        self.queries: list[tuple[str, int, float]] = []  # shard, items found, seconds
        self.marks: list[float] = []
        self.lost_marks = 0

    def reset(self) -> None:
        self.queries, self.marks, self.lost_marks = [], [], 0

    def sweep_due(self, shard: str, now: datetime, limit: int = SHARD_LIMIT) -> list[dict[str, str]]:
        began = time.perf_counter()
        found = super().sweep_due(shard, now, limit)
        self.queries.append((shard, len(found), time.perf_counter() - began))
        return found

    def mark_enqueued(self, due: list[dict[str, str]], now: datetime) -> list[dict[str, str]]:
        began = time.perf_counter()
        marked = super().mark_enqueued(due, now)
        self.marks.append(time.perf_counter() - began)  # one call per shard: transactions of up to 100
        self.lost_marks += len(due) - len(marked)
        return marked


class TimedSQS:
    """The boto3 SQS client, timing SendMessageBatch."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.sends: list[float] = []

    def send_message_batch(self, **kwargs: Any) -> Any:
        began = time.perf_counter()
        response = self.client.send_message_batch(**kwargs)
        self.sends.append(time.perf_counter() - began)
        return response


@dataclass
class Round:
    name: str
    reports: list[SweepReport]
    wall_s: float
    cpu: dict[str, float]
    queries: list[tuple[str, int, float]]
    marks: list[float]
    sends: list[float]

    @property
    def found(self) -> int:
        return sum(r.found for r in self.reports)

    @property
    def enqueued(self) -> int:
        return sum(r.enqueued for r in self.reports)

    @property
    def already(self) -> int:
        return sum(r.already_enqueued for r in self.reports)

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.reports)

    @property
    def shards_at_limit(self) -> int:
        return sum(1 for _, found, _ in self.queries if found >= SHARD_LIMIT)


def run_round(
    name: str,
    store: TimedStore,
    sqs: TimedSQS,
    queue_url: str,
    concurrency: int,
    sweepers: int,
    cpu_of: Callable[[], dict[str, float]],
) -> Round:
    """``sweepers`` production sweeps started at once (1: one invocation), at the real clock."""
    from calledit.scheduled.sweep import Sweeper

    store.reset()
    sqs.sends = []
    gate = threading.Barrier(sweepers)

    def one(_: int) -> SweepReport:
        sweeper = Sweeper(store=store, sqs=sqs, queue_url=queue_url, concurrency=concurrency)
        gate.wait()
        return sweeper.sweep()

    cpu_before = cpu_of()
    began = time.perf_counter()
    if sweepers == 1:
        reports = [one(0)]
    else:
        with ThreadPoolExecutor(max_workers=sweepers, thread_name_prefix="sweeper") as pool:
            reports = list(pool.map(one, range(sweepers)))
    wall = time.perf_counter() - began
    cpu_after = cpu_of()
    cpu = {k: cpu_after[k] - cpu_before.get(k, 0.0) for k in cpu_after}
    return Round(name, reports, wall, cpu, list(store.queries), list(store.marks), list(sqs.sends))


def drain(sqs: Any, queue_url: str, deadline: float) -> tuple[list[str], list[str], int, int, float]:
    """Receive (10 at a time) and delete everything; returns bodies, message ids, receives,
    delete failures, seconds."""
    bodies: list[str] = []
    message_ids: list[str] = []
    receives = delete_failures = empty = 0
    began = time.perf_counter()
    while empty < 2 and time.monotonic() < deadline:
        response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        receives += 1
        messages = response.get("Messages", [])
        if not messages:
            empty += 1
            continue
        empty = 0
        bodies += [m["Body"] for m in messages]
        message_ids += [m["MessageId"] for m in messages]
        deleted = sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
        delete_failures += len(deleted.get("Failed", []))
    return bodies, message_ids, receives, delete_failures, time.perf_counter() - began


# ---------------------------------------------------------------- verdicts


def pick_verdicts(
    messages: list[dict[str, Any]], kinds: dict[str, str], count: int, rng: random.Random
) -> list[dict[str, Any]]:
    """``count`` messages, round-robin over the statement kinds (a fixed mix)."""
    by_kind: dict[str, list[dict[str, Any]]] = {s.kind: [] for s in STATEMENTS}
    for message in messages:
        kind = kinds.get(str(message.get("prediction_id")))
        if kind is not None:
            by_kind[kind].append(message)
    for group in by_kind.values():
        rng.shuffle(group)
    picked: list[dict[str, Any]] = []
    while len(picked) < count and any(by_kind.values()):
        for group in by_kind.values():
            if group and len(picked) < count:
                picked.append(group.pop())
    return picked


async def run_verdicts(
    chosen: list[dict[str, Any]], kinds: dict[str, str], table_name: str
) -> list[dict[str, Any]]:
    """Each message through ``verify_one``; its usage as ``verify_one`` hands it to the metrics."""
    from calledit import metrics
    from calledit.protocol import ErrorEvent, VerdictEvent
    from calledit.scheduled import verifier

    recorded: list[Usage] = []
    original = metrics.record_verification

    def capture(*, final: Event | None, usage: Usage) -> None:
        recorded.append(usage.model_copy())
        original(final=final, usage=usage)

    # verify_one builds its RunReport inside; it hands the usage to record_verification: read it there.
    vars(verifier)["record_verification"] = capture
    store = PredictionStore(table_name)
    rows: list[dict[str, Any]] = []
    try:
        for body in chosen:
            message = verifier.VerifyMessage.model_validate(body)
            before = len(recorded)
            began = time.perf_counter()
            final = await verifier.verify_one(message, store)
            seconds = time.perf_counter() - began
            usage = recorded[-1] if len(recorded) > before else Usage()
            after = await asyncio.to_thread(store.get, message.user_id, message.prediction_id)
            rows.append(
                {
                    "prediction_id": message.prediction_id,
                    "kind": kinds[message.prediction_id],
                    "terminal": final.type if final is not None else "none",
                    "outcome": final.verdict.outcome if isinstance(final, VerdictEvent) else None,
                    "applied": bool(final.applied) if isinstance(final, VerdictEvent) else False,
                    "error": final.code.value if isinstance(final, ErrorEvent) else None,
                    "status_after": after.status.value if after else None,
                    "model": final.verdict.model if isinstance(final, VerdictEvent) else None,
                    "seconds": seconds,
                    **usage.model_dump(),
                }
            )
    finally:
        vars(verifier)["record_verification"] = original
    return rows


def verdict_table(rows: list[dict[str, Any]]) -> str:
    def mean_max(values: list[int]) -> str:
        return f"{statistics.fmean(values):.1f} / {max(values)}" if values else "-"

    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["kind"], []).append(row)
    lines: list[list[Any]] = []
    for kind, group in [*groups.items(), ("all verdicts", rows)]:
        outcomes: dict[str, int] = {}
        for r in group:
            key = f"{r['outcome'] or r['error'] or r['terminal']}{' (applied)' if r['applied'] else ''}"
            outcomes[key] = outcomes.get(key, 0) + 1
        lines.append(
            [
                kind,
                len(group),
                ", ".join(f"{k} x{v}" for k, v in sorted(outcomes.items())),
                mean_max([r["model_calls"] for r in group]),
                mean_max([r["turns"] for r in group]),
                mean_max([r["input_tokens"] for r in group]),
                mean_max([r["output_tokens"] for r in group]),
                f"{statistics.median(r['seconds'] for r in group) * 1000:.0f}",
            ]
        )
    return str(
        benchlib.table(
            [
                "statement",
                "n",
                "verdict",
                "model calls mean/max",
                "turns mean/max",
                "input tok mean/max",
                "output tok mean/max",
                "wall ms median",
            ],
            lines,
        )
    )


# ---------------------------------------------------------------- the benchmark


def ms(values: list[float], p: float) -> str:
    return f"{benchlib.percentile(values, p) * 1000:.1f}" if values else "-"


def summarize(r: Round, concurrency: int) -> dict[str, Any]:
    return {
        "name": r.name,
        "found": r.found,
        "enqueued": r.enqueued,
        "already_enqueued": r.already,
        "failed": r.failed,
        "wall_s": r.wall_s,
        "items_per_s": r.enqueued / r.wall_s if r.wall_s else None,
        "shards_at_limit": r.shards_at_limit,
        "cpu_s": r.cpu,
        "query": {
            "calls": len(r.queries),
            "total_s": sum(q[2] for q in r.queries),
            "p50_s": benchlib.percentile([q[2] for q in r.queries], 50),
            "max_s": max((q[2] for q in r.queries), default=0.0),
            "per_shard_found": [q[1] for q in r.queries],
        },
        "update_item": {
            "calls": len(r.marks),
            "total_s": sum(r.marks),
            "p50_s": benchlib.percentile(r.marks, 50),
            "p99_s": benchlib.percentile(r.marks, 99),
            "max_s": max(r.marks, default=0.0),
        },
        "send_message_batch": {
            "calls": len(r.sends),
            "total_s": sum(r.sends),
            "p50_s": benchlib.percentile(r.sends, 50),
            "p99_s": benchlib.percentile(r.sends, 99),
            "max_s": max(r.sends, default=0.0),
        },
        "thread_busy_share": (sum(q[2] for q in r.queries) + sum(r.marks) + sum(r.sends))
        / (concurrency * len(r.reports) * r.wall_s)
        if r.wall_s
        else None,
    }


def bench(args: argparse.Namespace) -> dict[str, Any]:
    from calledit.local.dynamodb import PACKAGE, DynamoDBLocal, create_tables, find_jar
    from calledit.local.template import read_template

    print(benchlib.machine_line())
    rng = random.Random(args.seed)
    benchlib.dummy_aws_env()
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    DATA_DIR.mkdir(parents=True)
    dynamodb = DynamoDBLocal(NODE_DIR, DATA_DIR / "dynamodb", benchlib.free_port())
    sqs_child: SQSChild | None = None
    try:
        dynamodb.start(timeout_s=120)
        sqs_child = start_sqs(DATA_DIR, args.sqs_flush_ms)
        template = read_template(TEMPLATE, sqs_endpoint=sqs_child.endpoint)
        names = template.table_names
        env = {
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb.endpoint,
            "AWS_ENDPOINT_URL_SQS": sqs_child.endpoint,
            "PREDICTIONS_TABLE": names["PredictionsTable"],
            "JOBS_TABLE": names["JobsTable"],
            "CONNECTIONS_TABLE": names["ConnectionsTable"],
            "CALLEDIT_MODEL": os.environ.get("CALLEDIT_MODEL") or "offline",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
        os.environ.update(env)
        # No management API (notify stores the notification only), no scheduler (nothing to cancel).
        for key in (
            "AWS_ENDPOINT_URL",
            "CALLEDIT_MANAGEMENT_ENDPOINT",
            "VERIFY_QUEUE_URL",
            "VERIFY_QUEUE_ARN",
            "SCHEDULER_ROLE_ARN",
            "CALLEDIT_OFFLINE_DELAY_MS",
        ):
            os.environ.pop(key, None)
        from calledit.aws import reset_clients
        from calledit.settings import get_settings

        get_settings.cache_clear()
        reset_clients()
        for endpoint in (dynamodb.endpoint, sqs_child.endpoint):
            benchlib.require_loopback(endpoint)
        create_tables(dynamodb.client(), template.tables)
        table_name = names["PredictionsTable"]
        jar = find_jar(NODE_DIR)
        java = benchlib.descendants(dynamodb.process.pid) if dynamodb.process else []
        local_version = f"{PACKAGE} ({jar.parent.name if jar else '?'})"
        print(
            f"DynamoDB Local {local_version}, data in {os.path.relpath(DATA_DIR, benchlib.REPO)}; SQS: "
            f"calledit.local.sqs in a child process at {sqs_child.endpoint} (persists each change after "
            f"{SQS_FLUSH_MS if args.sqs_flush_ms is None else args.sqs_flush_ms:g} ms)"
        )

        import boto3

        sqs_client = boto3.client("sqs", endpoint_url=sqs_child.endpoint)
        queue_name = template.queues["VerifyQueue"].name
        queue_url = str(sqs_client.get_queue_url(QueueName=queue_name)["QueueUrl"])

        # ---- seed
        seeded = build_items(table_name, args.due, args.future, args.users, rng)
        write_s = write_items(dynamodb.endpoint, table_name, seeded.items, SEED_THREADS)
        print(
            f"seeded {args.due:,} due + {args.future:,} future predictions for {args.users:,} users "
            f"({len(seeded.items):,} items: prediction + idempotency marker, as PredictionStore.create "
            f"writes them): built in {seeded.build_s:.1f} s, written in {write_s:.1f} s "
            f"({len(seeded.items) / write_s:,.0f} items/s, BatchWriteItem on {SEED_THREADS} threads); "
            "not part of the sweep time\n"
        )

        # ---- sweep
        pid = os.getpid()

        def cpu_of() -> dict[str, float]:
            assert sqs_child is not None
            return {
                "bench (sweeper)": cpu_seconds(pid),
                "DynamoDB Local": sum(cpu_seconds(p) for p in java),
                "SQS emulator": cpu_seconds(sqs_child.process.pid),
            }

        store = TimedStore(table_name)
        sqs = TimedSQS(sqs_client)
        load_before = os.getloadavg()
        rounds: list[Round] = []
        while len(rounds) < MAX_ROUNDS:
            rounds.append(
                run_round(
                    f"sweep {len(rounds) + 1}",
                    store,
                    sqs,
                    queue_url,
                    args.concurrency,
                    args.sweepers if not rounds else 1,
                    cpu_of,
                )
            )
            if not rounds[-1].shards_at_limit:
                break  # nothing left behind by the per-shard limit
        # The next invocation, right away: everything just enqueued must stay out.
        load_after = os.getloadavg()
        again = run_round("again, right away", store, sqs, queue_url, args.concurrency, 1, cpu_of)
        sweep_rounds = rounds
        rounds = [*rounds, again]
        sweep_s = sum(r.wall_s for r in sweep_rounds)
        enqueued = sum(r.enqueued for r in sweep_rounds)

        # ---- drain and check
        deadline = time.monotonic() + args.timeout
        bodies, message_ids, receives, delete_failures, drain_s = drain(sqs_client, queue_url, deadline)
        attributes = sqs_client.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        left = sum(int(v) for v in attributes.values())
        messages = [json.loads(b) for b in bodies]
        received = [str(m.get("prediction_id")) for m in messages]
        received_set = set(received)
        due_set = set(seeded.due)
        checks = {
            "missing": len(due_set - received_set),
            "duplicates": len(received) - len(received_set),
            "future_enqueued": len(received_set & seeded.future),
            "unknown": len(received_set - due_set - seeded.future),
            "not_from_sweep": sum(1 for m in messages if m.get("source") != "sweep"),
            "duplicate_message_ids": len(message_ids) - len(set(message_ids)),
            "send_failures": sum(r.failed for r in rounds),
            "second_sweep_enqueued": again.enqueued,
            "left_in_queue": left,
            "delete_failures": delete_failures,
        }

        # ---- verdicts
        chosen = pick_verdicts(messages, seeded.due, args.verdicts, rng)
        verdict_rows = asyncio.run(run_verdicts(chosen, seeded.due, table_name)) if chosen else []
    finally:
        if sqs_child is not None:
            sqs_child.stop()
        dynamodb.stop()

    # ---- report
    print(
        f"sweep: production Sweeper, {SWEEP_SHARDS} shards, concurrency {args.concurrency} "
        f"(threads per invocation), {args.sweepers} invocation(s) at once; at most {SHARD_LIMIT:,} items "
        "per shard per sweep"
    )
    rows = [
        [
            r.name,
            f"{r.found:,}",
            f"{r.enqueued:,}",
            f"{r.already:,}",
            r.failed,
            r.shards_at_limit,
            f"{r.wall_s:.2f}",
            f"{r.enqueued / r.wall_s:,.0f}" if r.wall_s and r.enqueued else "-",
        ]
        for r in rounds
    ]
    print(
        benchlib.table(
            [
                "round",
                "found",
                "enqueued",
                "already enqueued",
                "send failed",
                "shards at limit",
                "wall s",
                "enqueued/s",
            ],
            rows,
        )
    )
    first = sweep_rounds[0]
    profile = summarize(first, args.concurrency)
    cpu = first.cpu
    print(
        f"\nwhere the first sweep's {first.wall_s:.2f} s went (call time summed over the "
        f"{args.concurrency * args.sweepers} threads; busy {profile['thread_busy_share']:.0%} of their time):"
    )
    print(
        benchlib.table(
            ["call", "calls", "total s", "p50 ms", "p99 ms", "max ms"],
            [
                [
                    "Query (Sweep index, per shard)",
                    len(first.queries),
                    f"{profile['query']['total_s']:.2f}",
                    ms([q[2] for q in first.queries], 50),
                    ms([q[2] for q in first.queries], 99),
                    ms([q[2] for q in first.queries], 100),
                ],
                [
                    "mark_enqueued (TransactWriteItems of <= 100, per shard)",
                    len(first.marks),
                    f"{profile['update_item']['total_s']:.2f}",
                    ms(first.marks, 50),
                    ms(first.marks, 99),
                    ms(first.marks, 100),
                ],
                [
                    "SendMessageBatch (10)",
                    len(first.sends),
                    f"{profile['send_message_batch']['total_s']:.2f}",
                    ms(first.sends, 50),
                    ms(first.sends, 99),
                    ms(first.sends, 100),
                ],
            ],
        )
    )
    nproc = os.cpu_count() or 1
    print(
        f"load average (1 min) before / after the sweep: {load_before[0]:.2f} / {load_after[0]:.2f} "
        "(the machine's other work competes for the same cores)"
    )
    print(
        "CPU during the first sweep: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in cpu.items())
        + f" = {sum(cpu.values()):.1f} s of {nproc} x {first.wall_s:.1f} s = {nproc * first.wall_s:.1f} s"
        f" available ({sum(cpu.values()) / (nproc * first.wall_s):.0%})"
    )
    print(
        f"\ndrained {len(bodies):,} messages in {drain_s:.1f} s ({receives:,} ReceiveMessage calls of up "
        f"to 10, DeleteMessageBatch each); {len(received_set):,} distinct predictions"
    )
    passed_sweep = enqueued == args.due and all(v == 0 for v in checks.values())
    in_time = sweep_s <= TARGET_S
    print(
        f"checks: due {len(due_set):,}, received {len(received):,}: missing {checks['missing']}, "
        f"received twice {checks['duplicates']}, future ones enqueued {checks['future_enqueued']}, "
        f"unknown {checks['unknown']}, not from the sweep {checks['not_from_sweep']}; "
        f"send failures {checks['send_failures']}; second sweep enqueued {checks['second_sweep_enqueued']}; "
        f"left in the queue {checks['left_in_queue']} -> {'PASS' if passed_sweep else 'FAIL'}"
    )
    label = "first sweep" if len(sweep_rounds) == 1 else f"first sweep ({len(sweep_rounds)} rounds)"
    print(
        f"target: {label} {sweep_s:.2f} s for {enqueued:,} enqueued ({enqueued / sweep_s:,.0f}/s) <= "
        f"{TARGET_S:.0f} s -> {'met' if in_time else 'MISSED'}"
    )

    verdicts_ok = all(r["terminal"] == "verdict" for r in verdict_rows)
    if verdict_rows:
        model = verdict_rows[0]["model"] or os.environ.get("CALLEDIT_MODEL", "")
        print(
            f"\nper verdict ({len(verdict_rows)} scheduled verifications through verify_one, "
            f"one at a time; model: {model}; usage as verify_one records it in its metrics):"
        )
        print(verdict_table(verdict_rows))
        statuses: dict[str, int] = {}
        for r in verdict_rows:
            statuses[str(r["status_after"])] = statuses.get(str(r["status_after"]), 0) + 1
        print(
            "status afterwards: "
            + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
            + f"; every verification ended with a verdict -> {'PASS' if verdicts_ok else 'FAIL'}"
        )
        if os.environ.get("CALLEDIT_MODEL", "offline") == "offline":
            print(
                "note: the offline verifier is no LLM. It reports 0 input tokens and, per model call, "
                "len(its own streamed text) // 4 output tokens (an estimate, no tokenizer); its model "
                "calls and turns are the real agent loop's. A real model's figures come from running "
                "with CALLEDIT_MODEL set to a provider (bedrock, openai, ...)."
            )
    passed = passed_sweep and in_time and verdicts_ok
    print(f"\nresult: {'PASS' if passed else 'FAIL'}")
    return {
        "config": {k: v for k, v in vars(args).items() if k != "command"},
        "dynamodb_local": local_version,
        "seed": {
            "due": args.due,
            "future": args.future,
            "users": args.users,
            "items": len(seeded.items),
            "build_s": seeded.build_s,
            "write_s": write_s,
        },
        "rounds": [summarize(r, args.concurrency) for r in rounds],
        "sweep_s": sweep_s,
        "load_average_1m": {"before": load_before[0], "after": load_after[0]},
        "enqueued": enqueued,
        "drain": {"messages": len(bodies), "receives": receives, "seconds": drain_s},
        "checks": checks,
        "target_s": TARGET_S,
        "in_time": in_time,
        "verdicts": verdict_rows,
        "passed": passed,
    }


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve-sqs"]:  # the child process: the SQS emulator
        serve = argparse.ArgumentParser(prog="sweep.py serve-sqs")
        serve.add_argument("--data-dir", type=Path, required=True)
        serve.add_argument("--flush-ms", type=float)
        served = serve.parse_args(argv[1:])
        asyncio.run(serve_sqs(served.data_dir, served.flush_ms))
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--due",
        type=benchlib.bounded(1, MAX_DUE),
        default=10_000,
        help=f"due predictions (default 10000, max {MAX_DUE})",
    )
    parser.add_argument(
        "--future",
        type=benchlib.bounded(0, MAX_FUTURE),
        default=1_000,
        help=f"predictions not due yet, which must not be enqueued (default 1000, max {MAX_FUTURE})",
    )
    parser.add_argument(
        "--users", type=benchlib.bounded(1, MAX_USERS), default=500, help="users they belong to (default 500)"
    )
    parser.add_argument(
        "--concurrency",
        type=benchlib.bounded(1, 32),
        default=4,
        help="the Sweeper's threads (default 4, the production default; above 10, boto3's pool of 10 "
        "connections limits)",
    )
    parser.add_argument(
        "--sweepers",
        type=benchlib.bounded(1, 4),
        default=1,
        help="sweeps started at the same instant in the first round, like overlapping invocations "
        "(default 1)",
    )
    parser.add_argument(
        "--verdicts",
        type=benchlib.bounded(0, MAX_VERDICTS),
        default=20,
        help=f"scheduled verifications to run through verify_one (default 20, max {MAX_VERDICTS})",
    )
    parser.add_argument(
        "--sqs-flush-ms",
        type=benchlib.bounded(0, 10_000),
        help="the SQS emulator's delay before it persists a change (default: its own, "
        f"{SQS_FLUSH_MS:g} ms, as in `make dev`); a diagnostic knob, not a fix",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--timeout",
        type=benchlib.bounded(30, 3600),
        default=900,
        help="seconds allowed for the whole run; then it stops with exit code 1 (default 900)",
    )
    parser.add_argument("--json", action="store_true", help="also write bench/results/sweep-*.json")
    args = parser.parse_args(argv)

    def expire() -> None:
        print(f"\ntimeout: the run took longer than {args.timeout} s", file=sys.stderr, flush=True)
        os._exit(1)  # DynamoDB Local and the SQS child stop when our ends of their pipes close

    watchdog = threading.Timer(args.timeout, expire)
    watchdog.daemon = True
    watchdog.start()
    logging.getLogger("calledit.scheduled.notify").setLevel(logging.ERROR)  # "stored only", per verdict
    try:
        results = bench(args)
    finally:
        watchdog.cancel()
    if args.json:
        print(f"\nwrote {benchlib.write_results('sweep', results)}")
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
