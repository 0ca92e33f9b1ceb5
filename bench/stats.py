"""GET /stats for a user with 10,000 resolved calls: one request, within the REST Lambda's time and memory.

1. Starts DynamoDB Local (the npm install in bench/.cache/stack/node is reused, else the one in
   .local/node, read only; data in bench/.cache/stats/, emptied first, never .local/) and creates
   the template's tables.
2. Seeds one user with ``--calls`` resolved calls (default 10,000) and ``--pending`` unresolved ones,
   plus ``--others`` calls of other users (never read). Every call is made by
   ``PredictionStore.create`` itself (its transaction is captured instead of sent: prediction item,
   idempotency marker, tag items), with its clock set to a creation time in the last two years;
   resolved calls then get the attributes ``PredictionStore._resolve`` writes (status, outcome,
   outcome_note, resolved_at, resolved_by; the due/sweep keys removed) and, for most checkable
   calls, the verdict the agent stored. Written with BatchWriteItem; seeding is timed apart.
   Variety: confidences over all ten bins (some calls without one), ~10 % inconclusive, 0-3 tags of
   12, five categories, resolutions spread over 24 months, statements of 80-200 characters,
   verification methods, clarifications on some calls. The verifiability assessment ``create`` runs
   (~16 ms of CPU per statement this long) is computed once per statement family and reused.
3. Warms DynamoDB Local up: its first read of the freshly written partition takes several times
   longer than later ones (JVM and storage warming up; no AWS counterpart). The handler's Query
   (``PredictionStore.scored_calls``) runs twice from this process first; both times are printed.
4. Measures the real request path: ``handlers/predictions.py``'s ``handler`` with a complete API
   Gateway REST event for ``GET /stats`` (Cognito claims), in fresh child processes with the
   function's environment from template.yaml: import, the first call (cold), ``--warm`` repeats
   (median). Memory: the child's peak RSS (``VmHWM``; ``ru_maxrss`` would include this process's
   peak, see ``peak_rss_kib``) at start, after the import, after the first call and at the end;
   the tracemalloc peak of a warm call and of a cold call (the latter in a child of its own:
   tracemalloc slows what it traces). One more warm call is profiled: Query pages (time,
   items, ConsumedCapacity requested with ``ReturnConsumedCapacity``), scoring, the rest.
5. Checks the handler's JSON against ``track_record`` computed here from the seeded calls: exact
   equality of the ``TrackRecord``.

Read units: what DynamoDB Local reports, and an estimate from the items' sizes (DynamoDB's sizing
rules; a Query reads whole items, whatever its projection, up to 1 MB per page; eventually
consistent: half a unit per 4 KB).

Targets: every first and warm call within the function's Timeout (10 s), the peak RSS within half
its MemorySize (256 of 512 MiB). The wall time here is mostly DynamoDB Local's CPU
(its share is printed); also printed, not a target: the handler's own CPU time scaled to the CPU
share Lambda gives 512 MB (an estimate), and the read units if only the scored attributes were read.
Exit code 1 if a target or a check fails. Bounded: ``--calls``/``--others`` <= 50,000; ``--timeout``
for the whole run. Loopback only (DynamoDB Local has no bind flag and listens on all interfaces, as
under ``make dev``).
Run: ``.venv/bin/python bench/stats.py [--calls 10000] [--json]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import benchlib

if TYPE_CHECKING:
    from calledit.prediction import Prediction
    from calledit.scoring import ScoredCall

MAX_CALLS = 50_000
MAX_OTHERS = 50_000
MAX_PENDING = 10_000
DATA_DIR = benchlib.CACHE_DIR / "stats"
NODE_DIRS = (benchlib.STACK_DATA / "node", benchlib.REPO / ".local" / "node")  # DynamoDB Local installs
TEMPLATE = benchlib.REPO / "template.yaml"
HANDLERS = benchlib.REPO / "handlers"
FUNCTION = "PredictionsFunction"
SEED_THREADS = 4
MONTHS = 24
MEMORY_SHARE = 0.5  # target: peak RSS within this share of the function's MemorySize
LAMBDA_MB_PER_VCPU = 1769  # Lambda gives one vCPU's worth of CPU at 1,769 MB, proportionally below
PAGE_BYTES = 1024 * 1024  # a Query reads at most 1 MB of items per page
RCU_BYTES = 4096
WARMUP_PASSES = 2
# What PredictionStore.scored_calls projects, plus the keys an index entry would carry.
SCORED_ATTRIBUTES = (
    "PK",
    "SK",
    "status",
    "outcome",
    "confidence",
    "verifiable_category",
    "tags",
    "resolved_at",
    "created_at",
)
TAGS = (
    "football",
    "premier-league",
    "weather",
    "markets",
    "crypto",
    "politics",
    "elections",
    "tech",
    "running",
    "books",
    "family",
    "travel",
)
TIMEZONES = ("Europe/Paris", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Tokyo")
MODEL = "bedrock:global.anthropic.claude-sonnet-4-6"
DROP_WHEN_RESOLVED = ("due_pk", "due_sort", "sweep_shard", "sweep_at", "verifying_since", "next_check_at")


# ---------------------------------------------------------------- realistic calls


@dataclass(frozen=True)
class Kind:
    """A family of statements: a category, a template, and what a verification would look at."""

    category: str
    template: str
    sources: tuple[str, ...]
    url: str


CITIES = ("Paris", "Lyon", "London", "Manchester", "Berlin", "Madrid", "Oslo", "Boston", "Seattle", "Osaka")
TEAMS = ("Arsenal", "Liverpool", "Chelsea", "Newcastle", "Aston Villa", "Brighton", "Tottenham", "Everton")
INDEXES = (
    ("S&P 500", 5200, 7400),
    ("CAC 40", 6800, 8600),
    ("FTSE 100", 7200, 9400),
    ("Nikkei 225", 33000, 45000),
)
COMPANIES = ("Nvidia", "Apple", "Airbus", "ASML", "Toyota", "Shopify")
PROJECTS = ("Django", "PostgreSQL", "Kubernetes", "Rust", "Node.js", "Blender")
EVENTS = (
    "Tour de France",
    "Eurovision final",
    "city marathon",
    "book fair",
    "jazz festival",
    "climate summit",
)
COUNTRIES = ("Portugal", "Canada", "Norway", "Japan", "Ireland", "Chile")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ASIDES = (
    "",
    "",
    "",
    "; remember I said this when it happens",
    ", which nobody in my group chat believes",
    " - I'd bet on it after what happened last time around",
    ", and I'm writing it down now so there is a record of it before the date comes",
)

KINDS = (
    Kind(
        "api_tool_verifiable",
        "{team_a} will beat {team_b} in their league match on {day}, and {team_a} will score at least {n} "
        "goals in that game",
        ("The league's official results page", "BBC Sport match report", "ESPN scores"),
        "https://www.premierleague.com/results",
    ),
    Kind(
        "api_tool_verifiable",
        "The {index} will close above {level} points on {day}, according to the exchange's official "
        "closing value for that day",
        ("The index provider's official closing values", "Reuters market data"),
        "https://www.spglobal.com/spdji/en/indices/equity/sp-500/",
    ),
    Kind(
        "api_tool_verifiable",
        "It will rain at least {mm} mm in {city} on {day}, as measured at the main station of the national "
        "weather service",
        ("National weather service observations", "Meteostat daily records"),
        "https://meteostat.net/en/",
    ),
    Kind(
        "api_tool_verifiable",
        "{company} shares will close above ${price} on {day}, higher than where they trade today",
        ("Nasdaq historical quotes", "The company's investor relations page"),
        "https://www.nasdaq.com/market-activity/stocks",
    ),
    Kind(
        "human_verifiable_only",
        "I will run a half marathon in under {h} hour {m} minutes before {month}, timed by the official "
        "race clock",
        ("The user", "The race's published results"),
        "https://www.strava.com/",
    ),
    Kind(
        "human_verifiable_only",
        "I will finish reading {n} books by the end of {month}, counting only the ones I read cover to "
        "cover and log in my reading app",
        ("The user",),
        "https://www.goodreads.com/",
    ),
    Kind(
        "human_verifiable_only",
        "My sister will have moved to {city} before {month}; she has talked about it since the spring and "
        "is looking at flats",
        ("The user",),
        "https://example.com/",
    ),
    Kind(
        "strands_tool_verifiable",
        "The {project} project will publish a new major release on its official releases page before {day}",
        ("The project's GitHub releases page", "The project's blog"),
        "https://github.com/",
    ),
    Kind(
        "strands_tool_verifiable",
        "Python 3.{minor} will have its final release announced on python.org by {month}, with release "
        "notes published on the site",
        ("python.org downloads", "PEP release schedule"),
        "https://www.python.org/downloads/",
    ),
    Kind(
        "agent_verifiable",
        "The {event} will take place in {city} as planned on {day}, with no postponement announced by the "
        "organisers",
        ("The organisers' website", "News coverage"),
        "https://example.org/events",
    ),
    Kind(
        "agent_verifiable",
        "{country} will hold its next general election on {day}, the date currently set, and publish "
        "official results within a week",
        ("The national electoral commission", "Wikipedia"),
        "https://en.wikipedia.org/wiki/Elections",
    ),
    Kind(
        "current_tool_verifiable",
        "{day} will fall on a {weekday}, so the office party planned for that date lands where everyone "
        "fears it will",
        ("A calendar",),
        "https://www.timeanddate.com/calendar/",
    ),
)
# Category mix (weights per kind, in order): markets and sport dominate, then personal calls.
KIND_WEIGHTS = (12, 10, 8, 6, 6, 4, 3, 6, 4, 6, 5, 4)
CATEGORY_REASONS = {
    "api_tool_verifiable": "Needs a specific data source (results, prices or observations) on the date.",
    "human_verifiable_only": "A personal outcome only the user can judge.",
    "strands_tool_verifiable": "A public web page will show whether it happened; a fetch settles it.",
    "agent_verifiable": "Settled by stable public knowledge once the date has passed.",
    "current_tool_verifiable": "Settled by knowing the date: a calendar fact.",
}
QUESTIONS = (
    ("Which time zone should the date use?", "Paris time, the end of that day"),
    ("What counts as rain: any trace, or a measurable amount?", "At least the amount I wrote, measured"),
    ("Do you mean the closing value or the intraday high?", "The official close"),
    ("Is a draw a loss for this call?", "Yes, only a win counts"),
    ("Which race do you have in mind?", "Any official half marathon with chip timing"),
)
NOTES = (
    "Checked the results myself.",
    "The agent missed the late goal; it was a win.",
    "Close call, but the official figure settles it.",
    "Postponed by a week, so I count it as not happening.",
    "",
)


def day_text(when: datetime) -> str:
    return f"{when.day} {when:%B %Y}"


def statement(kind: Kind, when: datetime, rng: random.Random) -> str:
    """A statement of 80-200 characters from ``kind``'s template, for a call due on ``when``."""
    index, low, high = rng.choice(INDEXES)
    teams = rng.sample(TEAMS, 2)
    text = kind.template.format(
        team_a=teams[0],
        team_b=teams[1],
        n=rng.randint(2, 30) if "books" in kind.template else rng.randint(2, 3),
        day=day_text(when),
        month=f"{when:%B %Y}",
        index=index,
        level=f"{rng.randrange(low, high, 50):,}",
        mm=rng.randint(2, 25),
        city=rng.choice(CITIES),
        company=rng.choice(COMPANIES),
        price=rng.randint(40, 900),
        h=1,
        m=rng.randint(35, 59),
        project=rng.choice(PROJECTS),
        minor=rng.randint(14, 16),
        event=rng.choice(EVENTS),
        country=rng.choice(COUNTRIES),
        weekday=rng.choice(WEEKDAYS),
    )
    text += rng.choice(ASIDES)
    return text if len(text) <= 200 else text[:197].rsplit(" ", 1)[0] + "..."


