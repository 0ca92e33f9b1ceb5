"""Cold start: import time of each Lambda handler in a fresh interpreter, and the layer's size.

Three ways to run the same imports, each in a fresh ``python`` per sample (median and min of N):

- ``venv``: the project's .venv, bytecode (.pyc) cached as on a developer machine;
- ``layer``: the layer as ``sam build`` makes it (wheels unzipped, no .pyc) on PYTHONPATH, with
  ``-B``: Lambda's /opt is read-only, so nothing compiled on one cold start is kept for the next;
- ``layer+pyc``: the same layer precompiled (``compileall --invalidation-mode unchecked-hash``).

For the stream worker it also times the first invocation's setup, done lazily after the import:
the Bedrock model, the agent (``import strands``), the DynamoDB table and the management client
(no network). It prints the stream worker's import tree and the layer's unzipped and zipped size
(built for the template's architecture, arm64, from layers/calledit/requirements.txt + the package;
cached under bench/.cache/). Run: ``.venv/bin/python bench/cold_start.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import benchlib

HANDLERS = benchlib.REPO / "handlers"
LAYER_SRC = benchlib.REPO / "layers" / "calledit"
REQUIREMENTS = LAYER_SRC / "requirements.txt"
TARGETS_S = {"stream_worker": 0.600, "predictions": 0.250}
# boto3 and friends: the Lambda runtime has them, but strands-agents depends on boto3, so pip puts them in.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six.py")

# What each handler's first invocation builds lazily after the import (no network: clients only).
FIRST_CALL = {
    "stream_worker": (
        "from calledit.agent import create_agent\n"
        "from calledit.aws import management_client, table\n"
        "from calledit.providers.selection import ModelConfig, select_model\n"
        'create_agent(select_model(ModelConfig(provider="bedrock", region="us-east-1")))\n'
        'table("calledit-jobs")\n'
        'management_client("https://abc123.execute-api.us-east-1.amazonaws.com/prod")\n'
    ),
    "predictions": (
        "from calledit.api.app import get_app\n"
        "from calledit.aws import table\n"
        "get_app()\n"
        'table("calledit-predictions")\n'
    ),
    "ws_actions": (
        "from calledit.aws import lambda_client\n"
        "from calledit.ws.actions import ActionHandler\n"
        "ActionHandler()\n"
        "lambda_client()\n"
    ),
    "ws_connect": "from calledit.storage.connections import ConnectionStore\nConnectionStore()\n",
    "ws_disconnect": "from calledit.storage.connections import ConnectionStore\nConnectionStore()\n",
}
FIRST_CALL_LABELS = {
    "stream_worker": "Bedrock model + Strands agent + jobs table + management client",
    "predictions": "REST resolver + predictions table",
    "ws_actions": "ActionHandler (jobs table) + Lambda client",
    "ws_connect": "connections table",
    "ws_disconnect": "connections table",
}

# SnapStart: what the function's before-snapshot hook does (the snapshot holds its result).
PRIME = {
    "stream_worker": "from calledit.snapstart import prime_worker\nprime_worker()\n",
    "predictions": "from calledit.snapstart import prime_api\nprime_api()\n",
}

# Run in the child interpreter: import the module, then (optionally) do the first call's setup. With
# ``prime`` (mode snapstart): import + priming stand for the snapshot; then the after-restore hook and
# the first call are what a restored environment does before answering.
PROBE = """
import json, sys, time
t0 = time.perf_counter()
import {module}
t1 = time.perf_counter()
prime, restore = {prime!r}, None
if prime:
    exec(prime)
    t_restore = time.perf_counter()
    from calledit.snapstart import after_restore
    after_restore()
    t1 = time.perf_counter()
    restore = t1 - t_restore
first = None
setup = {setup!r}
if setup:
    sys.stderr.write("--- first call ---\\n")
    exec(setup)
    first = time.perf_counter() - t1
