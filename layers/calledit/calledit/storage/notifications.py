"""In-app notifications: items in the user's partition of the predictions table.

``PK = USER#{sub}``, ``SK = NOTE#{created_at}#{id}`` (newest first by SK), with ``read`` and a TTL of
90 days. Written when a verdict is ready or a call is due; listed and marked read through the REST API.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel

from calledit.aws import table
from calledit.prediction import format_utc, utc_now
from calledit.settings import get_settings

NOTIFICATION_TTL_S = 90 * 24 * 3600
NotificationKind = Literal["verdict_ready", "due"]


class Notification(BaseModel):
    """One notification as the API returns it."""

    notification_id: str
    kind: NotificationKind
    prediction_id: str
    title: str
    created_at: str
    read: bool = False


class NotificationStore:
    """DynamoDB access for a user's notifications."""

    def __init__(self, table_name: str | None = None) -> None:
        self._table = table(table_name or get_settings().predictions_table)

    def add(self, user_id: str, kind: NotificationKind, prediction_id: str, title: str) -> Notification:
        created = format_utc(utc_now())
        note = Notification(
            notification_id=uuid.uuid4().hex,
            kind=kind,
            prediction_id=prediction_id,
            title=title,
            created_at=created,
        )
        fields = note.model_dump()
        # Not "prediction_id": that attribute keys the table's ById index, which must hold predictions only.
        fields["subject_id"] = fields.pop("prediction_id")
        self._table.put_item(
            Item={
                "PK": f"USER#{user_id}",
                "SK": f"NOTE#{created}#{note.notification_id}",
                **fields,
                "expires_at": int(time.time()) + NOTIFICATION_TTL_S,
            }
        )
        return note

    def recent(self, user_id: str, limit: int = 50) -> list[Notification]:
        from boto3.dynamodb.conditions import Key

        response = self._table.query(
            KeyConditionExpression=Key("PK").eq(f"USER#{user_id}") & Key("SK").begins_with("NOTE#"),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [Notification.model_validate(_fields(item)) for item in response.get("Items", [])]

    def mark_read(self, user_id: str, notification_ids: set[str] | None = None) -> int:
        """Mark some (or, with None, all recent) notifications read; returns how many changed."""
        changed = 0
        for note in self.recent(user_id, limit=200):
            if note.read or (notification_ids is not None and note.notification_id not in notification_ids):
                continue
            self._table.update_item(
                Key={"PK": f"USER#{user_id}", "SK": f"NOTE#{note.created_at}#{note.notification_id}"},
                UpdateExpression="SET #r = :true",
                ExpressionAttributeNames={"#r": "read"},
                ExpressionAttributeValues={":true": True},
            )
            changed += 1
        return changed


def _fields(item: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in item.items() if k in Notification.model_fields}
    fields["prediction_id"] = item.get("subject_id", "")
    return fields