def build_prediction(kind: Kind, when: datetime, zone: str, rng: random.Random) -> Prediction:
    from calledit.clarification import Clarification
    from calledit.prediction import Prediction, VerifiableCategory, VerificationMethod

    text = statement(kind, when, rng)
    sources = list(kind.sources[: rng.randint(1, len(kind.sources))])
    criteria = [
        f"The official record for {day_text(when)} confirms the statement as written",
        "No later correction or revision of the figure changes the outcome",
        "The event happened on the stated date, not postponed",
    ][: rng.randint(1, 3)]
    steps = [
        f"Open {sources[0]} after {day_text(when)}",
        "Find the entry for the date and read the figure or result it records",
        "Compare it with the threshold or result in the statement",
        "Note any revision published within a week",
    ][: rng.randint(2, 4)]
    clarifications = [
        Clarification(question=q, answer=a) for q, a in rng.sample(QUESTIONS, rng.randint(1, 2))
    ]
    return Prediction(
        prediction_statement=text,
        verification_date=when,
        date_reasoning=f"The user named {day_text(when)}; the call is checked at the end of that day in "
        f"{zone}.",
        verification_method=VerificationMethod(source=sources, criteria=criteria, steps=steps),
        verifiable_category=VerifiableCategory(kind.category),
        category_reasoning=CATEGORY_REASONS[kind.category],
        verification_mode="before_date" if rng.random() < 0.2 else "at_date",
        clarifications=clarifications if rng.random() < 0.25 else [],
    )


