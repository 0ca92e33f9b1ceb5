"""Make a Call, live, in Chromium: the card fills while the JSON streams, the raw stream steps aside,
and a call survives switching tabs and reloading the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import choose_timezone, console_errors, sign_up

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PROMPT = "Bitcoin will close above 150k by March 2027"

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [375, 1280])
def test_the_card_fills_in_while_the_analysis_streams(page: Any, app_url: str, width: int) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    errors = console_errors(page)
    sign_up(page, app_url)
    page.get_by_label("Your prediction").fill(PROMPT)
    choose_timezone(page, "Europe/Paris")
    page.get_by_role("button", name="Make Call").click()

    card = page.get_by_role("article", name="Structured prediction")
    # Mid-stream: the statement is there, the category is still pending.
    card.locator(".statement", has_text="Bitcoin").wait_for(timeout=30_000)
    pending = card.locator(".pending")
    assert pending.count() > 0
    assert card.get_attribute("aria-busy") == "true"
    page.screenshot(path=str(ARTIFACTS / f"make-call-{width}-mid-stream.png"), full_page=True)
    assert '"prediction_statement"' not in page.locator("body").inner_text()  # never raw JSON

    card.get_by_text("offline-heuristic").wait_for(timeout=30_000)
    assert card.get_attribute("aria-busy") == "false"
    assert card.locator(".pending").count() == 0
    assert "2027-03-31 21:59:59Z" in card.inner_text()
    assert '"prediction_statement"' not in page.locator("body").inner_text()
    no_overflow = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert no_overflow, "the page scrolls sideways"
    page.screenshot(path=str(ARTIFACTS / f"make-call-{width}-complete.png"), full_page=True)

    toggle = page.get_by_role("button", name="Show the full analysis")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    transcript = page.get_by_label("Full analysis")
    assert '"prediction_statement"' in transcript.inner_text()
    assert "parse_date_with_timezone" in transcript.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"make-call-{width}-transcript.png"), full_page=True)
    assert errors == []


def test_a_call_survives_switching_tabs_and_reloading(page: Any, app_url: str) -> None:
    errors = console_errors(page)
    sign_up(page, app_url)
    page.get_by_label("Your prediction").fill(PROMPT)
    page.get_by_role("button", name="Make Call").click()
    page.get_by_role("list", name="Tools used").get_by_text("Checking current time").wait_for()
    page.get_by_role("link", name="My Calls").click()
    page.get_by_role("heading", name="My Calls").wait_for()
    page.get_by_role("link", name="Make a Call").click()
    card = page.get_by_role("article", name="Structured prediction")
    card.get_by_text("offline-heuristic").wait_for(timeout=30_000)
    assert PROMPT in card.inner_text()

    page.get_by_label("Your prediction").fill("Ethereum will close above 10k by June 2027")
    page.get_by_role("button", name="Make Call").click()
    page.get_by_role("list", name="Tools used").get_by_text("Checking current time").wait_for()
    page.reload()  # mid-stream: the request id is in sessionStorage and the call is resumed on load
    card = page.get_by_role("article", name="Structured prediction")
    card.get_by_text("offline-heuristic").wait_for(timeout=30_000)
    assert "Ethereum will close above 10k" in card.inner_text()
    assert "2027-06-30" in card.inner_text()
    page.get_by_role("button", name="Log Call").click()
    page.get_by_role("heading", name="My Calls").wait_for()
    page.get_by_text("Ethereum will close above 10k by June 2027").wait_for()
    assert errors == []
