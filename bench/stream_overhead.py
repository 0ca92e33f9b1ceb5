"""Streaming overhead: the coalescing sender vs one inline post_to_connection per token.

A fake model makes N tokens available at R tokens/s (token i at t0 + i/R, like a network stream
that buffers while its consumer is busy). A fake API Gateway management API in a child process
(aiohttp on 127.0.0.1) takes a set time per post, and the real boto3 ``apigatewaymanagementapi``
client posts to it over HTTP. In one run it measures:

- model only: the tokens consumed, nothing posted;
- ours: ``CoalescingSender`` + ``ManagementApiTransport`` (the stream worker's path);
- naive: ``await asyncio.to_thread(client.post_to_connection, ...)`` inline for every token.

Targets (DESIGN.md): ours <= 1.05x model time, <= 1 post in any 50 ms window, first frame at the
endpoint <= 50 ms after the first token. Run: ``.venv/bin/python bench/stream_overhead.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import benchlib

RATIO_TARGET = 1.05
POSTS_WINDOW_S = 0.05
FIRST_FRAME_TARGET_S = 0.05


def make_tokens(n: int) -> list[str]:
    """Distinct, numbered words, so the received text shows any loss or reordering."""
    return [f"w{i} " for i in range(1, n + 1)]


async def model(tokens: Sequence[str], rate: float) -> AsyncIterator[tuple[str, float]]:
    """Yield (token i, when it became available): available i / rate seconds after the first ``__anext__``.

    A token the consumer is late for is yielded at once, as from a stream that buffered it.
    """
    t0 = time.monotonic()
    for i, token in enumerate(tokens, start=1):
        ready = t0 + i / rate
        delay = ready - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        yield token, ready


@dataclass
class RunResult:
    """One design's run. Times are ``time.monotonic()`` (shared with the endpoint's process on Linux)."""

    design: str
    total_s: float
    ready_times: list[float] = field(default_factory=list)  # when each token became available
    post_starts: list[float] = field(default_factory=list)  # when each post_to_connection call began
    arrivals: list[benchlib.Arrival] = field(default_factory=list)  # when each post reached the endpoint
    ratio: float = 0.0
    max_posts_50ms: int = 0  # in any 50 ms window, by call start, every post
    max_posts_50ms_streaming: int = 0  # the same without the final post (the flush at the end)
    close_gap_s: float = float("nan")  # between the last two post starts
    first_frame_s: float = float("nan")
    lag_p50_s: float = float("nan")
    lag_p99_s: float = float("nan")
    lag_max_s: float = float("nan")
    text: str = ""
    in_order: bool = False

    @property
    def posts(self) -> int:
        return len(self.post_starts)

    def passed(self) -> bool:
        return (
            self.ratio <= RATIO_TARGET
            and self.max_posts_50ms_streaming <= 1
            and self.first_frame_s <= FIRST_FRAME_TARGET_S
            and self.in_order
        )


async def run_model_only(tokens: Sequence[str], rate: float) -> RunResult:
    t0 = time.monotonic()
    ready = [at async for _, at in model(tokens, rate)]
    return RunResult("model only", time.monotonic() - t0, ready_times=ready)


async def run_ours(tokens: Sequence[str], rate: float, endpoint: str, window_s: float) -> RunResult:
    from calledit.protocol import TextEvent
    from calledit.ws.sender import CoalescingSender
    from calledit.ws.transport import ManagementApiTransport

    transport = ManagementApiTransport(endpoint, "ours")
    ready = []
    t0 = time.monotonic()
    async with CoalescingSender(transport, "bench-ours", window_s=window_s) as sender:
        async for token, at in model(tokens, rate):
            ready.append(at)
            await sender.send(TextEvent(content=token))
    total = time.monotonic() - t0
    return RunResult("ours (coalescing)", total, ready, post_starts=list(sender.stats.post_started_at))


async def run_naive(tokens: Sequence[str], rate: float, endpoint: str) -> RunResult:
    from calledit.aws import management_client
    from calledit.protocol import TextEvent, encode, frame

    client = management_client(endpoint)
    ready = []
    starts: list[float] = []
    t0 = time.monotonic()
    async for token, at in model(tokens, rate):
        ready.append(at)
        data = encode(frame(TextEvent(content=token), "bench-naive", len(starts) + 1))
        starts.append(time.monotonic())
        await asyncio.to_thread(client.post_to_connection, ConnectionId="naive", Data=data)
    total = time.monotonic() - t0
    return RunResult("naive (post per token)", total, ready, post_starts=starts)


def analyse(result: RunResult, tokens: Sequence[str], model_s: float) -> None:
    """Fill in the ratio, post spacing, first-frame latency, per-token lag and order check."""
    frames = [json.loads(a.body) for a in result.arrivals]
    seqs = [f["seq"] for f in frames]
    result.text = "".join(f["content"] for f in frames)
    result.in_order = seqs == list(range(1, len(frames) + 1)) and result.text == "".join(tokens)
    result.ratio = result.total_s / model_s
    result.max_posts_50ms = benchlib.max_in_window(result.post_starts, POSTS_WINDOW_S)
    result.max_posts_50ms_streaming = benchlib.max_in_window(result.post_starts[:-1], POSTS_WINDOW_S)
    if len(result.post_starts) > 1:
        result.close_gap_s = result.post_starts[-1] - result.post_starts[-2]
    if result.arrivals:
        result.first_frame_s = result.arrivals[0].at - result.ready_times[0]
    # Lag of each token: from when the model made it available to when the frame holding it arrived.
    ends: list[tuple[int, float]] = []  # (text length up to the end of a frame, its arrival)
    length = 0
    for f, a in zip(frames, result.arrivals, strict=True):
        length += len(f["content"])
        ends.append((length, a.at))
    lags = []
    pos = 0
    frame_index = 0
    for token, ready in zip(tokens, result.ready_times, strict=True):
        pos += len(token)
        while frame_index < len(ends) and ends[frame_index][0] < pos:
            frame_index += 1
        if frame_index < len(ends):
            lags.append(ends[frame_index][1] - ready)
    if lags:
        result.lag_p50_s = benchlib.percentile(lags, 50)
        result.lag_p99_s = benchlib.percentile(lags, 99)
        result.lag_max_s = max(lags)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    benchlib.dummy_aws_env()
    tokens = make_tokens(args.tokens)
    with benchlib.management_server(args.latency_ms / 1000) as server:
        from calledit.aws import management_client

        # Build the boto3 client and open its keep-alive connection before timing (cold start is
        # measured by cold_start.py); both designs share this client, as the worker's lru_cache does.
        client = management_client(server.endpoint_url)
        await asyncio.to_thread(client.post_to_connection, ConnectionId="warmup", Data=b"{}")

        model_runs, ours_runs, naive_runs = [], [], []
        for _ in range(args.repeat):
            model_runs.append(await run_model_only(tokens, args.rate))
            ours_runs.append(await run_ours(tokens, args.rate, server.endpoint_url, args.window_ms / 1000))
            naive_runs.append(await run_naive(tokens, args.rate, server.endpoint_url))
        arrivals = {"ours": server.arrivals("ours"), "naive": server.arrivals("naive")}

    # Each repeat posts to the same connection id: split the arrivals back per run by seq restarts.
    def per_run(rows: list[benchlib.Arrival]) -> list[list[benchlib.Arrival]]:
        runs: list[list[benchlib.Arrival]] = []
        for row in rows:
            if json.loads(row.body)["seq"] == 1:
                runs.append([])
            runs[-1].append(row)
        return runs

    for design, runs in (("ours", ours_runs), ("naive", naive_runs)):
        for run, rows in zip(runs, per_run(arrivals[design]), strict=True):
            run.arrivals = rows
    model_s = statistics.median(r.total_s for r in model_runs)
    for run in [*ours_runs, *naive_runs]:
        analyse(run, tokens, model_s)

    # Report the median run of each design (by total time); all runs go to the JSON file.
    def median_run(runs: list[RunResult]) -> RunResult:
        return sorted(runs, key=lambda r: r.total_s)[(len(runs) - 1) // 2]

    ours, naive = median_run(ours_runs), median_run(naive_runs)
    print(benchlib.machine_line())
    print(
        f"model: {args.tokens} tokens at {args.rate:g} tokens/s; endpoint: {args.latency_ms:g} ms per post "
        f"(child process, HTTP on loopback); sender window {args.window_ms:g} ms; "
        f"{args.repeat} run(s), median shown\n"
    )
    lines: list[list[Any]] = [["model only", f"{model_s:.3f} s", "1.000", *["-"] * 7]]
    for r in (ours, naive):
        lines.append(
            [
                r.design,
                f"{r.total_s:.3f} s",
                f"{r.ratio:.3f}",
                r.posts,
                f"{r.max_posts_50ms_streaming} / {r.max_posts_50ms}",
                ms(r.close_gap_s),
                ms(r.first_frame_s),
                f"{ms(r.lag_p50_s)} / {ms(r.lag_p99_s)}",
                "yes" if r.in_order else "NO",
                "PASS" if r.passed() else "FAIL",
            ]
        )
    headers = [
        "design",
        "total",
        "x model",
        "posts",
        "max posts/50ms",
        "last gap",
        "first frame",
        "token lag p50/p99",
        "in order",
        "targets",
    ]
    print(benchlib.table(headers, lines))
    print(
        f"""