def confidence(rng: random.Random) -> float | None:
    """None for ~10 %; else uniform over 0.01-0.99 half the time, a round favourite the other half."""
    draw = rng.random()
    if draw < 0.1:
        return None
    if draw < 0.55:
        return round(rng.uniform(0.01, 0.99), 2)
    return rng.choice((0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99))


def outcome_for(p: float | None, rng: random.Random) -> str:
    """~10 % inconclusive; else true with a slightly overconfident user's odds."""
    if rng.random() < 0.1:
        return "inconclusive"
    chance = 0.6 if p is None else 0.5 + (p - 0.5) * 0.8
    return "true" if rng.random() < chance else "false"


def to_dynamo(value: Any) -> Any:
    """JSON-shaped data with floats as Decimal, as the store writes it."""
    return json.loads(json.dumps(value), parse_float=Decimal)


def verdict_for(
    kind: Kind, outcome: str, checked: datetime, mode: str, statement_text: str, rng: random.Random
) -> dict[str, Any]:
    """The verdict the verification agent would have stored (``Verdict.model_dump(mode="json")``)."""
    from calledit.usage import Usage
    from calledit.verdict import Evidence, Verdict

    evidence = [
        Evidence(
            source=kind.sources[i % len(kind.sources)],
            url=f"{kind.url}?ref={rng.randrange(10**6)}",
            finding=f"The record for the date shows the figure the statement depends on; read against the "
            f"threshold it makes the call {outcome if outcome != 'inconclusive' else 'unsettled'}.",
            retrieved_at=checked - timedelta(minutes=rng.randint(1, 20)),
        )
        for i in range(rng.randint(1, 3))
    ]
    verdict = Verdict(
        outcome=cast(Any, outcome),
        confidence=round(rng.uniform(0.6, 0.99), 2),
        evidence=evidence,
        reasoning=f"Checked “{statement_text[:80]}” against the sources above. The evidence for the date "
        "is consistent across them and no correction was published since, so the outcome stands as "
        "stated.",
        checked_at=checked,
        model=MODEL,
        mode=cast(Any, mode),
        usage=Usage(
            input_tokens=rng.randint(3_000, 14_000),
            output_tokens=rng.randint(250, 900),
            model_calls=rng.randint(3, 6),
            turns=rng.randint(3, 6),
        ),
    )
    dumped: dict[str, Any] = to_dynamo(verdict.model_dump(mode="json"))
    return dumped


# ---------------------------------------------------------------- seeding


@dataclass
class Seeded:
    items: list[dict[str, Any]]  # everything written
    user_calls: list[dict[str, Any]]  # the measured user's PRED# items, as written
    expected: list[ScoredCall]  # the same calls as scoring sees them, from what the seeding chose
    other_users: int
    build_s: float


