"""Saved predictions in DynamoDB: one partition per user, idempotent saves, no Scan anywhere.

Keys: ``PK = USER#{sub}``, ``SK = PRED#{created_at}#{prediction_id}`` (newest first by SK).
``ById`` (LSI on PK + prediction_id) finds one item; ``Due`` (sparse GSI on due_pk +
verification_date) holds only pending items, so the "time to judge" list is one Query.
An idempotency marker ``SK = REQ#{request_id}`` is written in the same transaction as the item.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from calledit.aws import table
from calledit.prediction import Outcome, Prediction, SavedPrediction, format_utc, utc_now
from calledit.settings import get_settings


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


class PredictionStore:
    """All access to the predictions table (one partition per user)."""

    def __init__(self, table_name: str | None = None) -> None:
        self.table_name = table_name or get_settings().predictions_table
        self._table = table(self.table_name)

    def create(
        self, user_id: str, request_id: str, prediction: Prediction, *, timezone: str, model: str
    ) -> tuple[SavedPrediction, bool]:
        """Save once per (user, request_id); returns (item, created). A repeat returns the first item."""
        from botocore.exceptions import ClientError

        now = utc_now()
        prediction_id = str(uuid.uuid4())
        pk = user_pk(user_id)
        sk = f"PRED#{format_utc(now)}#{prediction_id}"
        item: dict[str, Any] = {
            "PK": pk,
            "SK": sk,
            "prediction_id": prediction_id,
            "request_id": request_id,
            "user_id": user_id,
            "created_at": format_utc(now),
            "updated_at": format_utc(now),
            "timezone": timezone,
            "model": model,
            "status": "pending",
            "outcome_note": "",
            "due_pk": pk,
            **prediction.model_dump(mode="json"),
        }
        marker = {
            "PK": pk,
            "SK": f"REQ#{request_id}",
            "prediction_sk": sk,
            "created_at": item["created_at"],
        }
        client = self._table.meta.client
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": marker,
                            "ConditionExpression": "attribute_not_exists(SK)",
                        }
                    },
                    {"Put": {"TableName": self.table_name, "Item": item}},
                ]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            existing = self._by_request(pk, request_id)
            if existing is None:  # the marker exists but its item was deleted since
                raise
            return existing, False
        return SavedPrediction.from_item(item), True

    def _by_request(self, pk: str, request_id: str) -> SavedPrediction | None:
        marker = self._table.get_item(Key={"PK": pk, "SK": f"REQ#{request_id}"}, ConsistentRead=True).get(
            "Item"
        )
        if not marker:
            return None
        item = self._table.get_item(Key={"PK": pk, "SK": marker["prediction_sk"]}, ConsistentRead=True).get(
            "Item"
        )
        return SavedPrediction.from_item(item) if item else None

    def page(
        self, user_id: str, *, limit: int, start: dict[str, Any] | None, status: str | None
    ) -> tuple[list[SavedPrediction], dict[str, Any] | None]:
        """Newest first; with a status filter, keeps reading until the page is full or the partition ends."""
        from boto3.dynamodb.conditions import Attr, Key

        items: list[SavedPrediction] = []
        last: dict[str, Any] | None = start
        while True:
            kwargs: dict[str, Any] = {
                "KeyConditionExpression": Key("PK").eq(user_pk(user_id)) & Key("SK").begins_with("PRED#"),
                "ScanIndexForward": False,
                "Limit": limit - len(items),
            }
            if status:
                kwargs["FilterExpression"] = Attr("status").eq(status)
                kwargs["Limit"] = max(limit - len(items), 25)
            if last:
                kwargs["ExclusiveStartKey"] = last
            response = self._table.query(**kwargs)
            for raw in response.get("Items", []):
                items.append(SavedPrediction.from_item(raw))
                if len(items) == limit:
                    return items, {"PK": raw["PK"], "SK": raw["SK"]}
            last = response.get("LastEvaluatedKey")
            if not last:
                return items, None

    def get(self, user_id: str, prediction_id: str) -> SavedPrediction | None:
        """One of the user's predictions (None for a missing id or another user's)."""
        item = self._item(user_id, prediction_id)
        return SavedPrediction.from_item(item) if item else None

    def _item(self, user_id: str, prediction_id: str) -> dict[str, Any] | None:
        """The raw item by id, only inside the caller's partition."""
        from boto3.dynamodb.conditions import Key

        response = self._table.query(
            IndexName="ById",
            KeyConditionExpression=Key("PK").eq(user_pk(user_id)) & Key("prediction_id").eq(prediction_id),
            Limit=1,
        )
        found = response.get("Items", [])
        return found[0] if found else None

    def record_outcome(
        self, user_id: str, prediction_id: str, status: Outcome, note: str
    ) -> SavedPrediction | None:
        """Set the outcome; leaves the Due index (due_pk removed). None if the id is not the caller's."""
        from botocore.exceptions import ClientError

        item = self._item(user_id, prediction_id)
        if item is None:
            return None
        try:
            response = self._table.update_item(
                Key={"PK": item["PK"], "SK": item["SK"]},
                UpdateExpression="SET #s = :s, outcome_note = :n, updated_at = :u REMOVE due_pk",
                ConditionExpression="attribute_exists(SK)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": status, ":n": note, ":u": format_utc(utc_now())},
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return SavedPrediction.from_item(response["Attributes"])

    def delete(self, user_id: str, prediction_id: str) -> bool:
        """Delete the caller's prediction and its idempotency marker; False if not found."""
        item = self._item(user_id, prediction_id)
        if item is None:
            return False
        self._table.delete_item(Key={"PK": item["PK"], "SK": item["SK"]})
        self._table.delete_item(Key={"PK": item["PK"], "SK": f"REQ#{item['request_id']}"})
        return True

    def due(self, user_id: str, now: datetime, limit: int) -> list[SavedPrediction]:
        """Pending predictions whose verification date has passed, oldest first."""
        from boto3.dynamodb.conditions import Key

        response = self._table.query(
            IndexName="Due",
            KeyConditionExpression=Key("due_pk").eq(user_pk(user_id))
            & Key("verification_date").lte(format_utc(now)),
            Limit=limit,
        )
        return [SavedPrediction.from_item(raw) for raw in response.get("Items", [])]
