"""The CLI against misbehaving providers: one plain line per failure, the trace only with --verbose."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scripted import auth_error, invalid_structured_output, prose_only

CALLEDIT = str(Path(sys.executable).with_name("calledit"))
STATEMENT = "The S&P 500 will close above 7000 by March 2027"


def run_cli(server: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **server.client_env()}
    return subprocess.run(
        [CALLEDIT, "call", STATEMENT, "--timezone", "Europe/Paris", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("script", "code"),
    [
        (prose_only, "model_error"),
        (invalid_structured_output, "model_error"),
        (auth_error, "model_unavailable"),
    ],
)
def test_failures_are_one_line_without_a_traceback(
    threaded_scripted_server: Any, script: Any, code: str
) -> None:
    server = threaded_scripted_server("openai", script())
    result = run_cli(server)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == 1 and errors[0].startswith(f"error ({code}): ")


def test_verbose_shows_the_trace(threaded_scripted_server: Any) -> None:
    server = threaded_scripted_server("openai", prose_only())
    result = run_cli(server, "--verbose")
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "error (model_error): " in result.stderr
