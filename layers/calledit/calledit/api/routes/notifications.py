"""The caller's in-app notifications (the bell): list with the unread count, mark read."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from calledit.api.identity import caller_id
from calledit.storage.notifications import Notification, NotificationStore

router = Router()


class NotificationList(BaseModel):
    items: list[Notification] = Field(description="Newest first (up to 50; older ones expire after 90 days)")
    unread: int


class MarkRead(BaseModel):
    """Which notifications to mark read; none named: all of them."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]] | None = Field(default=None, max_length=50)


class Marked(BaseModel):
    marked: int


@router.get("/notifications")
def list_notifications() -> NotificationList:
    """Recent notifications (a verdict is ready, a call is due) and how many are unread."""
    items = NotificationStore().recent(caller_id(router))
    return NotificationList(items=items, unread=sum(1 for n in items if not n.read))


@router.post("/notifications/read")
def mark_read(body: Annotated[MarkRead, Body()]) -> Marked:
    """Mark the named notifications read (all of them when ``ids`` is omitted)."""
    ids = set(body.ids) if body.ids is not None else None
    return Marked(marked=NotificationStore().mark_read(caller_id(router), ids))
