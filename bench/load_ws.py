"""Load on the local stack: many WebSocket clients each streaming one call with the offline model.

Starts ``calledit dev`` on a free 127.0.0.1 port with a fresh data directory (or uses ``--url``),
gets one ID token per client (distinct users: the stack allows 3 running calls per user), opens
every connection, then sends every ``makecall`` at once and reads each stream to its final frame.

Per client it checks the job's frames (``seq`` >= 1) by sequence number: frames lost (gaps up to
the final frame's seq, or no final frame), out of order, duplicated. The stack sends no server
timestamps, so latency is measured on the client from its ``makecall``: to the ``accepted``
acknowledgement, to the first job frame, to the first text, to the final frame, and the gaps
between frames. Before the load, one client alone runs twice: cold (the stack's first call) and
warm, the uncontended baseline; the load itself runs warm. Peak memory is
the stack process's VmHWM (and its children's, e.g. DynamoDB Local) from /proc.

Bounded: ``--clients`` (<= 1000) and ``--timeout`` for the whole load; loopback only.
Run: ``.venv/bin/python bench/load_ws.py`` (``--clients 200 --timeout 180`` are the defaults).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp
import benchlib

from calledit.protocol import TERMINAL_TYPES

MAX_CLIENTS = 1000
PROMPT = "Bitcoin will close above 150k by March 2027"
TERMINAL_STATUSES = frozenset({"cancelled", "failed", "completed"})


@dataclass
class ClientResult:
    """One client's stream, as it saw it. Times are seconds after its makecall was sent."""

    connected: bool = False
    error: str = ""  # why the stream did not end normally ("" when it did)
    final_type: str = ""
    final_seq: int = 0
    frames: int = 0  # job frames (seq >= 1) received
    lost: int = 0
    out_of_order: int = 0
    duplicates: int = 0
    accepted_s: float | None = None
    first_frame_s: float | None = None
    first_text_s: float | None = None
    final_s: float | None = None
    gaps_s: list[float] = field(default_factory=list)


def check_frame(result: ClientResult, seen: set[int], body: dict[str, Any], last_seq: int) -> int:
    """Account for one job frame; returns the highest seq seen so far."""
    seq = int(body["seq"])
    if seq in seen:
        result.duplicates += 1
    elif seq < last_seq:
        result.out_of_order += 1
    seen.add(seq)
    result.frames += 1
    return max(seq, last_seq)


async def run_client(
    session: aiohttp.ClientSession,
    ws_url: str,
    token: str,
    prompt: str,
    timezone: str,
    start: asyncio.Event,
    connected: asyncio.Semaphore,
    deadline: float,
) -> ClientResult:
    """Connect, wait for the start signal, make one call and read its stream to the final frame."""
    result = ClientResult()
    request_id = str(uuid.uuid4())
    try:
        async with session.ws_connect(
            f"{ws_url}?token={token}", timeout=aiohttp.ClientWSTimeout(ws_close=5), heartbeat=None
        ) as ws:
            result.connected = True
            connected.release()
            await start.wait()
            sent = time.monotonic()
            await ws.send_str(
                json.dumps(
                    {"action": "makecall", "prompt": prompt, "timezone": timezone, "request_id": request_id}
                )
            )
            seen: set[int] = set()
            last_seq = 0
            last_at: float | None = None
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    result.error = "timeout"
                    break
                try:
                    msg = await ws.receive(timeout=remaining)
                except TimeoutError:
                    result.error = "timeout"
                    break
                now = time.monotonic() - sent
                if msg.type != aiohttp.WSMsgType.TEXT:
                    result.error = f"connection {msg.type.name.lower()} before the final frame"
                    break
                body = json.loads(msg.data)
                if body.get("request_id") not in (request_id, ""):
                    result.error = "frame for another request"
                    break
                kind, seq = body.get("type"), int(body.get("seq", -1))
                if seq == 0:  # acknowledgements from the action handler, outside the job's stream
                    if kind == "status" and body.get("status") == "accepted":
                        result.accepted_s = now
                        continue
                    result.error = f"{kind}: {body.get('code') or body.get('status')}: {body.get('message')}"
                    break
                last_seq = check_frame(result, seen, body, last_seq)
                if result.first_frame_s is None:
                    result.first_frame_s = now
                if kind == "text" and result.first_text_s is None:
                    result.first_text_s = now
                if last_at is not None:
                    result.gaps_s.append(now - last_at)
                last_at = now
                if kind in TERMINAL_TYPES or (kind == "status" and body.get("status") in TERMINAL_STATUSES):
                    result.final_type, result.final_seq, result.final_s = str(kind), seq, now
                    if kind == "error":
                        result.error = f"error frame: {body.get('code')}: {body.get('message')}"
                    break
            # Every seq from 1 to the final one should have arrived exactly once.
            expected = result.final_seq or last_seq
            result.lost = len(set(range(1, expected + 1)) - seen)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        if not result.connected:
            connected.release()
        result.error = result.error or f"{type(exc).__name__}: {exc}"[:200]
    return result


