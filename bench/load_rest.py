"""REST on the local stack: many saves, then the whole list page by page.

Starts ``calledit dev`` on a free 127.0.0.1 port with a fresh data directory (or uses ``--url``),
gets ID tokens for two users, warms the stack up with one save and one list page by the first
(timed apart: the handler's import), then, for the second:

1. ``POST /predictions`` ``--saves`` times (default 1,000) with ``--concurrency`` requests in
   flight (default 16), each a distinct ``request_id`` and a valid prediction;
2. ``GET /predictions?limit=N`` following ``next_cursor`` until it is null, and checks that every
   saved id came back exactly once, newest first.

Every save must be answered with its own item (its ``request_id``). Prints throughput and
p50/p99 latency for each phase, errors, and the stack's peak memory.
Bounded by ``--saves`` (<= 10,000) and ``--timeout``; loopback only.
Run: ``.venv/bin/python bench/load_rest.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import benchlib

MAX_SAVES = 10_000
CATEGORIES = (
    "agent_verifiable",
    "current_tool_verifiable",
    "strands_tool_verifiable",
    "api_tool_verifiable",
    "human_verifiable_only",
)


def prediction(i: int, rng: random.Random) -> dict[str, Any]:
    """A valid Prediction (schema.py) with a varied statement and date."""
    when = datetime.now(UTC) + timedelta(days=rng.randint(1, 900), seconds=rng.randint(0, 86_399))
    return {
        "prediction_statement": f"Benchmark prediction #{i}: the index will close above {4000 + i} points",
        "verification_date": when.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "date_reasoning": "A fixed horizon chosen by the benchmark.",
        "verification_method": {
            "source": ["Index provider's official closing values"],
            "criteria": [f"Closing value above {4000 + i} on the date"],
            "steps": ["Look up the close on the verification date", "Compare it with the threshold"],
        },
        "verifiable_category": CATEGORIES[i % len(CATEGORIES)],
        "category_reasoning": "Needs market data from an API.",
        "initial_status": "pending",
    }


async def save_all(
    session: aiohttp.ClientSession,
    api: str,
    headers: dict[str, str],
    count: int,
    concurrency: int,
    deadline: float,
) -> tuple[list[float], dict[str, int], list[str], float]:
    """POST ``count`` predictions; returns latencies, error counts by kind, saved ids, wall time."""
    rng = random.Random(7)
    bodies = [
        {"request_id": str(uuid.uuid4()), "prediction": prediction(i, rng), "timezone": "Europe/Paris"}
        for i in range(count)
    ]
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    ids: list[str] = []

    async def one(body: dict[str, Any]) -> None:
        async with gate:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                errors["timeout"] = errors.get("timeout", 0) + 1
                return
            started = time.monotonic()
            try:
                async with session.post(
                    f"{api}/predictions",
                    json=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=remaining),
                ) as resp:
                    data = await resp.json(content_type=None)
                    latencies.append(time.monotonic() - started)
                    ok = resp.status in (200, 201) and isinstance(data, dict) and data.get("prediction_id")
                    if ok and data.get("request_id") != body["request_id"]:
                        # Another request's item: the save itself was lost.
                        errors["2xx with another request's item"] = (
                            errors.get("2xx with another request's item", 0) + 1
                        )
                    elif ok:
                        ids.append(str(data["prediction_id"]))
                    else:
                        code = data.get("code", "") if isinstance(data, dict) else ""
                        key = f"HTTP {resp.status} {code}".strip()
                        errors[key] = errors.get(key, 0) + 1
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

    began = time.monotonic()
    await asyncio.gather(*(one(b) for b in bodies))
    return latencies, errors, ids, time.monotonic() - began


async def list_all(
    session: aiohttp.ClientSession, api: str, headers: dict[str, str], page_size: int, deadline: float
) -> tuple[list[float], list[dict[str, Any]], str, float]:
    """Follow ``next_cursor`` to the end; returns page latencies, items, an error ("" if none), wall time."""
    latencies: list[float] = []
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    began = time.monotonic()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return latencies, items, "timeout", time.monotonic() - began
        params = {"limit": str(page_size)} | ({"cursor": cursor} if cursor else {})
        started = time.monotonic()
        try:
            async with session.get(
                f"{api}/predictions",
                params=params,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=remaining),
            ) as resp:
                data = await resp.json(content_type=None)
                latencies.append(time.monotonic() - started)
                if resp.status != 200 or not isinstance(data, dict):
                    return (
                        latencies,
                        items,
                        f"HTTP {resp.status}: {str(data)[:200]}",
                        time.monotonic() - began,
                    )
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return latencies, items, type(exc).__name__, time.monotonic() - began
        items.extend(data.get("items") or [])
        cursor = data.get("next_cursor")
        if not cursor:
            return latencies, items, "", time.monotonic() - began


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    benchlib.raise_fd_limit()
    async with benchlib.local_stack(args.url) as stack:
        print(benchlib.machine_line())
        print(f"stack: {stack.base_url} ({'started by this run' if stack.pid else 'given'})\n")
        api = str(stack.config.get("apiUrl") or f"{stack.base_url}/api").rstrip("/")
        benchlib.require_loopback(api)
        warm_token, token = await benchlib.id_tokens(stack, 2)
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + args.timeout
        connector = aiohttp.TCPConnector(limit=max(args.concurrency, 1))
        async with aiohttp.ClientSession(connector=connector) as session:
            # The stack's first requests import the handler: timed here, apart (another user, so
            # the measured user's list holds only the measured saves).
            warm = {"Authorization": f"Bearer {warm_token}"}
            cold_save, cold_errors, _, _ = await save_all(session, api, warm, 1, 1, deadline)
            cold_list, _, cold_list_error, _ = await list_all(session, api, warm, args.page_size, deadline)
            if cold_errors or cold_list_error:
                raise RuntimeError(f"warm-up failed: {cold_errors or cold_list_error}")
            memory_before = stack.memory()
            save_lat, save_errors, ids, save_wall = await save_all(
                session, api, headers, args.saves, args.concurrency, deadline
            )
            page_lat, items, list_error, list_wall = await list_all(
                session, api, headers, args.page_size, deadline
            )
        memory = {"before": memory_before, "after": stack.memory()} if stack.pid else {}

    listed = [str(i.get("prediction_id")) for i in items]
    created = [str(i.get("created_at", "")) for i in items]
    missing = len(set(ids) - set(listed))
    unexpected = len(set(listed) - set(ids))
    duplicates = len(listed) - len(set(listed))
    newest_first = all(a >= b for a, b in itertools.pairwise(created))

    def stats(lat: list[float]) -> list[str]:
        if not lat:
            return ["-", "-", "-"]
        return [ms(benchlib.percentile(lat, 50)), ms(benchlib.percentile(lat, 99)), ms(max(lat))]

    rows: list[list[Any]] = [
        [
            f"save (POST, {args.concurrency} in flight)",
            len(save_lat),
            f"{len(save_lat) / save_wall:.0f}/s" if save_wall else "-",
            *stats(save_lat),
            sum(save_errors.values()),
        ],
        [
            f"list (GET, limit={args.page_size})",
            len(page_lat),
            f"{len(page_lat) / list_wall:.0f} pages/s, {len(items) / list_wall:.0f} items/s"
            if list_wall
            else "-",
            *stats(page_lat),
            1 if list_error else 0,
        ],
    ]
    print(benchlib.table(["phase", "requests", "throughput", "p50 ms", "p99 ms", "max ms", "errors"], rows))
    print(
        f"\nsaved {len(ids)} of {args.saves} in {save_wall:.2f} s; listed {len(items)} items in "
        f"{len(page_lat)} pages in {list_wall:.2f} s; saved ids missing from the list: {missing}, "
        f"listed but not saved: {unexpected}, listed twice: {duplicates}, "
        f"newest first: {'yes' if newest_first else 'NO'}"
    )
    print(
        f"first requests on the fresh stack (handler import, not in the figures above): save "
        f"{ms(cold_save[0])} ms, list {ms(cold_list[0])} ms"
    )
    for kind, count in sorted(save_errors.items(), key=lambda kv: -kv[1]):
        print(f"  save error x{count}: {kind}")
    if list_error:
        print(f"  list error: {list_error}")
    if memory:
        print(
            f"memory: stack process peak (VmHWM) {memory['after']['stack_hwm_kib'] / 1024:.0f} MiB "
            f"(RSS {memory['before']['stack_rss_kib'] / 1024:.0f} MiB before, "
            f"{memory['after']['stack_rss_kib'] / 1024:.0f} MiB after); "
            f"children (DynamoDB Local) peak {memory['after']['children_hwm_kib'] / 1024:.0f} MiB"
        )
    passed = (
        not save_errors
        and not list_error
        and len(ids) == args.saves
        and missing == unexpected == duplicates == 0
        and newest_first
    )
    print(
        "checks: every save answered with its own item, each listed exactly once, newest first -> "
        + ("PASS" if passed else "FAIL")
    )
    return {
        "config": vars(args),
        "save": {
            "requests": len(save_lat),
            "wall_s": save_wall,
            "throughput_per_s": len(save_lat) / save_wall if save_wall else None,
            "p50_s": benchlib.percentile(save_lat, 50),
            "p99_s": benchlib.percentile(save_lat, 99),
            "errors": save_errors,
        },
        "list": {
            "pages": len(page_lat),
            "items": len(items),
            "wall_s": list_wall,
            "p50_s": benchlib.percentile(page_lat, 50),
            "p99_s": benchlib.percentile(page_lat, 99),
            "error": list_error,
            "missing": missing,
            "unexpected": unexpected,
            "duplicates": duplicates,
            "newest_first": newest_first,
        },
        "cold": {"first_save_s": cold_save[0], "first_list_s": cold_list[0]},
        "memory": memory,
        "passed": passed,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--saves", type=int, default=1000, help=f"predictions to save (default 1000, max {MAX_SAVES})"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="save requests in flight (default 16)")
    parser.add_argument("--page-size", type=int, default=50, help="limit per list page (default 50)")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds allowed for both phases (default 300)"
    )
    parser.add_argument(
        "--url", help="use the stack already running at this 127.0.0.1 URL (default: start one)"
    )
    parser.add_argument("--json", action="store_true", help="also write bench/results/load_rest-*.json")
    args = parser.parse_args(argv)
    if not 1 <= args.saves <= MAX_SAVES or args.concurrency < 1 or args.page_size < 1 or args.timeout <= 0:
        parser.error(f"--saves must be 1..{MAX_SAVES}; --concurrency, --page-size, --timeout > 0")
    results = asyncio.run(bench(args))
    if args.json:
        print(f"\nwrote {benchlib.write_results('load_rest', results)}")
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