print(json.dumps({{"import_s": t1 - t0, "first_call_s": first, "restore_s": restore}}))
"""

# What template.yaml gives the functions, so modules that read settings at import find them.
FUNCTION_ENV = {
    "PREDICTIONS_TABLE": "calledit-predictions",
    "JOBS_TABLE": "calledit-jobs",
    "CONNECTIONS_TABLE": "calledit-connections",
    "STREAM_WORKER_FUNCTION": "calledit-stream-worker",
    "ALLOWED_ORIGINS": "http://127.0.0.1:3001",
    "CALLEDIT_JWKS_URL": "http://127.0.0.1:3001/cognito/.well-known/jwks.json",
    "CALLEDIT_TOKEN_ISSUER": "http://127.0.0.1:3001/cognito",
    "CALLEDIT_TOKEN_AUDIENCE": "local-client",
    "POWERTOOLS_SERVICE_NAME": "calledit",
}


@dataclass
class Layer:
    """The layer built for timing (native) and for sizing (arm64), with and without bytecode."""

    native: Path  # .../python, no .pyc
    native_pyc: Path  # .../python, precompiled
    arm64: Path  # .../python, no .pyc (what sam build ships for the template's architecture)


def _pip_install(target: Path, extra: Sequence[str]) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",  # as sam build: it unzips wheels and compiles nothing
            "--disable-pip-version-check",
            "--target",
            str(target),
            *extra,
            "-r",
            str(REQUIREMENTS),
        ],
        capture_output=True,  # pip's index warnings are noise here; shown only if it fails
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pip install into {target} failed:\n{proc.stderr[-3000:]}")


def build_layer(refresh: bool) -> Layer:
    """Install the layer's requirements (cached by requirements hash) and copy the package in fresh."""
    key = hashlib.sha256(REQUIREMENTS.read_bytes() + sys.version.encode()).hexdigest()[:12]
    root = benchlib.CACHE_DIR / f"layer-{key}"
    if refresh and root.exists():
        shutil.rmtree(root)
    deps = {"native": root / "deps-native", "arm64": root / "deps-arm64"}
    if not deps["native"].exists():
        print(f"installing the layer's requirements into {deps['native']} ...", flush=True)
        _pip_install(deps["native"], [])
    if not deps["arm64"].exists():
        print(f"installing the arm64 layer into {deps['arm64']} ...", flush=True)
        _pip_install(
            deps["arm64"],
            [
                "--platform",
                "manylinux2014_aarch64",
                "--implementation",
                "cp",
                "--python-version",
                "3.12",
                "--only-binary=:all:",
            ],
        )
    layer = Layer(root / "native" / "python", root / "native-pyc" / "python", root / "arm64" / "python")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for dest, source in (
        (layer.native, deps["native"]),
        (layer.native_pyc, deps["native"]),
        (layer.arm64, deps["arm64"]),
    ):
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(source, dest, ignore=ignore, symlinks=True)
        shutil.copytree(LAYER_SRC / "calledit", dest / "calledit", ignore=ignore)  # the package as it is now
    # Unchecked-hash .pyc stay valid whatever mtimes the zip gives the sources in Lambda.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            str(layer.native_pyc),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return layer


def tree_size(path: Path) -> int:
    """Bytes of all regular files under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def zipped_size(path: Path) -> int:
    """Bytes of a deflate zip of ``path`` as ``python/...`` (how a layer zip is laid out)."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "layer.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in sorted(path.rglob("*")):
                if p.is_file():
                    zf.write(p, Path("python") / p.relative_to(path))
        return archive.stat().st_size


def layer_sizes(layer: Layer) -> dict[str, Any]:
    per_entry = {p.name: (tree_size(p) if p.is_dir() else p.stat().st_size) for p in layer.arm64.iterdir()}
    unzipped = sum(per_entry.values())
    runtime = sum(v for k, v in per_entry.items() if k in RUNTIME_PROVIDED)
    return {
        "unzipped_bytes": unzipped,
        "zipped_bytes": zipped_size(layer.arm64),
        "with_pyc_unzipped_bytes": tree_size(layer.native_pyc),
        "runtime_provided_bytes": runtime,
        "largest": sorted(per_entry.items(), key=lambda kv: kv[1], reverse=True)[:8],
    }


# ---------------------------------------------------------------- timing


@dataclass
class Sample:
    """Samples of one module in one mode."""

    import_s: list[float] = field(default_factory=list)
    first_call_s: list[float] = field(default_factory=list)
    restore_s: list[float] = field(default_factory=list)


