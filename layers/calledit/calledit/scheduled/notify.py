"""Tell a user something outside any request: an in-app notification, pushed to every open tab."""

from __future__ import annotations

import logging
from collections.abc import Callable

from calledit.protocol import ACK_SEQ, NotificationEvent, encode, frame
from calledit.scheduled.email import email_configured, send_reminder
from calledit.settings import get_settings
from calledit.storage.connections import ConnectionStore
from calledit.storage.notifications import NotificationKind, NotificationStore
from calledit.ws.transport import ConnectionGone, ManagementApiTransport, Transport, TransportError

logger = logging.getLogger(__name__)
TransportFactory = Callable[[str, str], Transport]


def notify(
    user_id: str,
    kind: NotificationKind,
    prediction_id: str,
    title: str,
    *,
    connections: ConnectionStore | None = None,
    notifications: NotificationStore | None = None,
    transport_factory: TransportFactory | None = None,
) -> int:
    """Store the notification and post a ``notification`` frame to the user's connections; returns
    how many connections got it (closed ones are skipped: the bell shows it on the next visit)."""
    (notifications or NotificationStore()).add(user_id, kind, prediction_id, title)
    if email_configured():
        send_reminder(user_id, f"CalledIt: {title}", f"{title}\n\nOpen CalledIt to see it and answer.\n")
    endpoint = get_settings().management_endpoint
    if not endpoint:
        logger.warning("no management endpoint configured: the notification is stored only")
        return 0
    body = encode(
        frame(NotificationEvent(kind=kind, prediction_id=prediction_id, title=title), None, ACK_SEQ)
    )
    delivered = 0
    for connection_id in (connections or ConnectionStore()).for_user(user_id):
        try:
            (transport_factory or ManagementApiTransport)(endpoint, connection_id).post(body)
            delivered += 1
        except (ConnectionGone, TransportError):
            continue
    return delivered
