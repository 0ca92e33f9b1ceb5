"""Load on the local stack: many WebSocket clients each streaming one call with the offline model.

Starts ``calledit dev`` on a free 127.0.0.1 port with a fresh data directory (or uses ``--url``),
gets one ID token per client (distinct users: the stack allows 3 running calls per user; tokens
are minted with the stack's issuer key, so users cost nothing), opens every connection, then sends
every ``makecall`` at once and reads each stream to its terminal frame (``protocol.is_terminal``).

Per client it checks the request's frames (``seq`` >= 1), over all of its connections: frames lost
(gaps up to the terminal frame's seq), out of order, duplicated, more than one terminal frame,
frames after the terminal one (after it the client listens ``--linger`` s more to catch late
duplicates), and an accepted request whose stream never reached a terminal frame. The stack sends
no server timestamps, so latency is measured on the client from its ``makecall``: to the
``accepted`` acknowledgement, to the first job frame, to the first text, to the terminal frame, and
the gaps between frames (on one connection). Before the load, one client alone runs twice: cold
(the stack's first call) and warm, the uncontended baseline; the load itself runs warm. Peak memory
is the stack process's VmHWM (and its children's, e.g. DynamoDB Local) from /proc.

Churn (``--churn P``, default 0): each client, with probability P, drops its connection mid-stream
1 to ``--churn-max`` times (default 2). Drop i comes after the client has seen k_i >= 1 of the
request's frames (distinct k_i drawn from 1..``--churn-frames``; by default the frame count of the
1-client run, so drops fall anywhere in the stream, up to its end) plus a random 0-250 ms; it closes
the socket, waits a random 0-500 ms, opens a new connection with the same token and sends
``{"action": "resume", "request_id": ..., "after_seq": <highest seq it saw>}``. The server must
then send exactly the frames after it, once, in order, ending with one terminal frame. Clients
whose frames break an invariant are printed with the seqs seen on each connection and the
messages sent (``--json`` keeps them all). ``--seed`` makes the churn plan reproducible.

Bounded: ``--clients`` (<= 1000) and ``--timeout`` for the whole load; loopback only.
Run: ``.venv/bin/python bench/load_ws.py`` (``--clients 200 --timeout 180`` are the defaults),
``.venv/bin/python bench/load_ws.py --churn 0.5``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import random
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp
import benchlib

from calledit.protocol import is_terminal

MAX_CLIENTS = 1000
PROMPT = "Bitcoin will close above 150k by March 2027"
DROP_JITTER_S = 0.25  # a drop comes 0-250 ms after its k-th frame (frames may keep arriving meanwhile)
RECONNECT_PAUSE_S = 0.5  # offline 0-500 ms between a drop and the new connection
ACKS = frozenset({"accepted", "resumed"})  # seq-0 statuses a client expects for makecall / resume
REPRO_SHOWN = 5  # clients printed when an invariant fails


@dataclass(frozen=True)
class Churn:
    """How clients drop and resume (probability 0: never)."""

    probability: float = 0.0
    max_drops: int = 2
    frames: int = 10  # drop i comes after k_i frames seen, k_i in 1..frames
    seed: int = 0

    def plan(self, client: int) -> tuple[random.Random, list[int]]:
        """The client's random source and its drop thresholds (frames seen), sorted; [] = no churn."""
        rng = random.Random(f"{self.seed}:{client}")
        if self.probability <= 0 or rng.random() >= self.probability:
            return rng, []
        drops = rng.randint(1, self.max_drops)
        return rng, sorted(rng.sample(range(1, self.frames + 1), min(drops, self.frames)))


NO_CHURN = Churn()


@dataclass
class ConnectionLog:
    """One connection of a client: the message it opened with and every frame it got, in order."""

    sent: dict[str, Any]
    frames: list[str] = field(default_factory=list)  # "seq:type" ("0:status/accepted", "7:text", ...)
    dropped: bool = False  # closed by the client (churn)


