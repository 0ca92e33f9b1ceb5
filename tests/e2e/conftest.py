"""Browser test fixtures: Debian Chromium, and `calledit dev` in a subprocess with the built app."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calledit.local.dynamodb import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"
PROMPT = "The S&P 500 will close above 7000 by March 2027"


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian chromium is required for browser tests: apt-get install chromium (scripts/bootstrap does)"
        )
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`calledit dev` in a subprocess on free ports, with the built frontend."""
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        pytest.fail("frontend/dist is missing: run scripts/bootstrap (it builds the app)")
    port = free_port()
    data = tmp_path_factory.mktemp("stack")
    if (ROOT / ".local" / "node").is_dir():  # reuse the installed DynamoDB Local package
        (data / "node").symlink_to(ROOT / ".local" / "node")
    # Slow enough to watch the card fill in (and to act mid-stream), fast enough for CI.
    env = {**os.environ, "CALLEDIT_MODEL": "offline", "CALLEDIT_OFFLINE_DELAY_MS": "25"}
    log = (data / "dev.log").open("wb")
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "calledit"),
            "dev",
            "--port",
            str(port),
            "--dynamodb-port",
            str(free_port()),
            "--data-dir",
            str(data),
            "--no-open",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{base}/config.json", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the local stack did not start:\n{(data / 'dev.log').read_text()[-3000:]}")
        time.sleep(0.3)
    yield base
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the stack stops cleanly, Java included
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("the local stack did not stop on Ctrl-C")
    assert proc.returncode == 0


def sign_up(page: Any, app_url: str) -> str:
    """A new account through the app's own sign-up form; returns its email."""
    page.goto(f"{app_url}/")
    page.get_by_role("button", name="Create an account").click()
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("heading", name="Make a Call").wait_for()
    return email


def choose_timezone(page: Any, zone: str) -> None:
    box = page.get_by_role("combobox", name="Your timezone")
    box.click()
    box.fill(zone)
    page.get_by_role("option", name=zone.replace("_", " ")).click()


def console_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors
