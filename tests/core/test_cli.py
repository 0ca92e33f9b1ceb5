"""The CLI: streaming output, --json, exit codes and clean errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from calledit.cli import main

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "calledit.cli"]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "CALLEDIT_MODEL": "offline"}
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, env=env, timeout=120, check=False)


def test_streams_and_pretty_prints(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLEDIT_MODEL", "offline")
    code = main(["call", "Bitcoin will close above 150k by March 2027", "--timezone", "Europe/Paris"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "→ Checking current time: current_time(timezone='Europe/Paris')" in out
    assert "→ Resolving the date: parse_date_with_timezone(" in out
    assert "Verify on" in out and "2027-03-31T21:59:59Z" in out
    assert "Model        offline-heuristic" in out
    assert "[running]" in err


def test_json_mode_prints_only_the_prediction(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLEDIT_MODEL", "offline")
    assert main(["call", "It will rain in London tomorrow", "--json", "-z", "Europe/London"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["prediction_statement"] == "It will rain in London tomorrow"
    assert data["model"] == "offline-heuristic"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["call", "   "], None, "empty"),
        (["call", "x" * 2001], None, "limit is 2000"),
        (["call", "Rain tomorrow", "--timezone", "Mars/Olympus"], None, "unknown timezone"),
        (["call", "-"], b"\xff\xfe bad bytes", "not valid UTF-8"),
    ],
)
def test_bad_input_exits_2_without_traceback(args: list[str], stdin: bytes | None, message: str) -> None:
    result = run(*args, stdin=stdin)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr.decode()
    assert b"Traceback" not in result.stderr


def test_non_utf8_argv_exits_2() -> None:
    result = subprocess.run(
        [*CLI, "call", os.fsdecode(b"caf\xe9 tomorrow")],
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "CALLEDIT_MODEL": "offline"},
    )
    assert result.returncode == 2 and b"not valid UTF-8" in result.stderr


def test_missing_provider_extra_exits_1_with_the_extra_named() -> None:
    result = subprocess.run(
        [*CLI, "call", "Rain tomorrow"],
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "CALLEDIT_MODEL": "nonsense"},
    )
    assert result.returncode == 1
    assert b"unknown CALLEDIT_MODEL" in result.stderr and b"Traceback" not in result.stderr


def test_installed_entry_point_runs() -> None:
    exe = ROOT / ".venv" / "bin" / "calledit"
    if not exe.exists():
        pytest.fail(".venv/bin/calledit is missing: run scripts/bootstrap")
    result = subprocess.run(
        [str(exe), "call", "Rain in Paris tomorrow", "--json"],
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "CALLEDIT_MODEL": "offline"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["verifiable_category"] == "api_tool_verifiable"