@dataclass
class ClientResult:
    """One client's request, as it saw it over all its connections. Times: seconds after its makecall."""

    client: int
    request_id: str
    connected: bool = False
    error: str = ""  # why the stream did not end normally ("" when it did)
    final_type: str = ""
    final_seq: int = 0
    frames: int = 0  # job frames (seq >= 1) received, duplicates included
    lost: int = 0  # seqs in 1..final (or highest seen) never received
    out_of_order: int = 0  # a new seq below the highest already seen
    duplicates: int = 0  # a seq received again
    terminals: int = 0  # terminal frames received (must be 1)
    after_terminal: int = 0  # job frames received after the (first) terminal frame
    planned_drops: int = 0
    drops: int = 0
    accepted_s: float | None = None
    first_frame_s: float | None = None
    first_text_s: float | None = None
    final_s: float | None = None
    final_at: float | None = None  # time.monotonic() of the terminal frame
    resume_s: list[float] = field(default_factory=list)  # resume sent -> next job frame
    gaps_s: list[float] = field(default_factory=list)  # between job frames on one connection
    connections: list[ConnectionLog] = field(default_factory=list)

    @property
    def double_terminal(self) -> int:
        return max(0, self.terminals - 1)

    @property
    def no_terminal(self) -> int:
        """1 when the request was accepted but its stream never reached a terminal frame."""
        return int(self.accepted_s is not None and not self.terminals)

    @property
    def violations(self) -> int:
        return (
            self.lost
            + self.out_of_order
            + self.duplicates
            + self.double_terminal
            + self.after_terminal
            + self.no_terminal
        )


@dataclass
class LoadContext:
    """What every client of one load shares."""

    session: aiohttp.ClientSession
    ws_url: str
    prompt: str
    timezone: str
    start: asyncio.Event
    connected: asyncio.Semaphore
    deadline: float
    linger_s: float

    async def connect(self, token: str) -> aiohttp.ClientWebSocketResponse:
        return await self.session.ws_connect(
            f"{self.ws_url}?token={token}", timeout=aiohttp.ClientWSTimeout(ws_close=5), heartbeat=None
        )


def label(body: dict[str, Any]) -> str:
    """A frame in a connection log: ``seq:type`` (``/status`` or ``/code`` added when it has one)."""
    extra = body.get("status") or body.get("code")
    return f"{body.get('seq')}:{body.get('type')}" + (f"/{extra}" if extra else "")