async def load(
    stack: benchlib.Stack, clients: int, timeout_s: float, prompt: str, timezone: str
) -> tuple[list[ClientResult], float]:
    """Run ``clients`` concurrent streams; returns their results and the wall time of the calls."""
    tokens = await benchlib.id_tokens(stack, clients)
    ws_url = str(stack.config.get("websocketUrl") or f"{stack.base_url.replace('http', 'ws', 1)}/ws")
    benchlib.require_loopback(ws_url)
    start = asyncio.Event()
    connected = asyncio.Semaphore(0)
    deadline = time.monotonic() + timeout_s
    connector = aiohttp.TCPConnector(limit=0)  # the default pool (100) would queue our connections
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [
            asyncio.create_task(run_client(session, ws_url, t, prompt, timezone, start, connected, deadline))
            for t in tokens
        ]
        for _ in tokens:  # every connection is open (or has failed) before any call starts
            await asyncio.wait_for(connected.acquire(), max(0.1, deadline - time.monotonic()))
        began = time.monotonic()
        start.set()
        results = list(await asyncio.gather(*tasks))
    return results, time.monotonic() - began


def dist(values: Sequence[float]) -> dict[str, float]:
    """p50 / p99 / max in milliseconds (NaN when empty)."""
    if not values:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    return {
        "p50_ms": benchlib.percentile(values, 50) * 1000,
        "p99_ms": benchlib.percentile(values, 99) * 1000,
        "max_ms": max(values) * 1000,
    }


def summarise(results: list[ClientResult], wall_s: float) -> dict[str, Any]:
    def values(name: str) -> list[float]:
        return [v for r in results if (v := getattr(r, name)) is not None]

    errors: dict[str, int] = {}
    for r in results:
        if r.error:
            key = r.error if len(r.error) <= 80 else r.error[:77] + "..."
            errors[key] = errors.get(key, 0) + 1
    return {
        "clients": len(results),
        "connected": sum(r.connected for r in results),
        "completed": sum(r.final_type == "complete" for r in results),
        "errors": sum(bool(r.error) for r in results),
        "error_kinds": errors,
        "frames": sum(r.frames for r in results),
        "lost": sum(r.lost for r in results),
        "out_of_order": sum(r.out_of_order for r in results),
        "duplicates": sum(r.duplicates for r in results),
        "wall_s": wall_s,
        "accepted": dist(values("accepted_s")),
        "first_frame": dist(values("first_frame_s")),
        "first_text": dist(values("first_text_s")),
        "final": dist(values("final_s")),
        "gap": dist([g for r in results for g in r.gaps_s]),
        "mean_frames_per_call": statistics.fmean(r.frames for r in results) if results else 0.0,
    }


