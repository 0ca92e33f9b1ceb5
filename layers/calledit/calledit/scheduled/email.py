"""Reminder emails: through SES in AWS when a sender is configured, into an outbox folder locally.

Off unless configured: ``CALLEDIT_EMAIL_SENDER`` (a verified SES identity; in the SES sandbox every
recipient must be verified too, so nothing reaches strangers by accident) or ``CALLEDIT_EMAIL_OUTBOX``
(a directory; the local stack sets it under its data directory and lists it at ``/outbox``). Email
never blocks a notification: failures are logged and the in-app notification stands.
"""

from __future__ import annotations

import logging
import os
import uuid
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from calledit.storage.profiles import ProfileStore

logger = logging.getLogger(__name__)


def email_configured() -> bool:
    return bool(os.environ.get("CALLEDIT_EMAIL_SENDER") or os.environ.get("CALLEDIT_EMAIL_OUTBOX"))


def send_reminder(user_id: str, subject: str, text: str, profiles: ProfileStore | None = None) -> bool:
    """Email the user (if configured and their address is known); True when sent or written."""
    if not email_configured():
        return False
    to = (profiles or ProfileStore()).email(user_id)
    if not to:
        return False
    sender = os.environ.get("CALLEDIT_EMAIL_SENDER") or "CalledIt <reminders@calledit.local>"
    try:
        outbox = os.environ.get("CALLEDIT_EMAIL_OUTBOX")
        if outbox:
            _write(Path(outbox), sender, to, subject, text)
        else:
            from calledit.aws import ses_client

            ses_client().send_email(
                FromEmailAddress=sender,
                Destination={"ToAddresses": [to]},
                Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}}},
            )
    except Exception:
        logger.warning("could not send the reminder email", exc_info=True)
        return False
    return True


def _write(outbox: Path, sender: str, to: str, subject: str, text: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message.set_content(text)
    outbox.mkdir(parents=True, exist_ok=True)
    name = f"{message['Date'][5:25].replace(' ', '-').replace(':', '')}-{uuid.uuid4().hex[:8]}.eml"
    temporary = outbox / f".{name}"
    temporary.write_bytes(bytes(message))
    temporary.replace(outbox / name)  # readers never see half a message
