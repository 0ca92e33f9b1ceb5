"""Job records: one per (user, request_id); the worker's state, the cancel flag, the resume target."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from calledit.aws import table
from calledit.settings import get_settings

JOB_TTL_S = 24 * 3600
# A job not updated for this long is not counted as running (its worker died; Lambda's limit is 300 s).
STALE_AFTER_S = 600
JobStatus = Literal["queued", "running", "completed", "failed", "cancelled", "abandoned"]
ACTIVE: frozenset[str] = frozenset({"queued", "running"})
TERMINAL: frozenset[str] = frozenset({"completed", "failed", "cancelled"})


class JobExists(Exception):
    """A job with this request_id already exists for the user."""


@dataclass(frozen=True)
class Job:
    """A snapshot of a job record."""

    user_id: str
    request_id: str
    status: str
    connection_id: str
    endpoint: str
    prompt: str
    timezone: str
    attach_version: int = 0
    resume_after: int = 0
    cancel_requested: bool = False
    last_seq: int = 0
    final_frame: dict[str, Any] | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Job:
        return cls(
            user_id=str(item["user_id"]),
            request_id=str(item["request_id"]),
            status=str(item["status"]),
            connection_id=str(item.get("connection_id", "")),
            endpoint=str(item.get("endpoint", "")),
            prompt=str(item.get("prompt", "")),
            timezone=str(item.get("timezone", "UTC")),
            attach_version=int(item.get("attach_version", 0)),
            resume_after=int(item.get("resume_after", 0)),
            cancel_requested=bool(item.get("cancel_requested", False)),
            last_seq=int(item.get("last_seq", 0)),
            final_frame=_plain(item["final_frame"]) if item.get("final_frame") else None,
        )


def _plain(value: Any) -> Any:
    """DynamoDB Decimals back to ints/floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class JobStore:
    """DynamoDB access for job records (table: JOBS_TABLE, key user_id + request_id)."""

    def __init__(self, table_name: str | None = None) -> None:
        self._table = table(table_name or get_settings().jobs_table)

    def create(
        self, user_id: str, request_id: str, *, connection_id: str, endpoint: str, prompt: str, timezone: str
    ) -> Job:
        """Insert a queued job; raises ``JobExists`` if the request id was used by this user."""
        from botocore.exceptions import ClientError

        now = int(time.time())
        item: dict[str, Any] = {
            "user_id": user_id,
            "request_id": request_id,
            "status": "queued",
            "connection_id": connection_id,
            "endpoint": endpoint,
            "prompt": prompt,
            "timezone": timezone,
            "attach_version": 0,
            "resume_after": 0,
            "cancel_requested": False,
            "last_seq": 0,
            "created_at": now,
            "updated_at": now,
            "expires_at": now + JOB_TTL_S,
        }
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(request_id)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise JobExists(request_id) from None
            raise
        return Job.from_item(item)

    def get(self, user_id: str, request_id: str, *, consistent: bool = True) -> Job | None:
        """The job, or None (also for another user's request id: the key includes the user)."""
        item = self._table.get_item(
            Key={"user_id": user_id, "request_id": request_id}, ConsistentRead=consistent
        ).get("Item")
        return Job.from_item(item) if item else None

    def count_active(self, user_id: str) -> int:
        """How many of the user's jobs are queued or running (Query on the user's partition)."""
        from boto3.dynamodb.conditions import Attr, Key

        response = self._table.query(
            KeyConditionExpression=Key("user_id").eq(user_id),
            FilterExpression=Attr("status").is_in(list(ACTIVE))
            & Attr("updated_at").gt(int(time.time()) - STALE_AFTER_S),
            ProjectionExpression="request_id",
        )
        return len(response.get("Items", []))

    def _update(
        self,
        user_id: str,
        request_id: str,
        values: dict[str, Any],
        condition: str | None = None,
        add_version: bool = False,
        condition_values: dict[str, Any] | None = None,
    ) -> bool:
        from botocore.exceptions import ClientError

        values = {**values, "updated_at": int(time.time())}
        names = {f"#{k}": k for k in values}
        expr = "SET " + ", ".join(f"#{k} = :{k}" for k in values)
        attr_values: dict[str, Any] = {f":{k}": v for k, v in values.items()} | (condition_values or {})
        if add_version:
            expr += " ADD attach_version :one"
            attr_values[":one"] = 1
        kwargs: dict[str, Any] = {
            "Key": {"user_id": user_id, "request_id": request_id},
            "UpdateExpression": expr,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": attr_values,
            "ConditionExpression": condition or "attribute_exists(request_id)",
        }
        try:
            self._table.update_item(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def mark_running(self, user_id: str, request_id: str) -> bool:
        return self._update(user_id, request_id, {"status": "running"})

    def request_cancel(self, user_id: str, request_id: str) -> bool:
        """Flag a job for cancellation; the worker notices within its poll interval."""
        return self._update(user_id, request_id, {"cancel_requested": True})

    def attach(self, user_id: str, request_id: str, connection_id: str, after_seq: int) -> bool:
        """Point the job at a new connection (resume); the worker replays frames after ``after_seq``."""
        return self._update(
            user_id, request_id, {"connection_id": connection_id, "resume_after": after_seq}, add_version=True
        )

    def requeue(self, user_id: str, request_id: str, connection_id: str) -> bool:
        """Restart an abandoned job on a new connection (only if it is still abandoned)."""
        return self._update(
            user_id,
            request_id,
            {"status": "queued", "connection_id": connection_id, "cancel_requested": False},
            condition="#status = :was",
            condition_values={":was": "abandoned"},
        )

    def finish(
        self,
        user_id: str,
        request_id: str,
        status: JobStatus,
        *,
        last_seq: int,
        final_frame: dict[str, Any] | None,
        prediction: dict[str, Any] | None = None,
    ) -> None:
        """Record the outcome; written whatever happened to the connection."""
        values: dict[str, Any] = {"status": status, "last_seq": last_seq}
        if final_frame is not None:
            values["final_frame"] = final_frame
        if prediction is not None:
            values["prediction"] = prediction
        self._update(user_id, request_id, values)
