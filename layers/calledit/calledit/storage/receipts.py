"""Receipts: an opt-in, revocable public link to one call (``/r/<token>``).

A receipt is an item ``PK = RECEIPT#{token}``, ``SK = RECEIPT`` in the predictions table pointing at
the call (its partition and sort key); the call carries ``share_token`` so its owner sees the link and
can revoke it. The token is 192 random bits (``secrets.token_urlsafe(24)``): unguessable, and the only
way in. Reading a receipt returns public fields only (no user id, email, notes or evidence text);
an unknown and a revoked token read the same: None.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from calledit.aws import table
from calledit.prediction import Outcome, UtcDatetime, format_utc, utc_now
from calledit.settings import get_settings
from calledit.storage.predictions import PredictionStore

TOKEN_BYTES = 24
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")


class PublicReceipt(BaseModel):
    """What anyone with the link sees."""

    prediction_statement: str
    made_at: UtcDatetime = Field(description="When the call was logged")
    verification_date: UtcDatetime
    timezone: str
    confidence: float | None = Field(description="The stated probability it comes true, if any")
    status: str
    outcome: Outcome | None = None
    resolved_at: UtcDatetime | None = None
    resolved_by: str | None = None
    verdict_outcome: Outcome | None = None
    verdict_checked_at: datetime | None = None


class ReceiptStore:
    """Create, revoke and read receipts (the owner's calls go through PredictionStore)."""

    def __init__(self, predictions: PredictionStore | None = None) -> None:
        self.predictions = predictions or PredictionStore()
        self._table = table(self.predictions.table_name or get_settings().predictions_table)

    def share(self, user_id: str, prediction_id: str) -> str | None:
        """The call's token (made on first share); None if the call is not the user's."""
        item = self.predictions.raw(user_id, prediction_id)
        if item is None:
            return None
        if item.get("share_token"):
            return str(item["share_token"])
        token = secrets.token_urlsafe(TOKEN_BYTES)
        self._table.meta.client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.predictions.table_name,
                        "Item": {
                            "PK": f"RECEIPT#{token}",
                            "SK": "RECEIPT",
                            "owner_pk": item["PK"],
                            "prediction_sk": item["SK"],
                            "created_at": format_utc(utc_now()),
                        },
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
                {
                    "Update": {
                        "TableName": self.predictions.table_name,
                        "Key": {"PK": item["PK"], "SK": item["SK"]},
                        "UpdateExpression": "SET share_token = :t",
                        "ConditionExpression": "attribute_exists(SK) AND attribute_not_exists(share_token)",
                        "ExpressionAttributeValues": {":t": token},
                    }
                },
            ]
        )
        return token

    def revoke(self, user_id: str, prediction_id: str) -> bool:
        """Stop sharing (idempotent); False if the call is not the user's."""
        item = self.predictions.raw(user_id, prediction_id)
        if item is None:
            return False
        token = item.get("share_token")
        if token:
            self._table.delete_item(Key={"PK": f"RECEIPT#{token}", "SK": "RECEIPT"})
            self._table.update_item(
                Key={"PK": item["PK"], "SK": item["SK"]},
                UpdateExpression="REMOVE share_token",
                ConditionExpression="attribute_exists(SK)",
            )
        return True

    def read(self, token: str) -> PublicReceipt | None:
        """The public view of a shared call; None for a malformed, unknown or revoked token."""
        if not TOKEN_PATTERN.match(token):
            return None
        pointer = self._table.get_item(Key={"PK": f"RECEIPT#{token}", "SK": "RECEIPT"}).get("Item")
        if pointer is None:
            return None
        key = {"PK": pointer["owner_pk"], "SK": pointer["prediction_sk"]}
        item = self._table.get_item(Key=key).get("Item")
        if item is None or item.get("share_token") != token:
            return None
        return _public(item)


def _public(item: dict[str, Any]) -> PublicReceipt:
    verdict = item.get("verdict") or {}
    status = str(item.get("status", "pending"))
    return PublicReceipt(
        prediction_statement=str(item["prediction_statement"]),
        made_at=item["created_at"],
        verification_date=item["verification_date"],
        timezone=str(item.get("timezone", "UTC")),
        confidence=float(item["confidence"]) if item.get("confidence") is not None else None,
        status="resolved" if status in ("true", "false", "inconclusive") else status,
        outcome=item.get("outcome") or (status if status in ("true", "false", "inconclusive") else None),
        resolved_at=item.get("resolved_at"),
        resolved_by=item.get("resolved_by"),
        verdict_outcome=verdict.get("outcome"),
        verdict_checked_at=verdict.get("checked_at"),
    )