class Client:
    """One user: makecall on a first connection, then (churn) drop, reconnect and resume."""

    def __init__(self, ctx: LoadContext, index: int, token: str, churn: Churn) -> None:
        self.ctx = ctx
        self.token = token
        self.rng, self.plan = churn.plan(index)
        self.result = ClientResult(client=index, request_id=str(uuid.uuid4()), planned_drops=len(self.plan))
        self.seen: set[int] = set()
        self.max_seq = 0
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.log = ConnectionLog(sent={})
        self.sent_at = 0.0  # monotonic time of the makecall
        self.last_at: float | None = None  # previous job frame on this connection
        self.resumed_at: float | None = None  # resume sent, no job frame yet

    async def run(self) -> ClientResult:
        r = self.result
        try:
            try:
                self.ws = await self.ctx.connect(self.token)
                r.connected = True
            finally:
                self.ctx.connected.release()
            await self.ctx.start.wait()
            self.sent_at = time.monotonic()
            await self._send(
                {
                    "action": "makecall",
                    "prompt": self.ctx.prompt,
                    "timezone": self.ctx.timezone,
                    "request_id": r.request_id,
                }
            )
            await self._stream()
            if r.terminals:
                await self._linger()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            r.error = r.error or f"{type(exc).__name__}: {exc}"[:200]
        finally:
            if self.ws is not None:
                with contextlib.suppress(aiohttp.ClientError, TimeoutError, OSError):
                    await self.ws.close()
        # Every seq from 1 to the terminal one should have arrived exactly once.
        r.lost = len(set(range(1, (r.final_seq or self.max_seq) + 1)) - self.seen)
        return r

    async def _send(self, message: dict[str, Any]) -> None:
        assert self.ws is not None
        self.log = ConnectionLog(sent={k: v for k, v in message.items() if k not in ("prompt", "timezone")})
        self.result.connections.append(self.log)
        await self.ws.send_str(json.dumps(message))

    async def _stream(self) -> None:
        """Read to the terminal frame (or an error), dropping and resuming as planned."""
        r = self.result
        drop_at: float | None = None
        while True:
            assert self.ws is not None
            now = time.monotonic()
            if drop_at is None and self.plan and len(self.seen) >= self.plan[0]:
                drop_at = now + self.rng.uniform(0, DROP_JITTER_S)
            if drop_at is not None and now >= drop_at:
                self.plan.pop(0)
                drop_at = None
                await self._drop_and_resume()
                continue
            remaining = self.ctx.deadline - now
            if remaining <= 0:
                r.error = "timeout"
                return
            try:
                msg = await self.ws.receive(
                    timeout=remaining if drop_at is None else min(remaining, drop_at - now)
                )
            except TimeoutError:
                continue  # time to drop, or the deadline: both handled above
            if msg.type != aiohttp.WSMsgType.TEXT:
                r.error = f"connection {msg.type.name.lower()} before the final frame"
                return
            if self._handle(json.loads(msg.data)):
                return

    def _handle(self, body: dict[str, Any]) -> bool:
        """Account for one frame; True when the stream is over (terminal frame or error)."""
        r = self.result
        now = time.monotonic()
        self.log.frames.append(label(body))
        if body.get("request_id") not in (r.request_id, "", None):
            r.error = "frame for another request"
            return True
        kind, seq = body.get("type"), int(body.get("seq", -1))
        if seq == 0:  # acknowledgements from the action handler, outside the job's stream
            if kind == "status" and body.get("status") in ACKS:
                if body.get("status") == "accepted" and r.accepted_s is None:
                    r.accepted_s = now - self.sent_at
                return False
            r.error = f"{kind}: {body.get('code') or body.get('status')}: {body.get('message')}"
            return True
        if seq < 0:
            r.error = f"{kind} frame without a seq"
            return True
        self._account(body, seq)
        rel = now - self.sent_at
        if r.first_frame_s is None:
            r.first_frame_s = rel
        if kind == "text" and r.first_text_s is None:
            r.first_text_s = rel
        if self.last_at is not None:
            r.gaps_s.append(now - self.last_at)
        self.last_at = now
        if self.resumed_at is not None:
            r.resume_s.append(now - self.resumed_at)
            self.resumed_at = None
        if is_terminal(body):
            r.final_type, r.final_seq, r.final_s, r.final_at = str(kind), seq, rel, now
            if kind == "error":
                r.error = f"error frame: {body.get('code')}: {body.get('message')}"
            return True
        return False

    def _account(self, body: dict[str, Any], seq: int) -> None:
        r = self.result
        if r.terminals:
            r.after_terminal += 1
        if seq in self.seen:
            r.duplicates += 1
        elif seq < self.max_seq:
            r.out_of_order += 1
        self.seen.add(seq)
        self.max_seq = max(self.max_seq, seq)
        r.frames += 1
        if is_terminal(body):
            r.terminals += 1

    async def _linger(self) -> None:
        """Keep listening after the terminal frame: any job frame now is a violation."""
        end = time.monotonic() + self.ctx.linger_s
        while self.ws is not None and (left := end - time.monotonic()) > 0:
            try:
                msg = await self.ws.receive(timeout=left)
            except TimeoutError:
                return
            if msg.type != aiohttp.WSMsgType.TEXT:
                return
            body = json.loads(msg.data)
            self.log.frames.append(label(body))
            seq = int(body.get("seq", 0))
            if seq > 0 and body.get("request_id") == self.result.request_id:
                self._account(body, seq)

    async def _drop_and_resume(self) -> None:
        assert self.ws is not None
        await self.ws.close()  # frames still in flight to this socket are never read
        self.log.dropped = True
        self.result.drops += 1
        await asyncio.sleep(self.rng.uniform(0, RECONNECT_PAUSE_S))
        self.ws = await self.ctx.connect(self.token)
        self.last_at = None
        self.resumed_at = time.monotonic()
        await self._send(
            {"action": "resume", "request_id": self.result.request_id, "after_seq": self.max_seq}
        )


