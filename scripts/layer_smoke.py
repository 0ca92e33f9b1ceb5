"""Layer smoke test: every function of template.yaml, imported and invoked from the shipped layer.

What Lambda does with the deployed stack, as closely as one x86_64 machine can:

1. Builds the layer the way ``layers/calledit/Makefile`` does (read from the Makefile: its pip
   flags, requirements file, package copy with its exclusions, bytecode mode), except that the
   wheels are for this machine's architecture instead of arm64 (arm64 wheels cannot be imported
   here). The installed requirements are cached under ``.ci/.layer-smoke/`` by a hash of
   requirements.txt, the pip flags and the interpreter; the package is copied fresh every run.
2. Starts a moto server with the template's DynamoDB tables, SQS queues, Scheduler schedule groups
   and Cognito user pool + app client (IAM roles only get their names and ARNs), and signs a user
   up and in there for a real RS256 ID token (moto serves the pool's JWKS).
3. For every ``AWS::Serverless::Function`` runs a bare Python 3.12 (an empty venv, ``-I -B``) whose
   ``sys.path`` holds only the function's CodeUri, the layer's ``python/`` and what Lambda's
   runtime itself provides (boto3, after the layer), with only the function's environment from the
   template (resolved to the local resources) plus what Lambda sets; it imports the handler and
   invokes it with complete API Gateway events (``calledit.local.events``), Scheduler payloads or
   SQS events (received from the moto queue, as Lambda's poller delivers them) and a Lambda context.
   The WebSocket management API and the Lambda Invoke API are pointed at a loopback recorder, so the
   script can check the frames the handlers post and hand the action handler's async invoke on to
   the stream worker (run with the template's ``ModelProvider`` parameter set to ``offline``).

Which events a function gets depends on its handler module: ``CASES`` below (easy to extend; a
function whose module has no case fails with a message saying so). Prints one row per invocation
(function, import ms, invoke ms, result); exits 1 when anything failed, 2 when the smoke test could
not be set up. Run: ``.venv/bin/python scripts/layer_smoke.py`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from calledit.local import events as ev
from calledit.local.template import Intrinsics, LocalTemplate, load_yaml, read_template

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "template.yaml"
CACHE_DIR = REPO / ".ci" / ".layer-smoke"
MOTO_SERVER = Path(sys.executable).parent / "moto_server"
DEFAULT_PYENV_VERSION = "3.12.1"

STACK = "calledit-smoke"
REGION = "us-east-1"
ACCOUNT = "123456789012"
#: Template parameters for the run (the rest keep their defaults; --parameter adds to these): the
#: worker's model must need no network.
PARAMETERS = {"ModelProvider": "offline"}
#: What Lambda's Python runtime puts on sys.path after the layer (/var/runtime).
RUNTIME_PROVIDED = ("boto3",)
#: Env values the function fetches from AWS over HTTPS are served by moto locally.
JWKS_URL = re.compile(r"^https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/(?P<rest>[^/]+/\.well-known/.+)$")

USER_EMAIL = "smoke@example.com"
USER_PASSWORD = "Smoke-test-passw0rd!"  # noqa: S105 - a throwaway user in a throwaway moto server
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
SOURCE_IP = "198.51.100.23"


class SmokeError(Exception):
    """The smoke test cannot run (environment, Makefile or template it does not understand)."""


# ====================================================================== the layer, as the Makefile builds it


@dataclass(frozen=True)
class Recipe:
    """What layers/calledit/Makefile does, read from it."""

    source_dir: Path
    requirements: Path
    pip_flags: tuple[str, ...]  # the Makefile's, with the platform switched to this machine's
    package: str
    ignore: tuple[str, ...]
    invalidation_mode: str | None


_VALUE_FLAGS = {"--platform", "--implementation", "--python-version", "--abi", "--only-binary", "--no-binary"}
_DROPPED_FLAGS = {"--quiet", "-q", "--disable-pip-version-check"}


def host_platform(platform_tag: str) -> str:
    """``manylinux2014_aarch64`` -> ``manylinux2014_x86_64`` on an x86_64 machine (same glibc floor)."""
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    return re.sub(r"(aarch64|arm64|x86_64)$", machine, platform_tag)


def read_recipe(source_dir: Path) -> Recipe:
    """Parse the layer Makefile; fail loudly on anything this script would silently get wrong."""
    makefile = source_dir / "Makefile"
    text = makefile.read_text().replace("\\\n", " ")
    where = f"{makefile.relative_to(REPO)} changed; update scripts/layer_smoke.py (read_recipe)"
    pip_line = next((line for line in text.splitlines() if " pip install " in line), None)
    if pip_line is None:
        raise SmokeError(f"no 'pip install' line in {where}")
    tokens = shlex.split(pip_line.split(" pip install ", 1)[1])
    flags: list[str] = []
    requirements: str | None = None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        name, eq, inline = token.partition("=")
        if token in ("-r", "--requirement"):
            requirements, i = tokens[i + 1], i + 2
            continue
        if token == "--target":  # noqa: S105 - a pip flag, not a password
            i += 2
            continue
        if token in _DROPPED_FLAGS:
            i += 1
            continue
        if name in _VALUE_FLAGS:
            value = inline if eq else tokens[i + 1]
            i += 1 if eq else 2
            flags += [name, host_platform(value) if name == "--platform" else value]
            continue
        if not token.startswith("-") or "$(" in token:
            raise SmokeError(f"unexpected pip argument {token!r} in {where}")
        flags.append(token)
        i += 1
    if requirements is None:
        raise SmokeError(f"no -r requirements file in {where}")
    copy = re.search(r'copytree\(\s*"([^"]+)"', text)
    ignore = re.search(r"ignore_patterns\(([^)]*)\)", text)
    if copy is None or ignore is None:
        raise SmokeError(f"no shutil.copytree(..., ignore=shutil.ignore_patterns(...)) in {where}")
    mode = re.search(r"--invalidation-mode\s+(\S+)", text)
    return Recipe(
        source_dir=source_dir,
        requirements=source_dir / requirements,
        pip_flags=tuple(flags),
        package=copy.group(1),
        ignore=tuple(re.findall(r'"([^"]*)"', ignore.group(1))),
        invalidation_mode=mode.group(1) if mode else None,
    )


def python_version(python: Path) -> str:
    out = subprocess.run(  # noqa: S603 - our own interpreter path, fixed argv
        [str(python), "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def find_python(explicit: str | None, runtime: str) -> Path:
    """The interpreter for ``runtime`` (``python3.12``): --python, $LAYER_SMOKE_PYTHON, pyenv's
    $LAYER_SMOKE_PYENV_VERSION (default 3.12.1), or python3.12 on PATH."""
    want = runtime.removeprefix("python")
    candidates: list[str] = []
    for value in (explicit, os.environ.get("LAYER_SMOKE_PYTHON")):
        if value:
            candidates.append(value)
    if not candidates:
        pyenv = shutil.which("pyenv")
        if pyenv:
            env = {
                **os.environ,
                "PYENV_VERSION": os.environ.get("LAYER_SMOKE_PYENV_VERSION", DEFAULT_PYENV_VERSION),
            }
            found = subprocess.run(  # noqa: S603 - fixed argv
                [pyenv, "which", "python"], capture_output=True, text=True, env=env, check=False
            )
            if found.returncode == 0:
                candidates.append(found.stdout.strip())
        if on_path := shutil.which(runtime):
            candidates.append(on_path)
    for candidate in candidates:
        path = Path(candidate)
        try:
            version = python_version(path)
        except (OSError, subprocess.CalledProcessError):
            continue
        if version.rsplit(".", 1)[0] == want:
            return path
        if explicit or os.environ.get("LAYER_SMOKE_PYTHON"):
            raise SmokeError(f"{path} is Python {version}; the template's runtime is {runtime}")
    raise SmokeError(
        f"no Python {want} found (the template's runtime is {runtime}): install it with "
        f"`pyenv install {DEFAULT_PYENV_VERSION}` or pass --python"
    )


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _pip(python: Path, target: Path, flags: Sequence[str], args: Sequence[str]) -> None:
    proc = subprocess.run(  # noqa: S603 - our interpreter, flags from the Makefile
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--target",
            str(target),
            *flags,
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SmokeError(f"pip install {' '.join(args)} failed:\n{(proc.stderr or proc.stdout)[-4000:]}")


def _compile(python: Path, target: Path, mode: str | None) -> None:
    argv = [str(python), "-m", "compileall", "-q", "-j", "0"]
    if mode:
        argv += ["--invalidation-mode", mode]
    subprocess.run([*argv, str(target)], check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def _cached_install(
    python: Path, version: str, name: str, flags: Sequence[str], args: Sequence[str], mode: str | None
) -> tuple[Path, bool]:
    """``pip install --target`` once per (inputs hash); returns (dir, was it cached)."""
    digest = hashlib.sha256()
    for part in (version, platform.machine(), *flags, *args):
        digest.update(part.encode() + b"\0")
    for arg in args:
        if (path := Path(arg)).is_file():
            digest.update(path.read_bytes())
    key = digest.hexdigest()[:16]
    final = CACHE_DIR / f"{name}-{key}"
    if (final / ".complete").exists():
        return final, True
    for stale in CACHE_DIR.glob(f"{name}-*"):  # one version per kind: the cache does not grow
        shutil.rmtree(stale, ignore_errors=True)
    work = CACHE_DIR / f".{name}-{key}.{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    _pip(python, work, flags, args)
    _compile(python, work, mode)
    (work / ".complete").write_text(" ".join([*flags, *args]) + "\n")
    try:
        os.replace(work, final)
    except OSError:  # a concurrent run finished the same install first: use theirs
        shutil.rmtree(work, ignore_errors=True)
        if not (final / ".complete").exists():
            raise
    return final, False


@dataclass(frozen=True)
class Layer:
    """The built layer (``python`` as /opt/python) and the runtime's own packages."""

    python: Path
    runtime: Path
    cached: bool
    build_s: float
    size: int  # bytes, unzipped


