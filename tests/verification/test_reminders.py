"""Reminders: the notification is always stored; email goes to the local outbox or through SES when
configured, to the address kept from the user's verified token; the outbox page escapes what it shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from calledit.scheduled.notify import notify
from calledit.storage.notifications import NotificationStore


def log_a_call(api: Any) -> None:
    body = {
        "request_id": "r1",
        "prediction": {
            "prediction_statement": "It will rain in Paris on 1 May 2027",
            "verification_date": "2027-05-01T21:59:59Z",
            "date_reasoning": "The end of 1 May 2027 in Paris.",
            "verification_method": {"source": ["Météo-France"], "criteria": ["Rain"], "steps": ["Look"]},
            "verifiable_category": "api_tool_verifiable",
            "category_reasoning": "Weather data.",
        },
    }
    assert api("POST", "/predictions", body=body)[0] == 201  # keeps alice@example.com for reminders


def test_without_email_settings_only_the_notification_is_kept(api: Any, tmp_path: Path) -> None:
    log_a_call(api)
    notify("alice", "due", "p1", "Due: what happened?")
    assert [n.title for n in NotificationStore().recent("alice")] == ["Due: what happened?"]


def test_the_local_outbox_gets_the_email_and_its_page_escapes_it(
    api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calledit.local.outbox import render

    monkeypatch.setenv("CALLEDIT_EMAIL_OUTBOX", str(tmp_path / "outbox"))
    log_a_call(api)
    notify("alice", "verdict_ready", "p1", "Resolved true: “<b>rain</b>”")
    notify("nobody", "due", "p2", "No address known: no email")
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    text = eml.read_text()
    assert "To: alice@example.com" in text and "Subject: CalledIt: Resolved true" in text
    page = render(tmp_path / "outbox")
    assert "&lt;b&gt;rain&lt;/b&gt;" in page and "<b>rain</b>" not in page
    assert "alice@example.com" in page


def test_ses_sends_from_the_configured_sender(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    boto3.client("sesv2", region_name="us-east-1").create_email_identity(
        EmailIdentity="reminders@example.com"
    )
    monkeypatch.setenv("CALLEDIT_EMAIL_SENDER", "reminders@example.com")
    log_a_call(api)
    notify("alice", "due", "p1", "Due: what happened?")
    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert len(sent) == 1
    assert sent[0].source == "reminders@example.com" and sent[0].destinations["ToAddresses"] == [
        "alice@example.com"
    ]
    assert sent[0].subject == "CalledIt: Due: what happened?"
