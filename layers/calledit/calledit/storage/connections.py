"""Connection records: who is on which WebSocket connection (expire with API Gateway's 2 h limit)."""

from __future__ import annotations

import time

from calledit.aws import table
from calledit.settings import get_settings

CONNECTION_TTL_S = 2 * 3600 + 600


class ConnectionStore:
    """DynamoDB access for connection records (table: CONNECTIONS_TABLE, key connection_id)."""

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

    def owner(self, connection_id: str) -> str | None:
        item = self._table.get_item(Key={"connection_id": connection_id}).get("Item")
        return str(item["user_id"]) if item else None