#: Lambda's limit for a function's code and layers together, unzipped.
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build_layer(python: Path, recipe: Recipe, refresh: bool, run_dir: Path) -> Layer:
    """The layer in ``run_dir/layer/python``: cached requirements (hard links) + the package as it is now."""
    started = time.perf_counter()
    if refresh:
        for old in CACHE_DIR.glob("*-*"):
            if old.is_dir() and old.name.split("-")[0] in ("deps", "runtime"):
                shutil.rmtree(old)
    version = python_version(python)
    deps, deps_cached = _cached_install(
        python, version, "deps", recipe.pip_flags, ["-r", str(recipe.requirements)], recipe.invalidation_mode
    )
    runtime, runtime_cached = _cached_install(
        python, version, "runtime", recipe.pip_flags, list(RUNTIME_PROVIDED), recipe.invalidation_mode
    )
    layer = run_dir / "layer" / "python"
    shutil.copytree(
        deps, layer, symlinks=True, copy_function=_link_or_copy, ignore=shutil.ignore_patterns(".complete")
    )
    shutil.copytree(
        recipe.source_dir / recipe.package,
        layer / recipe.package,
        ignore=shutil.ignore_patterns(*recipe.ignore),
    )
    _compile(python, layer / recipe.package, recipe.invalidation_mode)
    elapsed = time.perf_counter() - started
    return Layer(layer, runtime, deps_cached and runtime_cached, elapsed, tree_size(layer))


def isolated_python(python: Path, version: str) -> Path:
    """An empty venv (no site-packages of its own): nothing importable but the stdlib."""
    venv = CACHE_DIR / f"venv-{version}"
    exe = venv / "bin" / "python"
    if not exe.exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([str(python), "-m", "venv", "--without-pip", str(venv)], check=True)  # noqa: S603
    return exe


# ====================================================================== the template


@dataclass
class Function:
    """One AWS::Serverless::Function, resolved for the local run."""

    logical_id: str
    name: str  # physical name
    handler: str
    module: str
    code_dir: Path
    layers: list[str]  # logical ids of the layers it uses
    environment: dict[str, str]
    timeout_s: int
    memory_mb: int
    runtime: str
    queues: list[str] = field(default_factory=list)  # ARNs of the queues its SQS events consume
    schedules: list[str] = field(default_factory=list)  # expressions of its Schedule/ScheduleV2 events


class Resolver(Intrinsics):
    """CloudFormation intrinsics against the local resources' physical ids; refuses what it cannot provide."""

    def __init__(
        self,
        raw: dict[str, Any],
        physical: dict[str, str],
        attributes: dict[str, str],
        parameters: Mapping[str, str],
    ) -> None:
        params: dict[str, Any] = {}
        for name, spec in raw.get("Parameters", {}).items():
            value = parameters.get(name, spec.get("Default", ""))
            params[name] = (
                [v.strip() for v in str(value).split(",")]
                if spec.get("Type") == "CommaDelimitedList"
                else str(value)
            )
        super().__init__(raw, params, STACK)
        self.physical = physical
        self.attributes = attributes  # "Logical.Attr" -> value

    def ref(self, name: str) -> Any:
        if name.endswith(".Alias") and name.removesuffix(".Alias") in self.physical:
            return f"{self.physical[name.removesuffix('.Alias')]}:live"  # SAM's AutoPublishAlias
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            return self.params[name]
        if name in self.physical:
            return self.physical[name]
        kind = self.resources.get(name, {}).get("Type", "no such resource")
        raise SmokeError(
            f"!Ref {name} ({kind}): the smoke test provides no local stand-in for it (CASES/provision)"
        )

    def get_att(self, target: str, attr: str) -> str:
        key = f"{target}.{attr}"
        if key not in self.attributes:
            raise SmokeError(f"!GetAtt {key}: the smoke test provides no local value for it")
        return self.attributes[key]

    def sub_value(self, key: str) -> str:
        if "." in key and key not in self.pseudo:
            return self.get_att(*key.split(".", 1))
        resolved = self.ref(key)
        return ",".join(resolved) if isinstance(resolved, list) else str(resolved)

    def unsupported(self, function: str) -> None:
        raise SmokeError(f"{function}: intrinsic not supported by scripts/layer_smoke.py")


def functions_of(raw: dict[str, Any], resolve: Resolver) -> list[Function]:
    glob = raw.get("Globals", {}).get("Function", {})
    out = []
    for logical, res in raw.get("Resources", {}).items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        props = res.get("Properties", {})

        def prop(key: str, default: Any = None, props: dict[str, Any] = props) -> Any:
            return props.get(key, glob.get(key, default))

        handler = str(prop("Handler", ""))
        if "." not in handler:
            raise SmokeError(
                f"{logical}: Handler {handler!r} is not module.function (only Python zip functions)"
            )
        env = {
            **(glob.get("Environment", {}).get("Variables") or {}),
            **(props.get("Environment", {}).get("Variables") or {}),
        }
        layers = [
            (layer.get("Ref") if isinstance(layer, dict) else layer) for layer in prop("Layers", []) or []
        ]
        events = [e for e in (props.get("Events") or {}).values() if isinstance(e, dict)]
        queues = [str(resolve(e["Properties"]["Queue"])) for e in events if e.get("Type") == "SQS"]
        schedules = [
            str(resolve(e.get("Properties", {}).get("ScheduleExpression", "")))
            for e in events
            if e.get("Type") in ("Schedule", "ScheduleV2")
        ]
        out.append(
            Function(
                logical_id=logical,
                name=f"{STACK}-{logical}",
                handler=handler,
                module=handler.rsplit(".", 1)[0],
                code_dir=(TEMPLATE.parent / str(prop("CodeUri", "."))).resolve(),
                layers=[str(layer) for layer in layers],
                environment={k: _env_value(resolve(v)) for k, v in env.items()},
                timeout_s=int(prop("Timeout", 3)),
                memory_mb=int(prop("MemorySize", 128)),
                runtime=str(prop("Runtime", "")),
                queues=queues,
                schedules=schedules,
            )
        )
    return out