def child_env(mode: str, layer: Layer | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AWS_", "CALLEDIT_"))}
    env.update(FUNCTION_ENV)
    env.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - not a secret: nothing is sent anywhere
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    if mode != "venv":
        assert layer is not None
        # Layer first, as /opt/python comes before the runtime's packages; handlers dir is the cwd.
        env["PYTHONPATH"] = str(layer.native if mode == "layer" else layer.native_pyc)
    if mode == "snapstart":  # priming builds the configured model: the template's Bedrock one
        env.update(CALLEDIT_MODEL="bedrock", CALLEDIT_BEDROCK_REGION="us-east-1")
    return env


def run_probe(
    module: str, mode: str, layer: Layer | None, first_call: bool, importtime: bool = False
) -> tuple[dict[str, Any], str]:
    flags = ["-B"] if mode != "venv" else []  # read-only /opt: nothing compiled survives
    if importtime:
        flags += ["-X", "importtime"]
    prime = PRIME.get(module, "") if mode == "snapstart" else ""
    code = PROBE.format(module=module, setup=FIRST_CALL.get(module, "") if first_call else "", prime=prime)
    proc = subprocess.run(
        [sys.executable, *flags, "-c", code],
        cwd=HANDLERS,
        env=child_env(mode, layer),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"importing {module} ({mode}) failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def measure(
    modules: Sequence[str], modes: Sequence[str], layer: Layer, runs: int
) -> dict[tuple[str, str], Sample]:
    """``runs`` rounds over every (module, mode), interleaved so a busy moment hits all rows alike."""
    samples = {(module, mode): Sample() for module in modules for mode in modes}
    for module, mode in samples:  # the venv's .pyc exist, as on a warm developer machine
        run_probe(module, mode, layer, module in FIRST_CALL)
    for _ in range(runs):
        for (module, mode), sample in samples.items():
            result, _ = run_probe(module, mode, layer, module in FIRST_CALL)
            sample.import_s.append(result["import_s"])
            if result["first_call_s"] is not None:
                sample.first_call_s.append(result["first_call_s"])
            if result.get("restore_s") is not None:
                sample.restore_s.append(result["restore_s"])
    return samples


# ---------------------------------------------------------------- import tree


@dataclass
class Node:
    name: str
    self_us: int
    cumulative_us: int
    children: list[Node] = field(default_factory=list)


_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def parse_importtime(text: str) -> list[Node]:
    """The import tree (roots in import order) from ``-X importtime`` output."""
    pending: list[tuple[int, Node]] = []  # (depth, node) awaiting a parent; children come first
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        depth = len(m.group(3)) // 2
        node = Node(m.group(4), int(m.group(1)), int(m.group(2)))
        while pending and pending[-1][0] > depth:
            node.children.insert(0, pending.pop()[1])
        pending.append((depth, node))
    return [n for _, n in pending]


def by_package(text: str) -> Counter[str]:
    """Self time (µs) per top-level package."""
    totals: Counter[str] = Counter()
    for m in map(_LINE.match, text.splitlines()):
        if m:
            totals[m.group(4).split(".")[0]] += int(m.group(1))
    return totals


def print_tree(node: Node, min_us: int, max_depth: int, depth: int = 0) -> None:
    print(f"  {'  ' * depth}{node.name}  {node.cumulative_us / 1000:.1f} ms")
    if depth >= max_depth:
        return
    for child in sorted(node.children, key=lambda c: c.cumulative_us, reverse=True):
        if child.cumulative_us >= min_us:
            print_tree(child, min_us, max_depth, depth + 1)


# ---------------------------------------------------------------- report


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def mib(n: int) -> str:
    return f"{n / 1024**2:.1f} MiB"


def import_tree(module: str, modes: list[str], layer: Layer, results: dict[str, Any]) -> None:
    """Print where a handler's import and first call spend their time (in the mode Lambda runs today)."""
    tree_mode = "layer" if "layer" in modes else modes[0]
    _, stderr = run_probe(module, tree_mode, layer, first_call=module in FIRST_CALL, importtime=True)
    at_import, _, at_first_call = stderr.partition("--- first call ---")
    print(f"\n{module} import tree ({tree_mode}; entries >= 10 ms, 4 levels):")
    for root in parse_importtime(at_import):
        if root.name == module:
            print_tree(root, 10_000, 4)
    for title, text in (("at import", at_import), ("at first call", at_first_call)):
        if top := by_package(text).most_common(10):
            print(
                f"{module}: self time by top-level package, {title} ({tree_mode}): "
                + ", ".join(f"{k} {v / 1000:.0f} ms" for k, v in top)
            )
    results.setdefault("top_packages", {})[module] = {
        "at_import": by_package(at_import),
        "at_first_call": by_package(at_first_call),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=int, default=7, help="fresh interpreters per module and mode (default 7)"
    )
    parser.add_argument(
        "--modes",
        default="venv,layer,layer+pyc,snapstart",
        help="comma list of venv, layer, layer+pyc, snapstart",
    )
    parser.add_argument("--modules", help="comma list of handler modules (default: every handlers/*.py)")
    parser.add_argument("--refresh", action="store_true", help="reinstall the cached layer requirements")
    parser.add_argument("--json", action="store_true", help="also write bench/results/cold_start-*.json")
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not set(modes) <= {"venv", "layer", "layer+pyc", "snapstart"} or args.runs < 1:
        parser.error("--modes takes venv, layer, layer+pyc, snapstart; --runs must be >= 1")

    layer = build_layer(args.refresh)
    modules = sorted(p.stem for p in HANDLERS.glob("*.py") if not p.stem.startswith("_"))
    if args.modules:
        wanted = [m.strip() for m in args.modules.split(",") if m.strip()]
        if unknown := set(wanted) - {*modules, "strands"}:
            parser.error(f"no such handler module: {', '.join(sorted(unknown))}")
        references = ["strands"] if "strands" in wanted else []
        modules = [m for m in wanted if m != "strands"]
    else:
        references = ["strands"]
    print(benchlib.machine_line())
    print(
        f"{args.runs} fresh interpreters per row; "
        "times measured inside the child (interpreter start-up excluded)\n"
    )

    rows: list[list[Any]] = []
    results: dict[str, Any] = {}
    samples = measure([*modules, *references], modes, layer, args.runs)
    for module in [*modules, *references]:
        for mode in modes:
            s = samples[module, mode]
            target = TARGETS_S.get(module)
            med = statistics.median(s.import_s)
            first = statistics.median(s.first_call_s) if s.first_call_s else None
            if mode == "snapstart":
                if module not in PRIME:
                    continue
                restore = statistics.median(s.restore_s)
                pairs = zip(s.restore_s, s.first_call_s, strict=True)
                restored = statistics.median(a + b for a, b in pairs)
                rows.append(
                    [
                        module,
                        mode,
                        f"(snapshot: {ms(med)})",
                        "-",
                        ms(first) if first is not None else "-",
                        f"{ms(restored)} (restore hook {ms(restore)})",
                        "-",
                        "-",
                    ]
                )
                results.setdefault(module, {})[mode] = {
                    "snapshot_s": s.import_s,
                    "restore_s": s.restore_s,
                    "first_call_s": s.first_call_s,
                }
                continue
            rows.append(
                [
                    module if module != "strands" else "strands (reference)",
                    mode,
                    ms(med),
                    ms(min(s.import_s)),
                    ms(first) if first is not None else "-",
                    ms(statistics.median(a + b for a, b in zip(s.import_s, s.first_call_s, strict=True)))
                    if first is not None
                    else "-",
                    ms(target) if target else "-",
                    ("PASS" if med <= target else "FAIL") if target else "-",
                ]
            )
            results.setdefault(module, {})[mode] = {
                "import_s": s.import_s,
                "first_call_s": s.first_call_s,
                "median_s": med,
            }
    print(
        benchlib.table(
            [
                "module",
                "mode",
                "import median",
                "min",
                "first call",
                "import + first call",
                "import target",
                "import",
            ],
            rows,
        )
    )
    print(
        "\nvenv: .pyc cached. layer: as sam build ships it (no .pyc; /opt is read-only, so it is\n"
        "compiled on every cold start). layer+pyc: the layer precompiled (unchecked-hash .pyc).\n"
        "snapstart: layer+pyc, import + the before-snapshot priming done once (the snapshot), then the\n"
        "after-restore hook and the first call: the function's own work on a restored cold start. What\n"
        "only AWS can measure is left out: restoring the microVM snapshot itself.\n"
        "first call: what the first invocation builds lazily after the import (clients only, no network):"
    )
    for module, label in FIRST_CALL_LABELS.items():
        if module in modules:
            print(f"  {module}: {label}")

    for module in ("stream_worker", "predictions"):
        if module in modules:
            import_tree(module, modes, layer, results)
    sizes = layer_sizes(layer)
    results["layer"] = sizes
    print(
        "\nlayer (arm64, requirements.txt + calledit, as sam build makes it): "
        f"{mib(sizes['unzipped_bytes'])} unzipped, {mib(sizes['zipped_bytes'])} zipped; "
        f"{mib(sizes['with_pyc_unzipped_bytes'])} unzipped with .pyc (native build)"
    )
    print(
        "  of which boto3/botocore/s3transfer/jmespath/urllib3/dateutil/six (in the Lambda runtime too;\n"
        f"  strands-agents depends on boto3, so pip installs them): {mib(sizes['runtime_provided_bytes'])}"
    )
    print("  largest: " + ", ".join(f"{k} {mib(v)}" for k, v in sizes["largest"]))
    print("  Lambda limit: 250 MiB unzipped for the function and all its layers")
    if args.json:
        print(f"\nwrote {benchlib.write_results('cold_start', {'config': vars(args), **results})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