async def load(
    stack: benchlib.Stack,
    clients: int,
    timeout_s: float,
    prompt: str,
    timezone: str,
    *,
    churn: Churn = NO_CHURN,
    linger_s: float = 0.5,
) -> tuple[list[ClientResult], float]:
    """Run ``clients`` concurrent streams; returns their results and the wall time of the calls
    (first makecall to last terminal frame)."""
    tokens = await benchlib.id_tokens(stack, clients)
    ws_url = str(stack.config.get("websocketUrl") or f"{stack.base_url.replace('http', 'ws', 1)}/ws")
    benchlib.require_loopback(ws_url)
    connector = aiohttp.TCPConnector(limit=0)  # the default pool (100) would queue our connections
    async with aiohttp.ClientSession(connector=connector) as session:
        ctx = LoadContext(
            session=session,
            ws_url=ws_url,
            prompt=prompt,
            timezone=timezone,
            start=asyncio.Event(),
            connected=asyncio.Semaphore(0),
            deadline=time.monotonic() + timeout_s,
            linger_s=linger_s,
        )
        tasks = [asyncio.create_task(Client(ctx, i, t, churn).run()) for i, t in enumerate(tokens)]
        for _ in tokens:  # every connection is open (or has failed) before any call starts
            await asyncio.wait_for(ctx.connected.acquire(), max(0.1, ctx.deadline - time.monotonic()))
        began = time.monotonic()
        ctx.start.set()
        results = list(await asyncio.gather(*tasks))
    ends = [r.final_at for r in results if r.final_at is not None]
    return results, (max(ends) if ends else time.monotonic()) - began


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
    def values(name: str, among: Sequence[ClientResult] = results) -> list[float]:
        return [v for r in among if (v := getattr(r, name)) is not None]

    errors: dict[str, int] = {}
    for r in results:
        if r.error:
            key = r.error if len(r.error) <= 80 else r.error[:77] + "..."
            errors[key] = errors.get(key, 0) + 1
    churned = [r for r in results if r.drops]
    steady = [r for r in results if not r.drops]
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
        "double_terminal": sum(r.double_terminal for r in results),
        "after_terminal": sum(r.after_terminal for r in results),
        "no_terminal": sum(r.no_terminal for r in results),
        "violating_clients": sum(bool(r.violations) for r in results),
        "churn_planned": sum(bool(r.planned_drops) for r in results),
        "churned": len(churned),
        "planned_drops": sum(r.planned_drops for r in results),
        "drops": sum(r.drops for r in results),
        "wall_s": wall_s,
        "accepted": dist(values("accepted_s")),
        "first_frame": dist(values("first_frame_s")),
        "first_text": dist(values("first_text_s")),
        "final": dist(values("final_s")),
        "final_churned": dist(values("final_s", churned)),
        "final_not_churned": dist(values("final_s", steady)),
        "resume": dist([s for r in results for s in r.resume_s]),
        "gap": dist([g for r in results for g in r.gaps_s]),
        "mean_frames_per_call": statistics.fmean(r.frames for r in results) if results else 0.0,
    }


def passed(loaded: dict[str, Any]) -> bool:
    counters = (
        "lost",
        "out_of_order",
        "duplicates",
        "double_terminal",
        "after_terminal",
        "no_terminal",
        "errors",
    )
    return all(loaded[key] == 0 for key in counters)


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}"


def kib_to_mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def describe(r: ClientResult) -> str:
    """A client's request as a reproduction: counters, then each connection's opening message and frames."""
    lines = [
        f"client {r.client} (request {r.request_id}): lost {r.lost}, out of order {r.out_of_order}, "
        f"duplicates {r.duplicates}, terminal frames {r.terminals}, after terminal {r.after_terminal}, "
        f"accepted {'yes' if r.accepted_s is not None else 'no'}, "
        f"drops {r.drops}, error {r.error or '-'}"
    ]
    for i, conn in enumerate(r.connections, 1):
        lines.append(
            f"  connection {i} sent {json.dumps(conn.sent)}: {' '.join(conn.frames) or '(nothing)'}"
            + (" [dropped by the client]" if conn.dropped else "")
        )
    return "\n".join(lines)