def build_items(
    table_name: str, user: str, calls: int, pending: int, others: int, rng: random.Random, now: datetime
) -> Seeded:
    """Items exactly as ``PredictionStore.create`` writes them, resolved as ``_resolve`` leaves them."""
    import calledit.storage.predictions as storage
    from calledit.scoring import ScoredCall

    began = time.perf_counter()
    store, capture = benchlib.capturing_store(table_name)
    clock = {"now": now}
    original_now, original_assess = vars(storage)["utc_now"], vars(storage)["assess"]
    vars(storage)["utc_now"] = lambda: clock["now"]  # create() stamps created_at and the SK with it
    # The verifiability assessment costs ~16 ms of CPU per statement this long (its date-phrase search):
    # assessed for real once per statement family (with or without clarifications), then reused.
    assessed: dict[tuple[int, bool], Any] = {}
    family: list[tuple[int, bool]] = [(0, False)]

    def assess_once(prediction: Prediction) -> Any:
        key = family[0]
        if key not in assessed:
            assessed[key] = original_assess(prediction)
        return assessed[key]

    vars(storage)["assess"] = assess_once
    other_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(max(1, others // 20))]
    user_calls: list[dict[str, Any]] = []
    expected: list[ScoredCall] = []
    span_s = MONTHS * 30 * 86_400
    try:
        plan = [(user, True)] * calls + [(user, False)] * pending
        plan += [(other_ids[i % len(other_ids)], rng.random() < 0.5) for i in range(others)]
        for owner, resolved in plan:
            kind = rng.choices(KINDS, weights=KIND_WEIGHTS)[0]
            zone = rng.choice(TIMEZONES)
            if resolved:
                resolved_at = (now - timedelta(seconds=rng.randint(3_600, span_s))).replace(microsecond=0)
                when = resolved_at - timedelta(seconds=rng.randint(0, 3 * 86_400))
                created = when - timedelta(seconds=rng.randint(3_600, 120 * 86_400))
            else:
                created = now - timedelta(seconds=rng.randint(60, 30 * 86_400))
                when = now + timedelta(seconds=rng.randint(86_400, 180 * 86_400))
            clock["now"] = created.replace(microsecond=0)
            p = confidence(rng)
            tags = rng.sample(TAGS, rng.choice((0, 0, 1, 1, 1, 2, 2, 3)))
            prediction = build_prediction(kind, when.replace(microsecond=0), zone, rng)
            family[0] = (KINDS.index(kind), bool(prediction.clarifications))
            before = len(capture.items)
            _, made = store.create(
                owner,
                str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                prediction,
                timezone=zone,
                model=MODEL,
                confidence=p,
                tags=tags,
            )
            written = capture.items[before:]
            preds = [i for i in written if str(i["SK"]).startswith("PRED#")]
            if not made or len(preds) != 1 or len(written) != 2 + len(tags):
                raise RuntimeError(
                    "PredictionStore.create no longer writes one prediction, one marker and one item per tag "
                    f"through transact_write_items ({len(written)} items for {len(tags)} tags): update "
                    "build_items"
                )
            item = preds[0]
            outcome: str | None = None
            if resolved:
                outcome = outcome_for(p, rng)
                resolve(item, kind, outcome, resolved_at, rng)
            if owner == user:
                user_calls.append(item)
                expected.append(
                    ScoredCall(
                        outcome=cast(Any, outcome),
                        confidence=p,
                        category=kind.category,
                        tags=tuple(tags),
                        resolved_at=resolved_at if resolved else None,
                        created_at=clock["now"],
                    )
                )
    finally:
        vars(storage)["utc_now"], vars(storage)["assess"] = original_now, original_assess
    return Seeded(capture.items, user_calls, expected, len(other_ids), time.perf_counter() - began)


def resolve(item: dict[str, Any], kind: Kind, outcome: str, at: datetime, rng: random.Random) -> None:
    """What ``PredictionStore._resolve`` (or an applied verdict) leaves on the item, in place."""
    from calledit.prediction import format_utc

    checkable = kind.category != "human_verifiable_only"
    verdict = None
    if checkable and rng.random() < 0.75:  # most checkable calls were verified by the agent first
        said = outcome if rng.random() < 0.95 else rng.choice(("true", "false", "inconclusive"))
        checked = at - timedelta(seconds=rng.randint(0, 2 * 86_400))
        verdict = verdict_for(
            kind, said, checked, str(item["verification_mode"]), item["prediction_statement"], rng
        )
    by_agent = verdict is not None and verdict["outcome"] == outcome != "inconclusive" and rng.random() < 0.6
    for key in DROP_WHEN_RESOLVED:
        item.pop(key, None)
    item.update(
        status="resolved",
        outcome=outcome,
        outcome_note="" if by_agent else rng.choice(NOTES) if rng.random() < 0.3 else "",
        resolved_at=format_utc(at),
        resolved_by="agent" if by_agent else "user",
        updated_at=format_utc(at),
    )
    if verdict is not None:
        item["verdict"] = verdict


# ---------------------------------------------------------------- item sizes and read units


def attribute_size(value: Any) -> int:
    """An attribute value's size by DynamoDB's rules (strings UTF-8, numbers ~1 byte per 2 digits + 1)."""
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float | Decimal):
        digits = len(Decimal(str(value)).normalize().as_tuple().digits)
        return (digits + 1) // 2 + 1
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, dict):
        return 3 + sum(len(str(k).encode()) + attribute_size(v) + 1 for k, v in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(attribute_size(v) + 1 for v in value)
    if isinstance(value, set | frozenset):
        return sum(attribute_size(v) for v in value)
    raise TypeError(f"no DynamoDB size for {type(value).__name__}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(k.encode()) + attribute_size(v) for k, v in item.items())


def estimate_reads(items: list[dict[str, Any]], only: Sequence[str] | None = None) -> dict[str, Any]:
    """Pages and read units of one Query over ``items`` (SK order): whole items are read, <= 1 MB per
    page, each page's bytes rounded up to 4 KB, half a unit per 4 KB (eventually consistent).
    ``only``: as if the items held just these attributes (an index projecting them)."""
    ordered = sorted(items, key=lambda i: str(i["SK"]))
    if only is not None:
        ordered = [{k: v for k, v in i.items() if k in only} for i in ordered]
    sizes = [item_size(i) for i in ordered]
    pages: list[int] = []
    current = 0
    for size in sizes:
        current += size
        if current >= PAGE_BYTES:
            pages.append(current)
            current = 0
    if current or not pages:
        pages.append(current)
    rcu = sum(math.ceil(p / RCU_BYTES) * 0.5 for p in pages)
    return {
        "items": len(sizes),
        "bytes": sum(sizes),
        "mean_bytes": statistics.fmean(sizes) if sizes else 0.0,
        "p50_bytes": benchlib.percentile(sizes, 50),
        "max_bytes": max(sizes, default=0),
        "pages": len(pages),
        "rcu": rcu,
    }


# ---------------------------------------------------------------- the measured child


def peak_rss_kib() -> int:
    """Peak resident set size of this process image so far, in KiB: ``VmHWM`` from /proc.

    Not ``ru_maxrss``: Linux carries the larger of the parent's peak and the child's across fork + exec,
    so a child of this (large) benchmark process would start at the parent's peak. Falls back to
    ``ru_maxrss`` where /proc is missing."""
    hwm = benchlib.read_vmhwm_kib(os.getpid())
    return hwm or int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def context_for(function: dict[str, Any]) -> Any:
    """Lambda's context object as Powertools reads it, with the function's memory and timeout."""
    from aws_lambda_powertools.utilities.typing import LambdaContext

    context = LambdaContext()
    name = str(function["name"])
    context._function_name = name
    context._function_version = "$LATEST"
    context._memory_limit_in_mb = int(function["memory_mb"])
    context._invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    context._aws_request_id = str(uuid.uuid4())
    context._log_group_name = f"/aws/lambda/{name}"
    context._log_stream_name = "bench"
    return context


def measure(spec_path: Path, out_path: Path, trace_cold: bool) -> int:
    """``measure``: in a fresh interpreter, import the handler, call it, report time and memory."""
    rss_start = peak_rss_kib()
    spec = json.loads(spec_path.read_text())
    events: list[dict[str, Any]] = spec["events"]
    began = time.perf_counter()
    if str(HANDLERS) not in sys.path:
        sys.path.insert(0, str(HANDLERS))  # Lambda imports handler modules from the CodeUri root
    import predictions  # the REST function's handler module (handlers/predictions.py)

    import_s = time.perf_counter() - began
    rss_import = peak_rss_kib()
    calls: list[dict[str, Any]] = []
    bodies: list[str] = []

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        context = context_for(spec["function"])
        cpu = time.process_time()
        start = time.perf_counter()
        response: dict[str, Any] = predictions.handler(event, context)
        wall = time.perf_counter() - start
        body = str(response.get("body") or "")
        bodies.append(body)
        row = {
            "wall_s": wall,
            "cpu_s": time.process_time() - cpu,
            "status": response.get("statusCode"),
            "body_bytes": len(body.encode()),
            "body_sha256": hashlib.sha256(body.encode()).hexdigest(),
        }
        calls.append(row)
        return row

    result: dict[str, Any] = {"import_s": import_s, "rss_kib": {"start": rss_start, "import": rss_import}}
    if trace_cold:  # the first call under tracemalloc: its allocation peak, lazy setup included
        import tracemalloc

        tracemalloc.start()
        invoke(events[0])
        result["tracemalloc_cold_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        result["calls"] = calls
        out_path.write_text(json.dumps(result))
        return 0

    invoke(events[0])
    result["rss_kib"]["cold"] = peak_rss_kib()
    result["rss_now_kib_after_cold"] = benchlib.read_rss_kib(os.getpid())
    for event in events[1:-2]:
        invoke(event)
    result["rss_kib"]["warm"] = peak_rss_kib()
    result["profile"] = profiled_call(invoke, events[-2])
    import tracemalloc

    tracemalloc.start()
    invoke(events[-1])
    result["tracemalloc_warm_peak"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    result["rss_kib"]["end"] = peak_rss_kib()
    result["ru_maxrss_kib"] = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # see peak_rss_kib
    result["calls"] = calls
    result["cold_body"] = bodies[0]
    out_path.write_text(json.dumps(result))
    return 0


def profiled_call(
    invoke: Callable[[dict[str, Any]], dict[str, Any]], event: dict[str, Any]
) -> dict[str, Any]:
    """One warm call with each Query page timed (and ReturnConsumedCapacity asked for) and
    ``track_record`` timed: the pages, the scoring (track_record minus its pages), the rest."""
    import calledit.storage.predictions as storage
    from calledit.api.routes import record

    pages: list[dict[str, Any]] = []
    spans: list[float] = []
    original_table, original_track = vars(storage)["table"], vars(record)["track_record"]

    def timed_table(name: str) -> Any:
        table = original_table(name)
        query = table.query

        def timed_query(**kwargs: Any) -> Any:
            kwargs["ReturnConsumedCapacity"] = "TOTAL"
            start = time.perf_counter()
            response = query(**kwargs)
            pages.append(
                {
                    "seconds": time.perf_counter() - start,
                    "items": len(response.get("Items", [])),
                    "scanned": response.get("ScannedCount"),
                    "capacity": (response.get("ConsumedCapacity") or {}).get("CapacityUnits"),
                }
            )
            return response

        vars(table)["query"] = timed_query  # this instance only
        return table

    def timed_track(calls: Any) -> Any:
        start = time.perf_counter()
        try:
            return original_track(calls)
        finally:
            spans.append(time.perf_counter() - start)

    vars(storage)["table"] = timed_table
    vars(record)["track_record"] = timed_track
    try:
        row = invoke(event)
    finally:
        vars(storage)["table"] = original_table
        vars(record)["track_record"] = original_track
    query_s = sum(p["seconds"] for p in pages)
    track_s = spans[0] if spans else 0.0
    capacities = [p["capacity"] for p in pages]
    return {
        "wall_s": row["wall_s"],
        "pages": pages,
        "query_s": query_s,
        "scoring_s": track_s - query_s,
        "rest_s": row["wall_s"] - track_s,
        "consumed_capacity": None if any(c is None for c in capacities) else float(sum(capacities)),
    }


# ---------------------------------------------------------------- the benchmark


def node_dir() -> Path:
    from calledit.local.dynamodb import find_jar

    for candidate in NODE_DIRS:
        if find_jar(candidate) is not None:
            return candidate
    return NODE_DIRS[0]  # not installed yet: DynamoDBLocal installs it there


def function_spec() -> dict[str, Any]:
    """The REST function's name, environment, MemorySize and Timeout from template.yaml."""
    from calledit.local.template import load_yaml, read_template

    template = read_template(TEMPLATE)
    function = template.functions[FUNCTION]
    raw = load_yaml(TEMPLATE)
    props = raw["Resources"][FUNCTION]["Properties"]
    memory = int(props.get("MemorySize", raw.get("Globals", {}).get("Function", {}).get("MemorySize", 128)))
    return {
        "name": function.name,
        "memory_mb": memory,
        "timeout_s": function.timeout_s,
        "environment": function.environment,
        "tables": template.tables,
        "table_names": template.table_names,
        "route": next(r.path for r in template.rest_routes if r.method == "GET" and r.path == "/stats"),
    }


def stats_event(resource_path: str, user: str, origin: str) -> dict[str, Any]:
    """A complete API Gateway REST event for GET /stats from a signed-in user (Cognito claims)."""
    from calledit.local.events import cognito_claims, rest_event

    now = int(time.time())
    issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench"
    claims = cognito_claims(
        {
            "sub": user,
            "email_verified": True,
            "iss": issuer,
            "cognito:username": user,
            "origin_jti": str(uuid.uuid4()),
            "aud": "benchclient",
            "event_id": str(uuid.uuid4()),
            "token_use": "id",
            "auth_time": now - 600,
            "exp": now + 3000,
            "iat": now - 600,
            "jti": str(uuid.uuid4()),
            "email": "bench-stats@example.com",
        }
    )
    return rest_event(
        method="GET",
        resource=resource_path,
        path="/stats",
        headers={"Origin": origin, "Accept": "application/json"},
        claims=claims,
    )


def run_child(
    env: dict[str, str], spec_path: Path, trace_cold: bool, deadline: float, n: int
) -> dict[str, Any]:
    out = DATA_DIR / f"child-{n}.json"
    log = DATA_DIR / f"child-{n}.log"
    argv = [
        sys.executable,
        str(Path(__file__).resolve()),
        "measure",
        "--spec",
        str(spec_path),
        "--out",
        str(out),
    ]
    with log.open("wb") as sink:
        proc = subprocess.run(
            [*argv, *(["--trace-cold"] if trace_cold else [])],
            env=env,
            cwd=benchlib.REPO,
            stdout=sink,
            stderr=subprocess.STDOUT,
            timeout=max(1.0, deadline - time.monotonic()),
            check=False,
        )
    if proc.returncode != 0 or not out.exists():
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the measuring child exited with {proc.returncode}:\n{tail}")
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def mib(kib: float) -> str:
    return f"{kib / 1024:,.1f}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def bench(args: argparse.Namespace) -> dict[str, Any]:
    from calledit.local.dynamodb import PACKAGE, DynamoDBLocal, create_tables, find_jar
    from calledit.scoring import TrackRecord, track_record

    print(benchlib.machine_line())
    deadline = time.monotonic() + args.timeout
    rng = random.Random(args.seed)
    benchlib.dummy_aws_env()
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    DATA_DIR.mkdir(parents=True)
    function = function_spec()
    node = node_dir()
    dynamodb = DynamoDBLocal(node, DATA_DIR / "dynamodb", benchlib.free_port())
    try:
        dynamodb.start(timeout_s=120)
        benchlib.require_loopback(dynamodb.endpoint)
        create_tables(dynamodb.client(), function["tables"])
        table_name = function["table_names"]["PredictionsTable"]
        jar = find_jar(node)
        local_version = f"{PACKAGE} ({jar.parent.name if jar else '?'})"
        print(
            f"DynamoDB Local {local_version} from {os.path.relpath(node, benchlib.REPO)}, data in "
            f"{os.path.relpath(DATA_DIR, benchlib.REPO)}; REST function {function['name']}: "
            f"MemorySize {function['memory_mb']} MB, Timeout {function['timeout_s']} s (template.yaml)"
        )
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb.endpoint
        os.environ.pop("AWS_ENDPOINT_URL", None)

        # ---- seed
        user = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        now = datetime.now(UTC).replace(microsecond=0)
        seeded = build_items(table_name, user, args.calls, args.pending, args.others, rng, now)
        from sweep import cpu_seconds, write_items

        write_s = write_items(dynamodb.endpoint, table_name, seeded.items, SEED_THREADS)
        reads = estimate_reads(seeded.user_calls)
        lengths = [len(str(i["prediction_statement"])) for i in seeded.user_calls]
        months = {str(i["resolved_at"])[:7] for i in seeded.user_calls if "resolved_at" in i}
        with_verdict = sum(1 for i in seeded.user_calls if "verdict" in i)
        print(
            f"seeded one user with {args.calls:,} resolved + {args.pending:,} pending calls and "
            f"{args.others:,} calls of {seeded.other_users:,} other users: {len(seeded.items):,} items "
            f"(prediction, idempotency marker and tag items, as PredictionStore.create writes them), built "
            f"in {seeded.build_s:.1f} s, written in {write_s:.1f} s ({len(seeded.items) / write_s:,.0f} "
            f"items/s, BatchWriteItem on {SEED_THREADS} threads); not part of the request time"
        )
        print(
            f"the user's calls: {reads['items']:,} items, {reads['bytes'] / 1e6:,.1f} MB "
            f"(mean {reads['mean_bytes']:,.0f} B, p50 {reads['p50_bytes']:,} B, max {reads['max_bytes']:,} B;"
            f" {with_verdict:,} with a stored verdict); statements {min(lengths)}-{max(lengths)} chars "
            f"(mean {statistics.fmean(lengths):.0f}); resolved over {len(months)} months\n"
        )

        # ---- the request, in fresh processes
        origin = next(iter(function["environment"].get("ALLOWED_ORIGINS", "").split(",")), "") or (
            "https://app.example.com"
        )
        child_env = {
            **os.environ,
            **function["environment"],
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb.endpoint,
            "AWS_LAMBDA_FUNCTION_NAME": function["name"],
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function["memory_mb"]),
            "POWERTOOLS_METRICS_DISABLED": "true",
            "PYTHONPATH": os.pathsep.join(
                [str(benchlib.REPO / "layers" / "calledit"), os.environ.get("PYTHONPATH", "")]
            ).rstrip(os.pathsep),
        }
        # DynamoDB Local's first read of a freshly written partition is far slower than the next ones
        # (its JVM and storage warm up: an emulator artefact, no AWS counterpart). The same Query the
        # handler makes (PredictionStore.scored_calls), from this process, twice before the measurement;
        # both passes are reported.
        from calledit.aws import reset_clients
        from calledit.storage.predictions import PredictionStore

        reset_clients()
        warmup: list[float] = []
        for _ in range(WARMUP_PASSES):
            began = time.perf_counter()
            read = sum(1 for _ in PredictionStore(table_name).scored_calls(user))
            warmup.append(time.perf_counter() - began)
            assert read == args.calls + args.pending, read
        print(
            f"DynamoDB Local warm-up (the handler's Query, {read:,} items, from this process, not measured "
            "below): " + ", then ".join(f"{w:.1f} s" for w in warmup) + "\n"
        )
        java = benchlib.descendants(dynamodb.process.pid) if dynamodb.process else []
        runs: list[dict[str, Any]] = []
        for n in range(args.cold + 1):
            trace_cold = n == args.cold
            count = 1 if trace_cold else 1 + args.warm + 2  # cold, warm, profiled, under tracemalloc
            spec_path = DATA_DIR / f"spec-{n}.json"
            spec_path.write_text(
                json.dumps(
                    {
                        "function": function | {"tables": None},
                        "events": [stats_event(function["route"], user, origin) for _ in range(count)],
                    }
                )
            )
            java_cpu = sum(cpu_seconds(pid) for pid in java)
            runs.append(run_child(child_env, spec_path, trace_cold, deadline, n))
            runs[-1]["dynamodb_local_cpu_s"] = sum(cpu_seconds(pid) for pid in java) - java_cpu
        timed, traced = runs[:-1], runs[-1]
    finally:
        dynamodb.stop()

    # ---- correctness: the handler's JSON against track_record of what was seeded
    began = time.perf_counter()
    expected = track_record(seeded.expected)
    scoring_alone_s = time.perf_counter() - began
    cold_body = json.loads(timed[0]["cold_body"])
    statuses = {c["status"] for r in runs for c in r["calls"]}
    digests = {c["body_sha256"] for r in runs for c in r["calls"]}
    as_json = expected.model_dump(mode="json")
    exact = TrackRecord.model_validate(cold_body) == expected and cold_body == as_json
    counts_ok = (
        expected.total == args.calls + args.pending
        and expected.resolved == args.calls
        and expected.pending == args.pending
    )
    correct = exact and counts_ok and statuses == {200} and len(digests) == 1

    # ---- report
    cold = [r["calls"][0] for r in timed]
    warm = [c for r in timed for c in r["calls"][1 : 1 + args.warm]]
    rows = []
    for n, r in enumerate(timed):
        rss = r["rss_kib"]
        w = r["calls"][1 : 1 + args.warm]
        rows.append(
            [
                f"fresh process {n + 1}",
                ms(r["import_s"]),
                ms(r["calls"][0]["wall_s"]),
                ms(r["calls"][0]["cpu_s"]),
                ms(statistics.median(c["wall_s"] for c in w)) if w else "-",
                ms(statistics.median(c["cpu_s"] for c in w)) if w else "-",
                f"{mib(rss['start'])} / {mib(rss['import'])} / {mib(rss['cold'])} / {mib(rss['end'])}",
                ms(r["dynamodb_local_cpu_s"] / len(r["calls"])),
            ]
        )
    print(
        f"GET /stats through handlers/predictions.handler (complete REST event, Cognito claims), "
        f"{args.cold} fresh processes: first call, then {args.warm} warm calls each"
    )
    print(
        benchlib.table(
            [
                "run",
                "import ms",
                "first call ms",
                "CPU ms",
                "warm median ms",
                "warm CPU ms",
                "peak RSS MiB: start / import / first call / end",
                "DynamoDB Local CPU ms per call",
            ],
            rows,
        )
    )
    cold_s = statistics.median(c["wall_s"] for c in cold)
    warm_s = statistics.median(c["wall_s"] for c in warm) if warm else math.nan
    cold_cpu = statistics.median(c["cpu_s"] for c in cold)
    warm_cpu = statistics.median(c["cpu_s"] for c in warm) if warm else math.nan
    peak_kib = max(r["rss_kib"]["end"] for r in timed)
    import_kib = max(r["rss_kib"]["import"] for r in timed)
    call_kib = max(r["rss_kib"]["cold"] - r["rss_kib"]["import"] for r in timed)
    trace_warm = max(r["tracemalloc_warm_peak"] for r in timed)
    trace_cold = traced["tracemalloc_cold_peak"]
    print(
        f"medians: first call {ms(cold_s)} ms (CPU {ms(cold_cpu)} ms), warm {ms(warm_s)} ms (CPU "
        f"{ms(warm_cpu)} ms; {len(warm)} calls, min {ms(min(c['wall_s'] for c in warm))}, max "
        f"{ms(max(c['wall_s'] for c in warm))}); response {cold[0]['body_bytes']:,} bytes"
    )
    print(
        f"memory: peak RSS {mib(peak_kib)} MiB (after the import {mib(import_kib)} MiB, so the first call "
        f"adds up to {mib(call_kib)} MiB); tracemalloc peak of the first call {trace_cold / 2**20:,.1f} MiB "
        f"(lazy setup included), of a warm call {trace_warm / 2**20:,.1f} MiB"
    )

    profile = timed[0]["profile"]
    pages = profile["pages"]
    items_per_page = [p["items"] for p in pages]
    page_s = [p["seconds"] for p in pages]
    print(
        f"\nwhere a warm call's {ms(profile['wall_s'])} ms go (one profiled call): {len(pages)} Query pages "
        f"{ms(profile['query_s'])} ms (per page p50 {ms(benchlib.percentile(page_s, 50))} ms, max "
        f"{ms(max(page_s))} ms; {min(items_per_page):,}-{max(items_per_page):,} items per page), scoring "
        f"(item -> ScoredCall, Accumulator, TrackRecord) {ms(profile['scoring_s'])} ms, the rest (routing, "
        f"response JSON, logging) {ms(profile['rest_s'])} ms"
    )
    print(
        f"track_record alone over the same {len(seeded.expected):,} calls in memory (this process): "
        f"{ms(scoring_alone_s)} ms"
    )
    reported = profile["consumed_capacity"]
    print(
        "read units: DynamoDB Local "
        + (
            f"reports {reported:,.1f} RCU (ReturnConsumedCapacity=TOTAL)"
            if reported is not None
            else "returns no ConsumedCapacity"
        )
        + f"; estimate from the items' sizes: {reads['rcu']:,.1f} RCU in {reads['pages']} pages of <= 1 MB "
        f"({reads['bytes'] / 1e6:,.1f} MB read: a Query reads whole items, the projection only trims the "
        f"response; eventually consistent, 0.5 per 4 KB). DynamoDB Local made {len(pages)} pages."
    )
    slim = estimate_reads(seeded.user_calls, SCORED_ATTRIBUTES)
    print(
        f"if the Query read only the attributes scoring needs (+ keys; e.g. a sparse index projecting them): "
        f"{slim['bytes'] / 1e6:,.1f} MB, {slim['pages']} page(s), {slim['rcu']:,.1f} RCU (estimate)"
    )
    cpu_share = function["memory_mb"] / LAMBDA_MB_PER_VCPU
    scaled = cold_cpu / cpu_share
    java_per_page = statistics.median(r["dynamodb_local_cpu_s"] / len(r["calls"]) for r in timed) / len(pages)
    print(
        f"estimate, not measured: Lambda gives {function['memory_mb']} MB {cpu_share:.2f} of a vCPU, so the "
        f"handler's own CPU (first call {ms(cold_cpu)} ms, warm {ms(warm_cpu)} ms; Python, mostly boto3 "
        f"reading the pages) would take ~{scaled:,.1f} s / ~{warm_cpu / cpu_share:,.1f} s there (CPU speeds "
        f"differ), plus {len(pages)} Query round trips to DynamoDB. Here the wall time is DynamoDB Local: "
        f"~{ms(java_per_page)} ms of its CPU per 1 MB page, on the same {os.cpu_count()} cores."
    )

    print(
        f"\ncheck: handler JSON == track_record(the seeded calls): {'yes' if exact else 'NO'}; total "
        f"{expected.total:,}, resolved {expected.resolved:,}, decided {expected.decided:,}, inconclusive "
        f"{expected.inconclusive:,}, pending {expected.pending:,}, accuracy {expected.accuracy}, brier "
        f"{expected.brier}, {len(expected.by_tag)} tags, {len(expected.by_category)} categories, "
        f"{len(expected.over_time)} months; every response 200 and identical: "
        f"{'yes' if statuses == {200} and len(digests) == 1 else 'NO'} -> {'PASS' if correct else 'FAIL'}"
    )
    timeout_s = float(function["timeout_s"])
    memory_limit_kib = function["memory_mb"] * 1024 * MEMORY_SHARE  # Lambda's "MB" are MiB
    slowest_cold = max(c["wall_s"] for c in cold)
    slowest_warm = max(c["wall_s"] for c in warm)
    over = sum(1 for c in [*cold, *warm] if c["wall_s"] > timeout_s)
    in_time = over == 0  # a call over the Timeout is a failed request in Lambda
    in_memory = peak_kib <= memory_limit_kib
    print(
        f"targets: every call within the {timeout_s:g} s Timeout ({len(cold)} first, {len(warm)} warm; "
        f"slowest first {slowest_cold:,.2f} s, slowest warm {slowest_warm:,.2f} s, warm median "
        f"{warm_s:,.2f} s; {over} over) -> {'met' if in_time else 'MISSED'}; peak RSS {mib(peak_kib)} MiB "
        f"<= {mib(memory_limit_kib)} MiB ({MEMORY_SHARE:.0%} of {function['memory_mb']} MB) -> "
        f"{'met' if in_memory else 'MISSED'}"
    )
    passed = correct and in_time and in_memory
    print(f"\nresult: {'PASS' if passed else 'FAIL'}")
    for r in runs:
        r.pop("cold_body", None)
    return {
        "config": {k: v for k, v in vars(args).items() if k != "command"},
        "dynamodb_local": local_version,
        "function": {k: function[k] for k in ("name", "memory_mb", "timeout_s")},
        "seed": {
            "calls": args.calls,
            "pending": args.pending,
            "others": args.others,
            "other_users": seeded.other_users,
            "items": len(seeded.items),
            "build_s": seeded.build_s,
            "write_s": write_s,
            "statement_chars": {"min": min(lengths), "max": max(lengths), "mean": statistics.fmean(lengths)},
            "with_verdict": with_verdict,
            "months": len(months),
        },
        "reads_estimate": reads,
        "reads_estimate_scored_attributes_only": slim,
        "dynamodb_local_cpu_per_page_s": java_per_page,
        "dynamodb_local_warmup_s": warmup,
        "runs": runs,
        "cold_s": cold_s,
        "warm_s": warm_s,
        "cold_cpu_s": cold_cpu,
        "warm_cpu_s": warm_cpu,
        "peak_rss_kib": peak_kib,
        "tracemalloc": {"cold_peak": trace_cold, "warm_peak": trace_warm},
        "scoring_alone_s": scoring_alone_s,
        "lambda_estimate_s": scaled,
        "record": expected.model_dump(mode="json"),
        "checks": {"exact": exact, "counts": counts_ok, "statuses": sorted(statuses), "bodies": len(digests)},
        "calls_over_timeout": over,
        "in_time": in_time,
        "in_memory": in_memory,
        "passed": passed,
    }


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["measure"]:  # the child process: one fresh interpreter, measured
        child = argparse.ArgumentParser(prog="stats.py measure")
        child.add_argument("--spec", type=Path, required=True)
        child.add_argument("--out", type=Path, required=True)
        child.add_argument("--trace-cold", action="store_true")
        parsed = child.parse_args(argv[1:])
        return measure(parsed.spec, parsed.out, parsed.trace_cold)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--calls",
        type=benchlib.bounded(1, MAX_CALLS),
        default=10_000,
        help=f"resolved calls of the measured user (default 10000, max {MAX_CALLS})",
    )
    parser.add_argument(
        "--pending",
        type=benchlib.bounded(0, MAX_PENDING),
        default=100,
        help="unresolved calls of the same user (read and counted, default 100)",
    )
    parser.add_argument(
        "--others",
        type=benchlib.bounded(0, MAX_OTHERS),
        default=2_000,
        help=f"calls of other users, 20 per user, never read (default 2000, max {MAX_OTHERS})",
    )
    parser.add_argument(
        "--warm",
        type=benchlib.bounded(1, 50),
        default=5,
        help="warm calls after the first, per process (default 5)",
    )
    parser.add_argument(
        "--cold",
        type=benchlib.bounded(1, 10),
        default=3,
        help="fresh processes, one first call each (default 3)",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--timeout",
        type=benchlib.bounded(30, 3600),
        default=900,
        help="seconds allowed for the whole run; then it stops with exit code 1 (default 900)",
    )
    parser.add_argument("--json", action="store_true", help="also write bench/results/stats-*.json")
    args = parser.parse_args(argv)

    def expire() -> None:
        print(f"\ntimeout: the run took longer than {args.timeout} s", file=sys.stderr, flush=True)
        os._exit(1)  # DynamoDB Local stops when our end of its pipe closes

    watchdog = threading.Timer(args.timeout, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        results = bench(args)
    finally:
        watchdog.cancel()
    if args.json:
        print(f"\nwrote {benchlib.write_results('stats', results)}")
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
