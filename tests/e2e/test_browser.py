"""End to end in real Chromium (Debian's) against the local stack started with `calledit dev`."""

from __future__ import annotations

import json
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

pytestmark = pytest.mark.e2e


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


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`calledit dev` in a subprocess on free ports, with the built frontend."""
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        pytest.fail("frontend/dist is missing: run scripts/bootstrap (it builds the app)")
    port = free_port()
    data = tmp_path_factory.mktemp("stack")
    env = {**os.environ, "CALLEDIT_MODEL": "offline", "CALLEDIT_OFFLINE_DELAY_MS": "5"}
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


def _post(url: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        data: dict[str, Any] = json.loads(resp.read())
        return data


def test_sign_in_stream_log_list_and_judge(page: Any, app_url: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{app_url}/")
    page.get_by_role("button", name="Create an account").click()
    email = f"e2e-{uuid.uuid4().hex[:6]}@example.com"
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("heading", name="Make a Call").wait_for()
    page.screenshot(path=str(ARTIFACTS / "1-signed-in.png"))

    page.get_by_label("Your prediction").fill(PROMPT)
    page.get_by_label("Your timezone").fill("Europe/Paris")
    page.get_by_role("button", name="Make Call").click()
    page.get_by_text("Checking current time ✓").wait_for(timeout=30_000)
    page.get_by_text("Resolving the date ✓").wait_for(timeout=30_000)
    card = page.get_by_role("article", name="Structured prediction")
    card.wait_for(timeout=30_000)
    assert PROMPT in card.inner_text()
    assert "offline-heuristic" in card.inner_text()
    assert "2027-03-31 21:59:59Z" in card.inner_text()
    assert "Offline heuristic model (no LLM)" in page.get_by_label("Analysis").inner_text()
    page.screenshot(path=str(ARTIFACTS / "2-streamed-card.png"), full_page=True)

    page.get_by_role("button", name="Log Call").click()
    page.get_by_role("heading", name="My Calls").wait_for()
    page.get_by_text(PROMPT).wait_for()
    page.screenshot(path=str(ARTIFACTS / "3-my-calls.png"), full_page=True)

    # A call whose date has passed, saved through the REST API with the same session's token.
    token = page.evaluate("() => JSON.parse(localStorage.getItem('calledit.session')).idToken")
    past = {
        "prediction_statement": "It will snow in Paris on 1 January 2026",
        "verification_date": "2026-01-01T22:59:59Z",
        "date_reasoning": "The end of 1 January 2026 in Paris.",
        "verification_method": {
            "source": ["Météo-France"],
            "criteria": ["Snow observed"],
            "steps": ["Check records"],
        },
        "verifiable_category": "api_tool_verifiable",
        "category_reasoning": "Weather observations are needed.",
    }
    _post(f"{app_url}/api/predictions", token, {"request_id": "e2e-past", "prediction": past})

    page.get_by_role("link", name="Due").click()
    page.get_by_text(past["prediction_statement"]).wait_for()
    page.get_by_label("It did not").check()
    page.get_by_label("Note (optional)").fill("Mild and dry.")
    page.get_by_role("button", name="Record outcome").click()
    page.get_by_text("Nothing is due").wait_for()
    page.screenshot(path=str(ARTIFACTS / "4-judged.png"), full_page=True)

    page.get_by_role("link", name="My Calls").click()
    page.get_by_label("Show").select_option("false")
    page.get_by_text("Note: Mild and dry.").wait_for()
    page.screenshot(path=str(ARTIFACTS / "5-filtered.png"), full_page=True)
    assert errors == []