def _env_value(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        raise SmokeError(f"environment value {value!r} did not resolve to a string")
    return str(value)


# ====================================================================== moto and the recorder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def moto_client(service: str, endpoint: str) -> Any:
    """A boto3 client for the moto server (dummy credentials)."""
    import boto3

    factory: Any = boto3.client  # the stubs accept literal service names only
    return factory(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="smoke",
        aws_secret_access_key="smoke",  # noqa: S106 - moto accepts anything
    )


@contextmanager
def moto_server(log_path: Path) -> Iterator[str]:
    """A moto server on a free loopback port, stopped on exit."""
    if not MOTO_SERVER.exists():
        raise SmokeError(f"{MOTO_SERVER} not found: run scripts/bootstrap (moto[server] is a dev dependency)")
    port = free_port()
    log = log_path.open("wb")
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise SmokeError(f"moto_server exited:\n{log_path.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/reset", data=b"", timeout=1):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SmokeError("moto_server did not start within 30 s") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@dataclass
class Request:
    at: float
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Recorder:
    """Loopback stand-in for the WebSocket management API and the Lambda Invoke API: records what the
    handlers send (moto answers them too, but keeps posted data where this script cannot see it)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
                with recorder.lock:
                    recorder.requests.append(
                        Request(time.time(), self.command, path, dict(self.headers), body)
                    )
                status, payload = 404, b'{"message":"not recorded"}'
                if "/@connections/" in path:
                    status, payload = (204, b"") if self.command == "DELETE" else (200, b"{}")
                    if self.command == "GET":
                        payload = json.dumps(
                            {"connectedAt": "2025-01-01T00:00:00.000Z", "identity": {"sourceIp": SOURCE_IP}}
                        ).encode()
                elif re.fullmatch(r"/2015-03-31/functions/[^/]+/invocations", path):
                    event = self.headers.get("X-Amz-Invocation-Type") == "Event"
                    status, payload = (202, b"") if event else (200, b"null")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def between(self, start: float, end: float) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if start - 0.05 <= r.at <= end + 0.05]

    def frames(self, connection_id: str, start: float, end: float) -> list[dict[str, Any]]:
        """Frames posted to ``connection_id`` in the window, decoded."""
        out = []
        for r in self.between(start, end):
            if r.method == "POST" and r.path.endswith(f"/@connections/{connection_id}"):
                try:
                    out.append(json.loads(r.body))
                except ValueError:
                    out.append({"undecodable": r.body[:200].decode("utf-8", "replace")})
        return out

    def invokes(self, start: float, end: float) -> list[tuple[str, str, dict[str, Any]]]:
        """(function name, invocation type, payload) of Lambda Invoke calls in the window."""
        out = []
        for r in self.between(start, end):
            m = re.fullmatch(r"/2015-03-31/functions/([^/]+)/invocations", r.path)
            if r.method == "POST" and m:
                kind = r.headers.get("X-Amz-Invocation-Type", "RequestResponse")
                # A name, an ARN or a name:alias; the function is what matters here.
                name = urllib.parse.unquote(m.group(1)).rsplit(":function:", 1)[-1].split(":")[0]
                out.append((name, kind, json.loads(r.body or b"{}")))
        return out


# ====================================================================== local AWS resources


@dataclass
class User:
    email: str
    sub: str
    id_token: str
    claims: dict[str, Any]


@dataclass
class World:
    """Everything the cases share: local resources, the user, the WebSocket connection."""

    moto: str
    recorder: Recorder
    template: LocalTemplate  # the wiring: WebSocket routes, authorizer, REST routes
    functions: dict[str, Function]
    tables: list[str]
    user: User
    origin: str
    rest_stage: str
    ws_api_id: str = field(default_factory=ev.new_api_id)
    rest_api_id: str = field(default_factory=ev.new_api_id)
    connection_id: str = field(default_factory=ev.new_connection_id)
    connected_at: int = field(default_factory=ev.now_ms)
    authorizer_context: dict[str, Any] | None = None
    worker_payloads: list[dict[str, Any]] = field(default_factory=list)
    queues: dict[str, str] = field(default_factory=dict)  # the template's queues: ARN -> URL
    saved: list[tuple[str, str]] = field(default_factory=list)  # (user id, prediction id) a case saved
    verify_records: list[dict[str, Any]] = field(default_factory=list)  # SQS records for the verifier

    def aws(self, service: str) -> Any:
        return moto_client(service, self.moto)

    def ws(self) -> dict[str, Any]:
        """The WebSocket connection's arguments for the event builders."""
        return {
            "connection_id": self.connection_id,
            "api_id": self.ws_api_id,
            "stage": self.template.ws_stage,
            "region": REGION,
            "source_ip": SOURCE_IP,
            "user_agent": BROWSER,
            "connected_at": self.connected_at,
        }

    def authorizer(self) -> dict[str, Any]:
        """The connection's authorizer context: the authorizer function's, else the one it should give."""
        if self.authorizer_context is not None:
            return self.authorizer_context
        policy = {"principalId": self.user.sub, "context": {"sub": self.user.sub, "email": self.user.email}}
        return ev.ws_authorizer_context(policy, integration_latency_ms=50)

    def items_mentioning(self, value: str) -> int:
        """How many items of the template's tables have an attribute equal to ``value``."""
        client, count = self.aws("dynamodb"), 0
        for table in self.tables:
            for page in client.get_paginator("scan").paginate(TableName=table):
                count += sum(1 for item in page["Items"] if any(v.get("S") == value for v in item.values()))
        return count


#: AWS::SQS::Queue properties that are queue attributes as they are (RedrivePolicy is set once every
#: queue exists: it names another queue's ARN).
QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "SqsManagedSseEnabled",
)