targets: x model <= {RATIO_TARGET}; <= 1 post in any 50 ms window while streaming; first frame
  <= {ms(FIRST_FRAME_TARGET_S)} after the first token; all text received, in order.
max posts/50ms: most post_to_connection calls started in any sliding 50 ms window, while streaming /
  including the final post. The sender sends its last text at once when the stream ends (a real
  stream ends with a `complete` frame, never held back), so "last gap" can be under 50 ms.
first frame: arrival at the endpoint minus when the model made the first token available.
token lag: arrival of the frame holding a token minus when the model made that token available."""
    )
    for r in (ours, naive):
        shown = r.text if len(r.text) <= 90 else f"{r.text[:40]}...{r.text[-40:]}"
        print(f"{r.design}: received {len(r.arrivals)} frames, {len(r.text)} chars: {shown.strip()!r}")

    def summary(r: RunResult) -> dict[str, Any]:
        data = asdict(r)
        for key in ("arrivals", "ready_times", "post_starts", "text"):
            data.pop(key)
        data["posts"] = r.posts
        data["passed"] = r.passed()
        return data

    return {
        "config": vars(args),
        "model_only_s": [r.total_s for r in model_runs],
        "ours": [summary(r) for r in ours_runs],
        "naive": [summary(r) for r in naive_runs],
        "passed": ours.passed(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tokens", type=int, default=300, help="tokens the model emits (default 300)")
    parser.add_argument("--rate", type=float, default=100.0, help="model tokens per second (default 100)")
    parser.add_argument("--latency-ms", type=float, default=30.0, help="endpoint time per post (default 30)")
    parser.add_argument("--window-ms", type=float, default=50.0, help="sender coalescing window (default 50)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each design; the median is shown")
    parser.add_argument("--json", action="store_true", help="also write bench/results/stream_overhead-*.json")
    args = parser.parse_args(argv)
    if args.tokens < 1 or args.rate <= 0 or args.repeat < 1:
        parser.error("--tokens and --repeat must be >= 1 and --rate > 0")
    results = asyncio.run(bench(args))
    if args.json:
        print(f"\nwrote {benchlib.write_results('stream_overhead', results)}")
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
