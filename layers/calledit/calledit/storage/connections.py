"""Connection records: who is on which WebSocket connection (they expire with API Gateway's 2 h limit).

Table CONNECTIONS_TABLE, key ``connection_id``; the ``ByUser`` index (user_id, connected_at) finds a
user's open connections, to push notifications (a verdict is ready, a call is due) to every tab.
"""

from __future__ import annotations

import time

from calledit.aws import table
from calledit.settings import get_settings

CONNECTION_TTL_S = 2 * 3600 + 600


class ConnectionStore:
    """DynamoDB access for connection records."""

    def __init__(self, table_name: str | None = None) -> None:
        self._table = table(table_name or get_settings().connections_table)

    def add(self, connection_id: str, user_id: str, source_ip: str = "") -> None:
        now = int(time.time())
        self._table.put_item(
            Item={
                "connection_id": connection_id,
                "user_id": user_id,
                "source_ip": source_ip,
                "connected_at": now,
                "expires_at": now + CONNECTION_TTL_S,
            }
        )

    def remove(self, connection_id: str) -> None:
        self._table.delete_item(Key={"connection_id": connection_id})

    def for_user(self, user_id: str) -> list[str]:
        """The user's connection ids, newest first (records of closed sockets may linger until TTL)."""
        from boto3.dynamodb.conditions import Key

        response = self._table.query(
            IndexName="ByUser",
            KeyConditionExpression=Key("user_id").eq(user_id),
            ScanIndexForward=False,
            ProjectionExpression="connection_id",
            Limit=20,
        )
        return [str(item["connection_id"]) for item in response.get("Items", [])]