def kib_to_mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def report(
    single: dict[str, dict[str, Any]], loaded: dict[str, Any], memory: dict[str, dict[str, int]]
) -> None:
    def row(label: str, key: str) -> list[str]:
        d = loaded[key]
        cells = [label, f"{d['p50_ms']:.0f}", f"{d['p99_ms']:.0f}", f"{d['max_ms']:.0f}"]
        for run in ("warm", "cold"):
            cells.append(f"{single[run][key]['p50_ms']:.0f}" if run in single else "-")
        return cells

    rows = [
        row(label, key)
        for key, label in (
            ("accepted", "makecall -> accepted"),
            ("first_frame", "makecall -> first job frame"),
            ("first_text", "makecall -> first text"),
            ("final", "makecall -> final frame"),
            ("gap", "gap between frames"),
        )
    ]
    print(benchlib.table(["latency (ms)", "p50", "p99", "max", "1 client, warm", "1 client, cold"], rows))
    print(
        f"\nclients {loaded['clients']}, connected {loaded['connected']}, "
        f"completed {loaded['completed']}, errors {loaded['errors']}; frames {loaded['frames']} "
        f"({loaded['mean_frames_per_call']:.1f} per call), lost {loaded['lost']}, "
        f"out of order {loaded['out_of_order']}, duplicates {loaded['duplicates']}; "
        f"all calls done in {loaded['wall_s']:.2f} s"
    )
    for kind, count in sorted(loaded["error_kinds"].items(), key=lambda kv: -kv[1]):
        print(f"  error x{count}: {kind}")
    if memory:
        before, after = memory["before"], memory["after"]
        print(
            f"memory: stack process peak (VmHWM) {kib_to_mib(after['stack_hwm_kib'])} "
            f"(RSS {kib_to_mib(before['stack_rss_kib'])} before the load, "
            f"{kib_to_mib(after['stack_rss_kib'])} after); "
            f"children (DynamoDB Local) peak {kib_to_mib(after['children_hwm_kib'])}"
        )
    verdict = loaded["lost"] == 0 and loaded["out_of_order"] == 0 and loaded["errors"] == 0
    print(f"targets: 0 lost, 0 out of order, 0 errors -> {'PASS' if verdict else 'FAIL'}")


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    benchlib.raise_fd_limit()
    env = {"CALLEDIT_MODEL": "offline", "CALLEDIT_OFFLINE_DELAY_MS": str(args.offline_delay_ms)}
    async with benchlib.local_stack(args.url, env=env) as stack:
        print(benchlib.machine_line())
        print(
            f"stack: {stack.base_url} ({'started by this run' if stack.pid else 'given'}); offline model, "
            f"{args.offline_delay_ms:g} ms per streamed chunk; prompt {args.prompt!r}\n"
        )
        # One client alone: first on the fresh stack (handlers and Strands imported on this call),
        # then again warm; the load runs warm too, as a warm Lambda fleet would.
        single: dict[str, dict[str, Any]] = {}
        for run in ("cold", "warm") if args.baseline else ("cold",):
            one, one_wall = await load(stack, 1, args.timeout, args.prompt, args.timezone)
            single[run] = summarise(one, one_wall)
        if not args.baseline:
            single.clear()  # the cold call only warmed the stack up
        memory_before = stack.memory()
        results, wall = await load(stack, args.clients, args.timeout, args.prompt, args.timezone)
        memory = {"before": memory_before, "after": stack.memory()} if stack.pid else {}
        loaded = summarise(results, wall)
        report(single, loaded, memory)
        return {
            "config": vars(args),
            "single_client": single,
            "load": loaded,
            "memory": memory,
            "clients": [asdict(r) | {"gaps_s": None} for r in results if r.error],
            "passed": loaded["lost"] == 0 and loaded["out_of_order"] == 0 and loaded["errors"] == 0,
        }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--clients", type=int, default=200, help=f"concurrent clients (default 200, max {MAX_CLIENTS})"
    )
    parser.add_argument(
        "--timeout", type=float, default=180.0, help="seconds allowed for the whole load (default 180)"
    )
    parser.add_argument(
        "--url", help="use the stack already running at this 127.0.0.1 URL (default: start one)"
    )
    parser.add_argument("--prompt", default=PROMPT)
    parser.add_argument("--timezone", default="Europe/Paris")
    parser.add_argument(
        "--offline-delay-ms",
        type=float,
        default=15.0,
        help="offline model pause per streamed chunk (default 15, as the stack)",
    )
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="skip the warm 1-client run (the stack is still warmed up first)",
    )
    parser.add_argument("--json", action="store_true", help="also write bench/results/load_ws-*.json")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS or args.timeout <= 0:
        parser.error(f"--clients must be 1..{MAX_CLIENTS} and --timeout > 0")
    results = asyncio.run(bench(args))
    if args.json:
        print(f"\nwrote {benchlib.write_results('load_ws', results)}")
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