def _attribute(value: Any) -> str:
    """A CloudFormation property value as an SQS attribute string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def create_queues(
    raw: dict[str, Any],
    moto: str,
    parameters: Mapping[str, str],
    physical: dict[str, str],
    attributes: dict[str, str],
) -> None:
    """Every AWS::SQS::Queue in moto (Ref: its URL; GetAtt Arn, QueueName, QueueUrl)."""
    sqs = moto_client("sqs", moto)
    pre = Resolver(raw, {}, {}, parameters)
    queues = {
        k: r.get("Properties", {})
        for k, r in raw.get("Resources", {}).items()
        if r.get("Type") == "AWS::SQS::Queue"
    }
    for logical, props in queues.items():
        fifo = bool(pre(props.get("FifoQueue", False)))
        name = str(pre(props.get("QueueName", f"{STACK}-{logical}{'.fifo' if fifo else ''}")))
        settings = {k: _attribute(pre(props[k])) for k in QUEUE_ATTRIBUTES if k in props}
        url = str(sqs.create_queue(QueueName=name, Attributes=settings)["QueueUrl"])
        arn = str(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        )
        physical[logical] = url
        attributes.update({f"{logical}.Arn": arn, f"{logical}.QueueName": name, f"{logical}.QueueUrl": url})
    resolve = Resolver(raw, physical, attributes, parameters)
    for logical, props in queues.items():
        policies = {k: resolve(props[k]) for k in ("RedrivePolicy", "RedriveAllowPolicy") if k in props}
        if policies:
            sqs.set_queue_attributes(
                QueueUrl=physical[logical], Attributes={k: _attribute(v) for k, v in policies.items()}
            )


def provision(
    raw: dict[str, Any], moto: str, parameters: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str], list[str], User]:
    """Create the template's tables, queues, schedule groups and user pool (+ clients) in moto; sign a
    user up and in. Returns (physical ids, GetAtt values, table names, user)."""
    from calledit.local.dynamodb import create_tables

    resources: dict[str, Any] = raw.get("Resources", {})
    physical: dict[str, str] = {}
    attributes: dict[str, str] = {}
    pre = Resolver(raw, {}, {}, parameters)  # for names built from parameters / pseudo parameters only
    tables: dict[str, dict[str, Any]] = {}
    for logical, res in resources.items():
        kind = res.get("Type")
        props = res.get("Properties", {})
        if kind == "AWS::DynamoDB::Table":
            name = f"{STACK}-{logical}"
            tables[name] = res.get("Properties", {})
            physical[logical] = name
            attributes[f"{logical}.Arn"] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
        elif kind == "AWS::CloudFront::Distribution":
            physical[logical] = "E2SMOKETEST"
            attributes[f"{logical}.DomainName"] = "d1smoketest.cloudfront.net"
        elif kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            physical[logical] = f"{STACK}-{logical}"
            attributes[f"{logical}.Arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{STACK}-{logical}"
        elif kind == "AWS::Scheduler::ScheduleGroup":
            name = str(pre(props.get("Name", f"{STACK}-{logical}")))
            group = moto_client("scheduler", moto).create_schedule_group(Name=name)
            physical[logical] = name
            attributes[f"{logical}.Arn"] = str(group["ScheduleGroupArn"])
        elif kind == "AWS::IAM::Role":  # nothing to create: moto does not enforce IAM
            name = str(pre(props.get("RoleName", f"{STACK}-{logical}")))
            physical[logical] = name
            attributes[f"{logical}.Arn"] = f"arn:aws:iam::{ACCOUNT}:role{props.get('Path', '/')}{name}"
            attributes[f"{logical}.RoleId"] = f"AROA{hashlib.sha256(name.encode()).hexdigest()[:17].upper()}"
        elif kind in ("AWS::ApiGatewayV2::Api", "AWS::Serverless::Api"):
            physical[logical] = ev.new_api_id()
            scheme = "wss" if props.get("ProtocolType") == "WEBSOCKET" else "https"
            attributes[f"{logical}.ApiEndpoint"] = (
                f"{scheme}://{physical[logical]}.execute-api.{REGION}.amazonaws.com"
            )
    create_tables(moto_client("dynamodb", moto), tables)
    create_queues(raw, moto, parameters, physical, attributes)

    cognito = moto_client("cognito-idp", moto)
    pools = [k for k, r in resources.items() if r.get("Type") == "AWS::Cognito::UserPool"]
    clients = [k for k, r in resources.items() if r.get("Type") == "AWS::Cognito::UserPoolClient"]
    if len(pools) != 1 or not clients:
        raise SmokeError(f"expected one AWS::Cognito::UserPool and an app client, found {pools} / {clients}")
    pool_props = resources[pools[0]].get("Properties", {})
    pool_args = {
        k: pre(pool_props[k])
        for k in ("UsernameAttributes", "AutoVerifiedAttributes", "Policies", "AccountRecoverySetting")
        if k in pool_props
    }
    pool_name = str(pre(pool_props.get("UserPoolName", f"{STACK}-users")))
    pool = cognito.create_user_pool(PoolName=pool_name, **pool_args)["UserPool"]
    physical[pools[0]] = pool["Id"]
    attributes[f"{pools[0]}.Arn"] = pool["Arn"]
    attributes[f"{pools[0]}.ProviderURL"] = f"cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"
    client_ids = []
    for logical in clients:
        props = resources[logical].get("Properties", {})
        args = {
            k: pre(props[k])
            for k in ("GenerateSecret", "ExplicitAuthFlows", "PreventUserExistenceErrors")
            if k in props
        }
        client = cognito.create_user_pool_client(
            UserPoolId=pool["Id"], ClientName=str(pre(props.get("ClientName", logical))), **args
        )["UserPoolClient"]
        physical[logical] = client["ClientId"]
        client_ids.append(client["ClientId"])
    username_is_email = "email" in (pool_args.get("UsernameAttributes") or [])
    username = USER_EMAIL if username_is_email else "smoke-user"
    signed = cognito.sign_up(
        ClientId=client_ids[0],
        Username=username,
        Password=USER_PASSWORD,
        UserAttributes=[{"Name": "email", "Value": USER_EMAIL}],
    )
    cognito.admin_confirm_sign_up(UserPoolId=pool["Id"], Username=username)
    auth = cognito.initiate_auth(
        ClientId=client_ids[0],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": USER_PASSWORD},
    )
    token = auth["AuthenticationResult"]["IdToken"]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return physical, attributes, list(tables), User(USER_EMAIL, signed["UserSub"], token, claims)


def localize(value: str, moto: str) -> str:
    """Point URLs a function fetches from AWS itself (the pool's JWKS) at moto."""
    m = JWKS_URL.match(value)
    return f"{moto}/{m.group('rest')}" if m else value


def lambda_environment(fn: Function, world: World) -> dict[str, str]:
    """The function's environment from the template, localized, plus what Lambda itself sets."""
    env = {k: localize(v, world.moto) for k, v in fn.environment.items()}
    lambda_set = {
        "AWS_LAMBDA_FUNCTION_NAME": fn.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"2025/01/01/[$LATEST]{uuid.uuid4().hex}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "ASIASMOKETEST",
        "AWS_SECRET_ACCESS_KEY": "smoke",
        "AWS_SESSION_TOKEN": "smoke",
        "LAMBDA_TASK_ROOT": str(fn.code_dir),
        "_HANDLER": fn.handler,
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
    reserved = sorted(set(env) & set(lambda_set))
    if reserved:
        raise SmokeError(f"{fn.logical_id} sets Lambda-reserved environment variables: {', '.join(reserved)}")
    local = {
        "AWS_ENDPOINT_URL": world.moto,  # DynamoDB (and anything else boto3 calls) -> moto
        "AWS_ENDPOINT_URL_LAMBDA": world.recorder.url,  # async invokes are recorded, then run by us
        "CALLEDIT_MANAGEMENT_ENDPOINT": world.recorder.url,  # frames posted to connections are recorded
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return {**env, **lambda_set, **local}


# ====================================================================== invoking one function


CHILD = r"""
import importlib, json, sys, time, traceback
spec = json.load(open(sys.argv[1]))
sys.path[:0] = spec["front"]
sys.path.extend(spec["back"])
out = {"import_ms": None, "import_error": None, "results": []}

def save():
    with open(spec["output"], "w") as f:
        json.dump(out, f, default=repr)

class Context:
    def __init__(self, deadline):
        self._deadline = deadline
        self.function_name = spec["function_name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec["function_arn"]
        self.memory_limit_in_mb = spec["memory_mb"]
        self.aws_request_id = spec["request_id"] + "-" + str(len(out["results"]))
        self.log_group_name = "/aws/lambda/" + spec["function_name"]
        self.log_stream_name = "2025/01/01/[$LATEST]smoke"
        self.identity = None
        self.client_context = None
        self.tenant_id = None
    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))

started = time.perf_counter()
try:
    module_name, _, attr = spec["handler"].rpartition(".")
    handler = getattr(importlib.import_module(module_name), attr)
except BaseException:
    out["import_error"] = traceback.format_exc()
    save()
    sys.exit(3)
out["import_ms"] = (time.perf_counter() - started) * 1000
for event in spec["events"]:
    context = Context(time.monotonic() + spec["timeout_s"])
    t0, wall0 = time.perf_counter(), time.time()
    try:
        result = handler(event, context)
        row = {"ok": True, "result": result}
    except BaseException as exc:
        row = {"ok": False, "error_type": type(exc).__name__, "error": str(exc)}
        row["traceback"] = traceback.format_exc()
    row.update(ms=(time.perf_counter() - t0) * 1000, start=wall0, end=time.time())
    out["results"].append(row)
    save()
save()
"""


@dataclass
class Outcome:
    """One invocation's result as the child reported it."""

    ok: bool
    ms: float
    start: float
    end: float
    result: Any = None
    error_type: str = ""
    error: str = ""
    traceback: str = ""


@dataclass
class Run:
    """A function's subprocess: import time, outcomes, output (for failures)."""

    import_ms: float | None
    import_error: str | None
    outcomes: list[Outcome]
    output: str


def run_function(
    fn: Function,
    events: Sequence[dict[str, Any]],
    world: World,
    python: Path,
    layer: Layer,
    layer_dirs: dict[str, Path],
) -> Run:
    front = [str(fn.code_dir)]
    for logical in fn.layers:
        if logical not in layer_dirs:
            raise SmokeError(f"{fn.logical_id} uses layer {logical}, which this script does not build")
        front += [
            str(layer_dirs[logical] / "lib" / f"{fn.runtime}" / "site-packages"),
            str(layer_dirs[logical]),
        ]
    with tempfile.TemporaryDirectory(prefix="layer-smoke-") as tmp:
        spec_path, out_path = Path(tmp) / "spec.json", Path(tmp) / "out.json"
        spec_path.write_text(
            json.dumps(
                {
                    "front": front,
                    "back": [str(layer.runtime)],
                    "handler": fn.handler,
                    "events": list(events),
                    "output": str(out_path),
                    "function_name": fn.name,
                    "function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{fn.name}",
                    "memory_mb": str(fn.memory_mb),
                    "timeout_s": fn.timeout_s,
                    "request_id": str(uuid.uuid4()),
                }
            )
        )
        try:
            proc = subprocess.run(  # noqa: S603 - our interpreter and script
                [str(python), "-I", "-B", "-c", CHILD, str(spec_path)],
                cwd=fn.code_dir,
                env=lambda_environment(fn, world),
                capture_output=True,
                text=True,
                timeout=min(fn.timeout_s * max(1, len(events)) + 60, 900),
                check=False,
            )
            output = (proc.stdout + proc.stderr)[-6000:]
        except subprocess.TimeoutExpired as exc:
            output = f"timed out after {exc.timeout:.0f} s"
        data: dict[str, Any] = json.loads(out_path.read_text()) if out_path.exists() else {}
    outcomes = [Outcome(**row) for row in data.get("results", [])]
    import_error = data.get("import_error")
    if not data:
        import_error = f"the child interpreter reported nothing:\n{output}"
    return Run(data.get("import_ms"), import_error, outcomes, output)


# ====================================================================== cases: which events each handler gets


@dataclass
class Invocation:
    """One event for a function and how to judge what came back (None: fine; str: the problem)."""

    label: str
    event: dict[str, Any]
    check: Callable[[Outcome, World], str | None]


@dataclass
class Case:
    """What to do with a handler module: order among the cases, and its invocations."""

    order: int
    invocations: Callable[[Function, World], list[Invocation]]


def _status(outcome: Outcome, *allowed: int) -> str | None:
    if not outcome.ok:
        return f"raised {outcome.error_type}: {outcome.error}"
    result = outcome.result
    if not isinstance(result, dict) or "statusCode" not in result:
        return f"returned {str(result)[:120]} (no statusCode)"
    if int(result["statusCode"]) not in allowed:
        expected = "/".join(map(str, allowed))
        return f"statusCode {result['statusCode']}, expected {expected}: {str(result.get('body'))[:160]}"
    return None


def _routes_of(fn: Function, world: World) -> list[str]:
    return [route for route, target in world.template.ws_routes.items() if target == fn.logical_id]


# --- $connect authorizer


def authorizer_case(fn: Function, world: World) -> list[Invocation]:
    if world.template.ws_authorizer != fn.logical_id:
        raise SmokeError(
            f"{fn.logical_id} ({fn.handler}) is not the WebSocket API's authorizer in template.yaml"
        )
    source = world.template.ws_identity_source
    headers = {"Origin": world.origin}

    def allowed(outcome: Outcome, world: World) -> str | None:
        if not outcome.ok:
            return f"raised {outcome.error_type}: {outcome.error}"
        policy = outcome.result or {}
        statement = ((policy.get("policyDocument") or {}).get("Statement") or [{}])[0]
        if statement.get("Effect") != "Allow" or policy.get("principalId") != world.user.sub:
            return f"no Allow policy for the user: {str(policy)[:200]}"
        world.authorizer_context = ev.ws_authorizer_context(policy, integration_latency_ms=int(outcome.ms))
        return None

    def refused(outcome: Outcome, world: World) -> str | None:
        if outcome.ok:
            return f"a forged token was accepted: {str(outcome.result)[:160]}"
        return None if outcome.error == "Unauthorized" else f"raised {outcome.error_type}: {outcome.error}"

    head, payload, signature = world.user.id_token.split(".")
    forged = f"{head}.{payload}.{signature[:-4]}{'AAAA' if not signature.endswith('AAAA') else 'BBBB'}"
    return [
        Invocation(
            "valid ID token",
            ev.ws_authorizer_event(
                **world.ws(), account_id=ACCOUNT, query={source: world.user.id_token}, headers=headers
            ),
            allowed,
        ),
        Invocation(
            "forged signature",
            ev.ws_authorizer_event(**world.ws(), account_id=ACCOUNT, query={source: forged}, headers=headers),
            refused,
        ),
    ]


# --- $connect / $disconnect


def connect_case(fn: Function, world: World) -> list[Invocation]:
    if "$connect" not in _routes_of(fn, world):
        raise SmokeError(f"{fn.logical_id} ({fn.handler}) is not the $connect route's integration")
    before = world.items_mentioning(world.connection_id)

    def check(outcome: Outcome, world: World) -> str | None:
        if problem := _status(outcome, 200):
            return problem
        if world.items_mentioning(world.connection_id) <= before:
            return "returned 200 but stored nothing about the connection"
        return None

    query = {world.template.ws_identity_source: world.user.id_token}
    event = ev.ws_connect_event(
        **world.ws(), query=query, headers={"Origin": world.origin}, authorizer=world.authorizer()
    )
    return [Invocation("authorized $connect", event, check)]


def disconnect_case(fn: Function, world: World) -> list[Invocation]:
    if "$disconnect" not in _routes_of(fn, world):
        raise SmokeError(f"{fn.logical_id} ({fn.handler}) is not the $disconnect route's integration")
    before = world.items_mentioning(world.connection_id)

    def check(outcome: Outcome, world: World) -> str | None:
        if problem := _status(outcome, 200):
            return problem
        if before and world.items_mentioning(world.connection_id) >= before:
            return "returned 200 but the connection record is still there"
        return None

    event = ev.ws_disconnect_event(
        **world.ws(), status_code=1001, reason="Going away", authorizer=world.authorizer()
    )
    return [Invocation("$disconnect 1001", event, check)]


# --- message routes


def actions_case(fn: Function, world: World) -> list[Invocation]:
    routes = _routes_of(fn, world)
    missing = {"ping", "makecall"} - set(routes)
    if missing:
        raise SmokeError(
            f"{fn.logical_id} ({fn.handler}) does not serve the routes {sorted(missing)} (serves {routes})"
        )
    cid = world.connection_id
    request_id = f"smoke-{uuid.uuid4().hex[:12]}"

    def message(route: str, body: dict[str, Any]) -> dict[str, Any]:
        return ev.ws_message_event(
            **world.ws(), route_key=route, body=json.dumps(body), authorizer=world.authorizer()
        )

    def pong(outcome: Outcome, world: World) -> str | None:
        if problem := _status(outcome, 200):
            return problem
        frames = world.recorder.frames(cid, outcome.start, outcome.end)
        if not any(f.get("status") == "pong" for f in frames):
            return f"no pong frame posted to the connection (posted: {frames})"
        return None

    def accepted(outcome: Outcome, world: World) -> str | None:
        if problem := _status(outcome, 200):
            return problem
        frames = world.recorder.frames(cid, outcome.start, outcome.end)
        if errors := [f for f in frames if f.get("type") == "error"]:
            return f"error frame: {errors[0]}"
        if not frames:
            return "no frame posted to the connection"
        invokes = world.recorder.invokes(outcome.start, outcome.end)
        names = {f.name for f in world.functions.values()}
        started = [(name, kind, payload) for name, kind, payload in invokes if name in names]
        if not started:
            got = [name for name, _, _ in invokes] or "nothing"
            return f"did not invoke a function of the stack (invoked: {got}); check STREAM_WORKER_FUNCTION"
        if started[0][1] != "Event":
            return (
                f"invoked {started[0][0]} synchronously ({started[0][1]}), expected an async (Event) invoke"
            )
        world.worker_payloads.append(started[0][2])
        return None

    return [
        Invocation("ping", message("ping", {"action": "ping"}), pong),
        Invocation(
            "makecall",
            message(
                "makecall",
                {
                    "action": "makecall",
                    "request_id": request_id,
                    "prompt": "It will snow in Oslo on Christmas Day 2030",
                    "timezone": "Europe/Oslo",
                },
            ),
            accepted,
        ),
    ]


# --- the stream worker (async invoke from the action handler)


def worker_case(fn: Function, world: World) -> list[Invocation]:
    if world.worker_payloads:
        payload, label = world.worker_payloads[-1], "payload of ws makecall"
    else:  # the action handler did not run or failed: queue a job ourselves
        payload, label = _queue_job(fn, world), "job queued by the script"

    def check(outcome: Outcome, world: World) -> str | None:
        from calledit.protocol import is_terminal

        if not outcome.ok:
            return f"raised {outcome.error_type}: {outcome.error}"
        status = (outcome.result or {}).get("status") if isinstance(outcome.result, dict) else None
        frames = world.recorder.frames(world.connection_id, outcome.start, outcome.end)
        if status != "completed":
            last = frames[-1] if frames else "no frame posted"
            return f"job ended {status!r}: {str(outcome.result)[:160]}; last frame: {last}"
        if not frames or not is_terminal(frames[-1]):
            return f"no terminal frame posted ({len(frames)} frames)"
        return None

    return [Invocation(label, payload, check)]


def _queue_job(fn: Function, world: World) -> dict[str, Any]:
    from calledit.storage.jobs import JobStore

    table = fn.environment.get("JOBS_TABLE")
    if not table:
        raise SmokeError(f"{fn.logical_id} has no JOBS_TABLE in its environment")
    request_id = f"smoke-{uuid.uuid4().hex[:12]}"
    with _layer_on_moto(world):
        JobStore(table).create(
            world.user.sub,
            request_id,
            connection_id=world.connection_id,
            endpoint=world.recorder.url,
            prompt="It will snow in Oslo on Christmas Day 2030",
            timezone="Europe/Oslo",
        )
    return {"user_id": world.user.sub, "request_id": request_id}


@contextmanager
def _layer_on_moto(world: World) -> Iterator[None]:
    """The layer's own stores, in this process, against the moto server (for seeding data)."""
    from calledit.aws import reset_clients

    saved = {
        k: os.environ.get(k)
        for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    }
    os.environ.update(
        AWS_ENDPOINT_URL=world.moto,
        AWS_ACCESS_KEY_ID="smoke",
        AWS_SECRET_ACCESS_KEY="smoke",  # noqa: S106 - moto accepts anything
        AWS_DEFAULT_REGION=REGION,
    )
    reset_clients()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_clients()


# --- REST API


def _cors_problem(result: dict[str, Any], origin: str) -> str | None:
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    headers.update({k.lower(): ",".join(v) for k, v in (result.get("multiValueHeaders") or {}).items()})
    if headers.get("access-control-allow-origin") != origin:
        return f"no CORS header for the allowed origin {origin} (check ALLOWED_ORIGINS)"
    return None


def _rest_common(world: World) -> dict[str, Any]:
    """``ev.rest_event`` arguments every REST request of the run shares."""
    return {
        "stage": world.rest_stage,
        "api_id": world.rest_api_id,
        "account_id": ACCOUNT,
        "region": REGION,
        "source_ip": SOURCE_IP,
        "user_agent": BROWSER,
    }


def rest_case(fn: Function, world: World) -> list[Invocation]:
    """An authorized GET of a list route (claims of the moto user), and the CORS preflight if the
    template routes OPTIONS to the function without authorizer (no ``authorizer`` in the event)."""
    mine = [r for r in world.template.rest_routes if r.function == fn.logical_id]
    gets = sorted(
        (r for r in mine if r.method == "GET" and "{" not in r.path and r.authorized),
        key=lambda r: len(r.path),
    )
    if not gets:
        raise SmokeError(
            f"{fn.logical_id} ({fn.handler}) has no authorized GET route without path parameters"
        )
    common = _rest_common(world)
    route = gets[0]
    get = ev.rest_event(
        method="GET",
        resource=route.path,
        path=route.path,
        headers={
            "Accept": "application/json",
            "Authorization": f"Bearer {world.user.id_token}",
            "Origin": world.origin,
        },
        claims=world.user.claims,
        **common,
    )

    def listed(outcome: Outcome, world: World) -> str | None:
        if problem := _status(outcome, 200):
            return problem
        try:
            json.loads(outcome.result.get("body") or "null")
        except ValueError:
            return f"body is not JSON: {str(outcome.result.get('body'))[:120]}"
        return _cors_problem(outcome.result, world.origin)

    def preflighted(outcome: Outcome, world: World) -> str | None:
        return _status(outcome, 200, 204) or _cors_problem(outcome.result, world.origin)

    invocations = [Invocation(f"GET {route.path}", get, listed)]
    for pre in (r for r in mine if r.method == "OPTIONS" and not r.authorized):
        concrete = re.sub(r"\{\w+\+?\}", route.path.strip("/"), pre.path)  # /{proxy+} -> /predictions
        params = pre.match("OPTIONS", concrete)
        event = ev.rest_event(
            method="OPTIONS",
            resource=pre.path,
            path=concrete,
            path_parameters=params,
            headers={
                "Origin": world.origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
            claims=None,
            **common,
        )
        invocations.append(Invocation(f"OPTIONS {concrete} (no auth)", event, preflighted))
    return invocations


#: A call whose date has passed and that the offline verifier settles alone (a calendar fact).
DUE_CALL: dict[str, Any] = {
    "prediction_statement": "1 January 2024 was a Monday",
    "verification_date": "2024-01-01T22:59:59Z",
    "date_reasoning": "The end of 1 January 2024 in Oslo.",
    "verification_method": {
        "source": ["A calendar"],
        "criteria": ["1 January 2024 is a Monday"],
        "steps": ["Look up the weekday of 1 January 2024"],
    },
    "verifiable_category": "current_tool_verifiable",
    "category_reasoning": "A calendar fact: knowing the date settles it.",
}
DUE_CALL_TIMEZONE = "Europe/Oslo"
#: A call whose date is years away: saving it schedules its verification.
FUTURE_CALL: dict[str, Any] = {
    **DUE_CALL,
    "prediction_statement": "1 January 2030 will be a Tuesday",
    "verification_date": "2030-01-01T22:59:59Z",
    "date_reasoning": "The end of 1 January 2030 in Oslo.",
    "verification_method": {
        "source": ["A calendar"],
        "criteria": ["1 January 2030 is a Tuesday"],
        "steps": ["Look up the weekday of 1 January 2030"],
    },
}


def predictions_case(fn: Function, world: World) -> list[Invocation]:
    """Log Call (POST) of a call whose date has passed, for the sweeper and the verifier after it;
    of a future call, whose verification schedule must exist when the function is given a
    scheduler; then ``rest_case``."""
    posts = [
        r
        for r in world.template.rest_routes
        if r.function == fn.logical_id and r.method == "POST" and r.path == "/predictions" and r.authorized
    ]
    if not posts:
        raise SmokeError(f"{fn.logical_id} ({fn.handler}) has no authorized POST /predictions route")

    def post(call: dict[str, Any]) -> dict[str, Any]:
        body = {
            "request_id": f"smoke-{uuid.uuid4().hex[:12]}",
            "prediction": call,
            "timezone": DUE_CALL_TIMEZONE,
            "model": "offline-heuristic",
        }
        return ev.rest_event(
            method="POST",
            resource=posts[0].path,
            path=posts[0].path,
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                "Authorization": f"Bearer {world.user.id_token}",
                "Origin": world.origin,
            },
            body=json.dumps(body),
            claims=world.user.claims,
            **_rest_common(world),
        )

    def saved_id(outcome: Outcome) -> tuple[str | None, str | None]:
        """(prediction id, problem) of a Log Call answer."""
        if problem := _status(outcome, 201):
            return None, problem
        try:
            item = json.loads(outcome.result.get("body") or "null")
        except ValueError:
            return None, f"body is not JSON: {str(outcome.result.get('body'))[:120]}"
        if not isinstance(item, dict) or not item.get("prediction_id") or item.get("status") != "pending":
            return None, f"expected the saved call (pending, with a prediction_id): {str(item)[:160]}"
        return str(item["prediction_id"]), _cors_problem(outcome.result, world.origin)

    def due_saved(outcome: Outcome, world: World) -> str | None:
        prediction_id, problem = saved_id(outcome)
        if prediction_id:
            world.saved.append((world.user.sub, prediction_id))
        return problem

    def scheduled(outcome: Outcome, world: World) -> str | None:
        prediction_id, problem = saved_id(outcome)
        return problem or _schedule_problem(fn, world, str(prediction_id))

    return [
        Invocation("POST /predictions (date passed)", post(DUE_CALL), due_saved),
        Invocation("POST /predictions (future: scheduled)", post(FUTURE_CALL), scheduled),
        *rest_case(fn, world),
    ]


def _schedule_problem(fn: Function, world: World, prediction_id: str) -> str | None:
    """When the function is given a queue and a role for schedules, the save created the prediction's
    one-time schedule into that queue (the handler only logs a failure: the sweep is the safety net)."""
    from botocore.exceptions import ClientError

    from calledit.verification.schedules import schedule_name

    env = fn.environment
    if not (env.get("VERIFY_QUEUE_ARN") and env.get("SCHEDULER_ROLE_ARN")):
        return None
    group, name = env.get("SCHEDULE_GROUP", "default"), schedule_name(prediction_id)
    try:
        schedule = world.aws("scheduler").get_schedule(Name=name, GroupName=group)
    except ClientError as exc:
        return f"saved, but no schedule {name} in the group {group} ({exc}); see the function output"
    target = schedule.get("Target") or {}
    if target.get("Arn") != env["VERIFY_QUEUE_ARN"] or target.get("Arn") not in world.queues:
        return f"schedule {name} targets {target.get('Arn')}, not the verify queue {env['VERIFY_QUEUE_ARN']}"
    try:
        payload = json.loads(target.get("Input") or "null")
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or payload.get("prediction_id") != prediction_id:
        return f"schedule {name} does not name the prediction: Input {str(target.get('Input'))[:160]}"
    return None


# --- verification: the periodic sweep and the verify queue's consumer


def _seed_due_call(fn: Function, world: World) -> None:
    """Save ``DUE_CALL`` with the layer's own store (when no POST /predictions ran before)."""
    from calledit.prediction import Prediction
    from calledit.storage.predictions import PredictionStore

    table = fn.environment.get("PREDICTIONS_TABLE")
    if not table:
        raise SmokeError(f"{fn.logical_id} has no PREDICTIONS_TABLE in its environment")
    with _layer_on_moto(world):
        saved, _ = PredictionStore(table).create(
            world.user.sub,
            f"smoke-{uuid.uuid4().hex[:12]}",
            Prediction.model_validate(DUE_CALL),
            timezone=DUE_CALL_TIMEZONE,
            model="offline-heuristic",
        )
    world.saved.append((world.user.sub, saved.prediction_id))


def _sqs_records(world: World, url: str) -> list[dict[str, Any]]:
    """Receive what the queue holds, as the records of the Lambda SQS event the poller would send."""
    arn = next(a for a, u in world.queues.items() if u == url)
    response = world.aws("sqs").receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        MessageSystemAttributeNames=["All"],
        MessageAttributeNames=["All"],
        WaitTimeSeconds=0,
    )
    records = []
    for m in response.get("Messages", []):
        record: dict[str, Any] = {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {
                k: v for k, v in m.get("Attributes", {}).items() if k != "DeadLetterQueueSourceArn"
            },
            "messageAttributes": {
                name: {
                    **({"stringValue": v["StringValue"]} if "StringValue" in v else {}),
                    **(
                        {"binaryValue": base64.b64encode(v["BinaryValue"]).decode()}
                        if "BinaryValue" in v
                        else {}
                    ),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": v["DataType"],
                }
                for name, v in m.get("MessageAttributes", {}).items()
            },
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": arn,
            "awsRegion": REGION,
        }
        if "MD5OfMessageAttributes" in m:
            record["md5OfMessageAttributes"] = m["MD5OfMessageAttributes"]
        records.append(record)
    return records


def _names(record: dict[str, Any]) -> tuple[str, str]:
    """(user id, prediction id) a verify message names; empty strings for a malformed body."""
    try:
        body = json.loads(record.get("body") or "null")
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    return str(body.get("user_id", "")), str(body.get("prediction_id", ""))


def sweeper_case(fn: Function, world: World) -> list[Invocation]:
    """A scheduled run: the due call (saved by POST /predictions, else by the script) is enqueued into
    the queue of VERIFY_QUEUE_URL, which a function of the stack consumes; its record goes on to the
    verifier."""
    if not fn.schedules:
        raise SmokeError(f"{fn.logical_id} ({fn.handler}) has no Schedule/ScheduleV2 event in template.yaml")
    url = fn.environment.get("VERIFY_QUEUE_URL", "")
    if url not in world.queues.values():
        raise SmokeError(f"{fn.logical_id}: VERIFY_QUEUE_URL {url!r} is not a queue of template.yaml")
    if not any(world.queues.get(arn) == url for f in world.functions.values() for arn in f.queues):
        raise SmokeError(f"{fn.logical_id} sends to {url}, which no function of template.yaml consumes")
    label = "due call saved by POST /predictions"
    if not world.saved:
        _seed_due_call(fn, world)
        label = "due call saved by the script"
    prediction_id = world.saved[-1][1]

    def enqueued(outcome: Outcome, world: World) -> str | None:
        if not outcome.ok:
            return f"raised {outcome.error_type}: {outcome.error}"
        result = outcome.result
        if not isinstance(result, dict) or not isinstance(result.get("enqueued"), int):
            return f"returned {str(result)[:120]} (no enqueued count)"
        if result["enqueued"] < 1:
            return f"enqueued nothing ({result}): the due call {prediction_id} was not swept"
        records = _sqs_records(world, url)
        mine = [r for r in records if _names(r)[1] == prediction_id]
        if not mine:
            return f"the queue holds no message for {prediction_id} (it holds {[r['body'] for r in records]})"
        world.verify_records.append(mine[0])
        return None

    # EventBridge Scheduler's payload for a Lambda target without Input (SAM's ScheduleV2 sets none).
    return [Invocation(f"{fn.schedules[0]}: {label}", {}, enqueued)]


def verifier_case(fn: Function, world: World) -> list[Invocation]:
    """The verify queue's consumer gets the sweeper's message (else one the script sends) as Lambda's
    SQS poller delivers it: no failed item, and the call is proposed or resolved with a verdict (and
    its owner's open connection told)."""
    if not fn.queues:
        raise SmokeError(f"{fn.logical_id} ({fn.handler}) has no SQS event in template.yaml")
    if unknown := [arn for arn in fn.queues if arn not in world.queues]:
        raise SmokeError(f"{fn.logical_id} consumes {unknown}, which are not queues of template.yaml")
    table = fn.environment.get("PREDICTIONS_TABLE")
    if not table:
        raise SmokeError(f"{fn.logical_id} has no PREDICTIONS_TABLE in its environment")
    mine = [r for r in world.verify_records if r["eventSourceARN"] in fn.queues]
    if mine:
        record, label = mine[-1], "message the sweeper enqueued"
    else:
        if not world.saved:
            _seed_due_call(fn, world)
        user_id, prediction_id = world.saved[-1]
        url = world.queues[fn.queues[0]]
        body = {"user_id": user_id, "prediction_id": prediction_id, "source": "schedule"}
        world.aws("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(body))
        sent = [r for r in _sqs_records(world, url) if _names(r)[1] == prediction_id]
        if not sent:
            raise SmokeError(f"the message sent to {url} could not be received back")
        record, label = sent[0], "message queued by the script"
    prediction_id = _names(record)[1]
    connected = _is_connected(fn, world)

    def verified(outcome: Outcome, world: World) -> str | None:
        if not outcome.ok:
            return f"raised {outcome.error_type}: {outcome.error}"
        if outcome.result != {"batchItemFailures": []}:
            return f"returned {str(outcome.result)[:160]}, expected no batchItemFailures"
        item = _prediction_item(world, table, prediction_id)
        if item is None:
            return f"the prediction {prediction_id} is gone"
        status = item.get("status", {}).get("S")
        if status not in ("proposed", "resolved") or "verdict" not in item:
            has = "with" if "verdict" in item else "without"
            return f"the call is {status!r} {has} a verdict; expected proposed or resolved with one"
        if connected:
            frames = world.recorder.frames(world.connection_id, outcome.start, outcome.end)
            told = [
                f
                for f in frames
                if f.get("type") == "notification" and f.get("prediction_id") == prediction_id
            ]
            if not told:
                return f"the owner's open connection got no notification frame (posted: {frames})"
        url = world.queues[record["eventSourceARN"]]
        world.aws("sqs").delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])  # as Lambda does
        return None

    return [Invocation(f"SQS: {label}", {"Records": [record]}, verified)]


def _is_connected(fn: Function, world: World) -> bool:
    """Whether the run's WebSocket connection is recorded (``$connect`` ran and ``$disconnect`` not yet)."""
    table = fn.environment.get("CONNECTIONS_TABLE")
    if not table:
        return False
    for page in world.aws("dynamodb").get_paginator("scan").paginate(TableName=table):
        if any(v.get("S") == world.connection_id for item in page["Items"] for v in item.values()):
            return True
    return False


def _prediction_item(world: World, table: str, prediction_id: str) -> dict[str, Any] | None:
    """The prediction's item (DynamoDB JSON) as the verifier left it."""
    pages = (
        world.aws("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=table,
            FilterExpression="prediction_id = :id AND begins_with(SK, :pred)",
            ExpressionAttributeValues={":id": {"S": prediction_id}, ":pred": {"S": "PRED#"}},
            ConsistentRead=True,
        )
    )
    for page in pages:
        for item in page["Items"]:
            return dict(item)
    return None


#: Handler module -> what to invoke it with. A new function needs an entry (it fails until it has one).
CASES: dict[str, Case] = {
    "ws_authorizer": Case(10, authorizer_case),
    "ws_connect": Case(20, connect_case),
    "ws_actions": Case(30, actions_case),
    "stream_worker": Case(40, worker_case),
    "predictions": Case(50, predictions_case),
    "sweeper": Case(60, sweeper_case),
    "verifier": Case(70, verifier_case),
    "ws_disconnect": Case(90, disconnect_case),
}


# ====================================================================== main


@dataclass
class Row:
    function: str
    case: str
    import_ms: str
    invoke_ms: str
    result: str
    ok: bool
    detail: str = ""


def summarize(outcome: Outcome) -> str:
    if not outcome.ok:
        return f"{outcome.error_type}: {outcome.error}"[:60]
    r = outcome.result
    if isinstance(r, dict):
        if "statusCode" in r:
            return f"statusCode {r['statusCode']}"
        if "policyDocument" in r:
            effect = (r["policyDocument"].get("Statement") or [{}])[0].get("Effect")
            return f"{effect} {r.get('principalId')}"
        return json.dumps(r)[:60]
    return str(r)[:60]


def print_table(rows: Sequence[Row]) -> None:
    headers = ("function", "case", "import ms", "invoke ms", "result", "check")
    data = [(r.function, r.case, r.import_ms, r.invoke_ms, r.result, "ok" if r.ok else "FAIL") for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *data, strict=True)]
    for i, line in enumerate([headers, *data]):
        print(
            "  ".join(
                str(v).rjust(w) if j in (2, 3) else str(v).ljust(w)
                for j, (v, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if i == 0:
            print("  ".join("-" * w for w in widths))


def smoke(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    raw = load_yaml(TEMPLATE)
    if unknown := sorted(set(PARAMETERS) - set(raw.get("Parameters", {}))):
        raise SmokeError(f"PARAMETERS in scripts/layer_smoke.py names {unknown}, which template.yaml lacks")
    parameters = dict(PARAMETERS)
    for item in args.parameter or []:
        key, eq, value = item.partition("=")
        if not eq or key not in raw.get("Parameters", {}):
            raise SmokeError(f"--parameter {item!r}: expected Name=Value with a parameter of template.yaml")
        parameters[key] = value
    resources: dict[str, Any] = raw.get("Resources", {})
    glob = raw.get("Globals", {}).get("Function", {})
    runtimes = {
        str(res.get("Properties", {}).get("Runtime") or glob.get("Runtime"))
        for res in resources.values()
        if res.get("Type") == "AWS::Serverless::Function"
    }
    if len(runtimes) != 1 or not next(iter(runtimes)).startswith("python"):
        raise SmokeError(f"expected one Python runtime for all functions, found {sorted(runtimes)}")
    python = find_python(args.python, runtimes.pop())
    version = python_version(python)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=CACHE_DIR))  # per run: concurrent runs are fine
    try:
        layer, layer_dirs = build_layers(raw, python, version, args.refresh, run_dir)
        rows = run_stack(
            raw, parameters, isolated_python(python, version), layer, layer_dirs, run_dir, args.only
        )
    finally:
        if args.keep:
            print(f"kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)

    print()
    print_table(rows)
    failures = [r for r in rows if not r.ok]
    for row in failures:
        print(f"\nFAIL {row.function} / {row.case}:\n{row.detail.rstrip()}")
    print(
        f"\n{len(rows) - len(failures)}/{len(rows)} passed in {time.perf_counter() - started:.1f} s "
        f"(layer {'cache hit' if layer.cached else 'built'}; "
        f"host {platform.machine()} stands in for the template's architecture)"
    )
    return 1 if failures else 0


def build_layers(
    raw: dict[str, Any], python: Path, version: str, refresh: bool, run_dir: Path
) -> tuple[Layer, dict[str, Path]]:
    """Build the template's (one, Makefile-built) layer; {logical id: its python/ dir}."""
    layer: Layer | None = None
    layer_dirs: dict[str, Path] = {}
    for logical, res in raw.get("Resources", {}).items():
        if res.get("Type") != "AWS::Serverless::LayerVersion":
            continue
        content = (TEMPLATE.parent / str(res.get("Properties", {}).get("ContentUri", ""))).resolve()
        if res.get("Metadata", {}).get("BuildMethod") != "makefile":
            raise SmokeError(f"layer {logical} is not built by a Makefile (BuildMethod makefile)")
        if layer is not None:
            raise SmokeError("more than one layer: scripts/layer_smoke.py builds one")
        recipe = read_recipe(content)
        print(
            f"building layer {logical} ({content.relative_to(REPO)}) "
            f"for {platform.machine()} with Python {version} ...",
            flush=True,
        )
        layer = build_layer(python, recipe, refresh, run_dir)
        layer_dirs[logical] = layer.python
        print(
            f"  pip flags: {' '.join(recipe.pip_flags)}\n"
            f"  excluded from the package: {', '.join(recipe.ignore)}\n"
            f"  requirements {'from the cache' if layer.cached else 'installed'}; "
            f"layer ready in {layer.build_s:.1f} s, {layer.size / 1024**2:.0f} MiB unzipped "
            f"({platform.machine()} wheels)",
            flush=True,
        )
    if layer is None:
        raise SmokeError("template.yaml has no AWS::Serverless::LayerVersion")
    return layer, layer_dirs


def run_stack(
    raw: dict[str, Any],
    parameters: Mapping[str, str],
    exe: Path,
    layer: Layer,
    layer_dirs: dict[str, Path],
    run_dir: Path,
    only: Sequence[str] | None,
) -> list[Row]:
    """Provision moto, resolve the functions, run the cases; the table's rows."""
    recorder = Recorder()
    try:
        with moto_server(run_dir / "moto.log") as moto:
            physical, attributes, tables, user = provision(raw, moto, parameters)
            resolve = Resolver(raw, physical, attributes, parameters)
            functions = {fn.logical_id: fn for fn in functions_of(raw, resolve)}
            origins = next(
                (
                    f.environment["ALLOWED_ORIGINS"]
                    for f in functions.values()
                    if "ALLOWED_ORIGINS" in f.environment
                ),
                "http://localhost:5173",
            )
            apis = [r for r in raw["Resources"].values() if r.get("Type") == "AWS::Serverless::Api"]
            stage = apis[0].get("Properties", {}).get("StageName", "prod") if apis else "prod"

            def api_id(kind: str, protocol: str | None = None) -> str:
                """The id of the template's one API of ``kind`` (what its !Ref gave), else a new one."""
                found = [
                    physical[k]
                    for k, r in raw["Resources"].items()
                    if r.get("Type") == kind
                    and (protocol is None or r.get("Properties", {}).get("ProtocolType") == protocol)
                ]
                return found[0] if len(found) == 1 else ev.new_api_id()

            queues = {
                attributes[f"{k}.Arn"]: physical[k]
                for k, r in raw["Resources"].items()
                if r.get("Type") == "AWS::SQS::Queue"
            }
            world = World(
                moto=moto,
                recorder=recorder,
                template=read_template(TEMPLATE, dict(parameters)),
                functions=functions,
                tables=tables,
                user=user,
                origin=origins.split(",")[0].strip(),
                rest_stage=str(resolve(stage)),
                queues=queues,
                ws_api_id=api_id("AWS::ApiGatewayV2::Api", "WEBSOCKET"),
                rest_api_id=api_id("AWS::Serverless::Api"),
            )
            rows = run_cases(world, exe, layer, layer_dirs, only)
    finally:
        recorder.close()
    if layer.size > MAX_UNZIPPED_BYTES:
        rows.append(
            Row(
                "(layer)",
                "unzipped size",
                "-",
                "-",
                f"{layer.size / 1024**2:.0f} MiB",
                False,
                f"the layer alone exceeds Lambda's {MAX_UNZIPPED_BYTES // 1024**2} MiB "
                "limit for code + layers (unzipped)",
            )
        )
    return rows


def run_cases(
    world: World, exe: Path, layer: Layer, layer_dirs: dict[str, Path], only: Sequence[str] | None
) -> list[Row]:
    rows: list[Row] = []
    ordered = sorted(
        world.functions.values(),
        key=lambda f: (CASES[f.module].order if f.module in CASES else 1000, f.logical_id),
    )
    for fn in ordered:
        if only and fn.logical_id not in only and fn.module not in only:
            continue
        case = CASES.get(fn.module)
        try:
            invocations = case.invocations(fn, world) if case else []
        except SmokeError as exc:
            rows.append(Row(fn.logical_id, "-", "-", "-", "template wiring", False, str(exc)))
            continue
        try:
            run = run_function(fn, [i.event for i in invocations], world, exe, layer, layer_dirs)
        except SmokeError as exc:
            rows.append(Row(fn.logical_id, "-", "-", "-", "template wiring", False, str(exc)))
            continue
        import_ms = f"{run.import_ms:.0f}" if run.import_ms is not None else "-"
        if run.import_error:
            rows.append(
                Row(fn.logical_id, f"import {fn.handler}", "-", "-", "import failed", False, run.import_error)
            )
            continue
        if case is None:
            rows.append(
                Row(
                    fn.logical_id,
                    f"import {fn.handler}",
                    import_ms,
                    "-",
                    "no smoke case",
                    False,
                    f"handler module {fn.module!r} has no entry in CASES (scripts/layer_smoke.py): "
                    "add one saying which events it gets and what a good answer looks like",
                ),
            )
            continue
        for n, invocation in enumerate(invocations):
            if n >= len(run.outcomes):
                rows.append(
                    Row(
                        fn.logical_id,
                        invocation.label,
                        import_ms if n == 0 else "",
                        "-",
                        "not run",
                        False,
                        run.output,
                    )
                )
                continue
            outcome = run.outcomes[n]
            problem = invocation.check(outcome, world)
            detail = ""
            if problem:
                detail = (
                    problem
                    + (f"\n{outcome.traceback}" if outcome.traceback else "")
                    + f"\n--- function output ---\n{run.output}"
                )
            rows.append(
                Row(
                    fn.logical_id,
                    invocation.label,
                    import_ms if n == 0 else "",
                    f"{outcome.ms:.0f}",
                    summarize(outcome),
                    problem is None,
                    detail,
                )
            )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--python", help="the Python 3.12 to build and run with (default: pyenv 3.12.1, python3.12)"
    )
    parser.add_argument("--refresh", action="store_true", help="reinstall the cached requirements")
    parser.add_argument("--keep", action="store_true", help="keep this run's layer and moto log")
    parser.add_argument("--only", nargs="*", help="only these functions (logical ids or handler modules)")
    parser.add_argument(
        "--parameter",
        action="append",
        metavar="NAME=VALUE",
        help=f"a template parameter for the run (default: {PARAMETERS})",
    )
    args = parser.parse_args(argv)
    try:
        return smoke(args)
    except SmokeError as exc:
        print(f"layer smoke test could not run: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
