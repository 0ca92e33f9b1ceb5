"""What a user's reminders need: their email, kept from their verified token when they log a call.

``PK = USER#{sub}``, ``SK = PROFILE`` in the predictions table. Written only when it changes.
"""

from __future__ import annotations

from calledit.aws import table
from calledit.prediction import format_utc, utc_now
from calledit.settings import get_settings
from calledit.storage.conditional import unless_condition_fails


class ProfileStore:
    def __init__(self, table_name: str | None = None) -> None:
        self._table = table(table_name or get_settings().predictions_table)

    def remember_email(self, user_id: str, email: str) -> None:
        """Keep the user's (verified) email for reminders; a no-op when unchanged."""
        now = format_utc(utc_now())
        unless_condition_fails(
            lambda: self._table.put_item(
                Item={"PK": f"USER#{user_id}", "SK": "PROFILE", "email": email, "updated_at": now},
                ConditionExpression="attribute_not_exists(email) OR email <> :email",
                ExpressionAttributeValues={":email": email},
            )
        )

    def email(self, user_id: str) -> str | None:
        item = self._table.get_item(Key={"PK": f"USER#{user_id}", "SK": "PROFILE"}).get("Item")
        return str(item["email"]) if item and item.get("email") else None