def report(
    single: dict[str, dict[str, Any]],
    loaded: dict[str, Any],
    memory: dict[str, dict[str, int]],
    results: list[ClientResult],
    churn: Churn,
) -> None:
    def row(label: str, key: str) -> list[str]:
        d = loaded[key]
        cells = [label, ms(d["p50_ms"]), ms(d["p99_ms"]), ms(d["max_ms"])]
        for run in ("warm", "cold"):
            cells.append(ms(single[run][key]["p50_ms"]) if run in single and key in single[run] else "-")
        return cells

    keys = [
        ("accepted", "makecall -> accepted"),
        ("first_frame", "makecall -> first job frame"),
        ("first_text", "makecall -> first text"),
        ("final", "makecall -> final frame"),
    ]
    if churn.probability > 0:
        keys += [
            ("final_not_churned", f"  clients not churned ({loaded['clients'] - loaded['churned']})"),
            ("final_churned", f"  clients churned ({loaded['churned']})"),
            ("resume", "resume -> next job frame"),
        ]
    keys.append(("gap", "gap between frames"))
    rows = [row(label, key) for key, label in keys]
    print(benchlib.table(["latency (ms)", "p50", "p99", "max", "1 client, warm", "1 client, cold"], rows))
    if churn.probability > 0:
        print(
            f"\nchurn: p {churn.probability:g}, up to {churn.max_drops} drops after frame k in "
            f"1..{churn.frames}, seed {churn.seed}: {loaded['churn_planned']} clients planned to drop, "
            f"{loaded['churned']} churned, {loaded['drops']} drops of {loaded['planned_drops']} planned "
            "(a drop planned after the terminal frame never happens)"
        )
    print(
        f"\nclients {loaded['clients']}, connected {loaded['connected']}, "
        f"completed {loaded['completed']}, errors {loaded['errors']}; frames {loaded['frames']} "
        f"({loaded['mean_frames_per_call']:.1f} per call), lost {loaded['lost']}, "
        f"out of order {loaded['out_of_order']}, duplicates {loaded['duplicates']}, "
        f"double terminal {loaded['double_terminal']}, after terminal {loaded['after_terminal']}, "
        f"accepted without terminal {loaded['no_terminal']}; "
        f"all calls done in {loaded['wall_s']:.2f} s"
    )
    for kind, count in sorted(loaded["error_kinds"].items(), key=lambda kv: -kv[1]):
        print(f"  error x{count}: {kind}")
    violating = [r for r in results if r.violations]
    if violating:
        print(
            f"\nINVARIANT VIOLATIONS: {len(violating)} clients; the first {min(REPRO_SHOWN, len(violating))}:"
        )
        for r in violating[:REPRO_SHOWN]:
            print(describe(r))
    if memory:
        before, after = memory["before"], memory["after"]
        print(
            f"memory: stack process peak (VmHWM) {kib_to_mib(after['stack_hwm_kib'])} "
            f"(RSS {kib_to_mib(before['stack_rss_kib'])} before the load, "
            f"{kib_to_mib(after['stack_rss_kib'])} after); "
            f"children (DynamoDB Local) peak {kib_to_mib(after['children_hwm_kib'])}"
        )
    verdict = "PASS" if passed(loaded) else "FAIL"
    print(
        "targets: 0 lost, 0 out of order, 0 duplicates, 0 double terminal, 0 after terminal, "
        f"0 without terminal, 0 errors -> {verdict}"
    )


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
        # then again warm; the load runs warm too, as a warm Lambda fleet would. No churn here.
        single: dict[str, dict[str, Any]] = {}
        for run in ("cold", "warm") if args.baseline else ("cold",):
            one, one_wall = await load(
                stack, 1, args.timeout, args.prompt, args.timezone, linger_s=args.linger
            )
            single[run] = summarise(one, one_wall)
        # Drops spread over a whole uncontended stream unless told otherwise.
        baseline_frames = round(single["warm" if args.baseline else "cold"]["mean_frames_per_call"])
        churn = Churn(args.churn, args.churn_max, args.churn_frames or max(1, baseline_frames), args.seed)
        if not args.baseline:
            single.clear()  # the cold call only warmed the stack up
        memory_before = stack.memory()
        results, wall = await load(
            stack, args.clients, args.timeout, args.prompt, args.timezone, churn=churn, linger_s=args.linger
        )
        memory = {"before": memory_before, "after": stack.memory()} if stack.pid else {}
        loaded = summarise(results, wall)
        report(single, loaded, memory, results, churn)
        return {
            "config": vars(args),
            "single_client": single,
            "load": loaded,
            "memory": memory,
            "clients": [asdict(r) | {"gaps_s": None} for r in results if r.error or r.violations],
            "passed": passed(loaded),
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
    parser.add_argument(
        "--churn",
        type=float,
        default=0.0,
        metavar="P",
        help="probability that a client drops and resumes mid-stream (0..1, default 0)",
    )
    parser.add_argument(
        "--churn-max", type=int, default=2, metavar="M", help="most drops per churning client (default 2)"
    )
    parser.add_argument(
        "--churn-frames",
        type=int,
        metavar="K",
        help="drop i comes after the client has seen k_i frames, k_i drawn in 1..K "
        "(default: the frames of the 1-client run's stream)",
    )
    parser.add_argument("--seed", type=int, help="seed of the churn plan (default: random, printed)")
    parser.add_argument(
        "--linger",
        type=float,
        default=0.5,
        help="seconds each client keeps listening after its terminal frame (default 0.5)",
    )
    parser.add_argument("--json", action="store_true", help="also write bench/results/load_ws-*.json")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS or args.timeout <= 0:
        parser.error(f"--clients must be 1..{MAX_CLIENTS} and --timeout > 0")
    if (
        not 0 <= args.churn <= 1
        or args.churn_max < 1
        or (args.churn_frames is not None and args.churn_frames < 1)
        or args.linger < 0
    ):
        parser.error("--churn must be 0..1, --churn-max and --churn-frames >= 1, --linger >= 0")
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 32)
    results = asyncio.run(bench(args))
    if args.json:
        print(f"\nwrote {benchlib.write_results('load_ws', results)}")
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
