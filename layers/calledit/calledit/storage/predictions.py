"""Saved predictions in DynamoDB: one partition per user, idempotent saves, no Scan anywhere.

Items of a user's partition ``PK = USER#{sub}``:
- ``PRED#{created_at}#{id}``: a prediction (newest first by SK).
- ``REQ#{request_id}``: idempotency marker, written in the same transaction as its prediction.
- ``HIST#{id}#{at}#{n}``: its verdict history (every verdict, confirm, override), oldest first.
- ``TAG#{tag}#{created_at}#{id}``: one per tag of a call (pointing at its SK), so "calls tagged x,
  newest first" is one Query; written with the call and replaced when its tags change.
- ``NOTE#…`` (notifications) and ``PROFILE`` (the email reminders go to) live here too.
Receipts: ``PK = RECEIPT#{token}``, ``SK = RECEIPT`` pointing at the call (see ``storage.receipts``).
Filters (status, outcome, category, text) are Queries of the user's partition with a filter and a
read budget per request; a page may come back short with a cursor to go on. Never a Scan.
Indexes:
- ``ById`` (LSI on PK + prediction_id): one item by id, inside the caller's partition.
- ``Due`` (sparse GSI on due_pk + due_sort): only unresolved items; ``due_sort`` is ``0#…`` for a
  proposed verdict and ``1#{verification_date}`` for a pending one, so "proposed first, then due
  by date" is one Query.
- ``Scores`` (sparse GSI on score_pk + SK, predictions only): the attributes the track record reads.
- ``Sweep`` (sparse GSI on sweep_shard + sweep_at): items a verification should pick up at
  ``sweep_at`` (the date; the next early check of a "by" call; or a stale claim), spread over 16
  shards so the periodic sweep reads them in parallel without a hot partition.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from calledit.aws import table
from calledit.prediction import (
    LEGACY_OUTCOME_STATUSES,
    Outcome,
    Prediction,
    PredictionStatus,
    format_utc,
    utc_now,
)
from calledit.saved import SavedPrediction
from calledit.scoring import ScoredCall
from calledit.settings import get_settings
from calledit.storage.conditional import unless_condition_fails
from calledit.verdict import Verdict, VerificationMode
from calledit.verifiability import assess

SWEEP_SHARDS = 16
READ_BUDGET = 2_000  # items a filtered page may examine in one request
# A claimed verification that has not finished after this long is handed out again.
VERIFYING_STALE_AFTER = timedelta(minutes=15)
# An item the sweep enqueued is not handed out again for this long (the queue may be behind).
ENQUEUED_WINDOW = timedelta(hours=1)
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
# "By …" calls are re-checked this often before their date.
EARLY_CHECK_EVERY = timedelta(hours=24)
HistoryKind = Literal["verdict", "confirm", "override"]
UNRESOLVED = (PredictionStatus.PENDING, PredictionStatus.VERIFYING, PredictionStatus.PROPOSED)


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def sweep_shard(prediction_id: str) -> str:
    digest = hashlib.sha256(prediction_id.encode()).digest()
    return f"S#{digest[0] % SWEEP_SHARDS:02d}"


def _pending_keys(verification_date: str, sweep_at: str, prediction_id: str, pk: str) -> dict[str, Any]:
    return {
        "due_pk": pk,
        "due_sort": f"1#{verification_date}",
        "sweep_shard": sweep_shard(prediction_id),
        "sweep_at": sweep_at,
    }


class PredictionStore:
    """All access to the predictions table (one partition per user)."""

    def __init__(self, table_name: str | None = None) -> None:
        self.table_name = table_name or get_settings().predictions_table
        self._table = table(self.table_name)

    # ------------------------------------------------------------------ create and read

    def create(
        self,
        user_id: str,
        request_id: str,
        prediction: Prediction,
        *,
        timezone: str,
        model: str,
        confidence: float | None = None,
        tags: list[str] | None = None,
    ) -> tuple[SavedPrediction, bool]:
        """Save once per (user, request_id); returns (item, created). A repeat returns the first item."""
        from botocore.exceptions import ClientError

        now = utc_now()
        prediction_id = str(uuid.uuid4())
        pk = user_pk(user_id)
        sk = f"PRED#{format_utc(now)}#{prediction_id}"
        checkable = _dynamo(assess(prediction).model_dump())  # computed here: never trusted from a client
        fields = {**prediction.model_dump(mode="json"), "verifiability": checkable}
        mode: VerificationMode = prediction.verification_mode
        first_check = self._first_check(fields["verification_date"], mode, now)
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
            "status": PredictionStatus.PENDING.value,
            "outcome_note": "",
            "tags": list(tags or []),
            "statement_lc": prediction.prediction_statement.casefold(),
            "score_pk": pk,
            **fields,
            **_pending_keys(fields["verification_date"], first_check, prediction_id, pk),
        }
        if mode == "before_date":
            item["next_check_at"] = first_check
        if confidence is not None:
            item["confidence"] = _dynamo(round(confidence, 2))
        marker = {"PK": pk, "SK": f"REQ#{request_id}", "prediction_sk": sk, "created_at": item["created_at"]}
        writes: list[Any] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": marker,
                    "ConditionExpression": "attribute_not_exists(SK)",
                }
            },
            {"Put": {"TableName": self.table_name, "Item": item}},
            *({"Put": {"TableName": self.table_name, "Item": self._tag_item(item, t)}} for t in item["tags"]),
        ]
        try:
            self._table.meta.client.transact_write_items(TransactItems=writes)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            existing = self._by_request(pk, request_id)
            if existing is None:  # the marker exists but its item was deleted since
                raise
            return existing, False
        return SavedPrediction.from_item(item), True

    @staticmethod
    def _tag_item(item: dict[str, Any], tag: str) -> dict[str, Any]:
        suffix = str(item["SK"]).removeprefix("PRED#")
        return {"PK": item["PK"], "SK": f"TAG#{tag}#{suffix}", "prediction_sk": item["SK"]}

    def set_tags(self, user_id: str, prediction_id: str, tags: list[str]) -> SavedPrediction | None:
        """Replace the call's tags and its tag items in one transaction; None if not the user's."""
        item = self._item(user_id, prediction_id)
        if item is None:
            return None
        old = [str(t) for t in item.get("tags") or []]
        key = {"PK": item["PK"], "SK": item["SK"]}
        writes: list[Any] = [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": key,
                    "UpdateExpression": "SET tags = :tags, updated_at = :now",
                    "ConditionExpression": "attribute_exists(SK)",
                    "ExpressionAttributeValues": {":tags": tags, ":now": format_utc(utc_now())},
                }
            },
            *(
                {"Delete": {"TableName": self.table_name, "Key": _key_of(self._tag_item(item, t))}}
                for t in old
                if t not in tags
            ),
            *(
                {"Put": {"TableName": self.table_name, "Item": self._tag_item(item, t)}}
                for t in tags
                if t not in old
            ),
        ]
        self._table.meta.client.transact_write_items(TransactItems=writes)
        return SavedPrediction.from_item({**item, "tags": tags})

    @staticmethod
    def _first_check(verification_date: str, mode: VerificationMode, now: datetime) -> str:
        if mode == "before_date":
            return min(verification_date, format_utc(now + EARLY_CHECK_EVERY))
        return verification_date

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
        self,
        user_id: str,
        *,
        limit: int,
        start: dict[str, Any] | None,
        status: str | None,
        outcome: str | None = None,
        category: str | None = None,
        tag: str | None = None,
        text: str | None = None,
        budget: int = READ_BUDGET,
    ) -> tuple[list[SavedPrediction], dict[str, Any] | None]:
        """Newest first. Filters keep reading until the page is full, the partition ends, or
        ``budget`` items were examined (then the page may be short; the cursor goes on from there).
        With ``tag``, the tag's items are read instead and their calls fetched in one batch."""
        if tag:
            return self._tagged_page(user_id, tag, limit, start, status, outcome, category, text, budget)
        from boto3.dynamodb.conditions import Key

        condition = _filters(status, outcome, category, text)
        items: list[SavedPrediction] = []
        last: dict[str, Any] | None = start
        examined = 0
        while True:
            kwargs: dict[str, Any] = {
                "KeyConditionExpression": Key("PK").eq(user_pk(user_id)) & Key("SK").begins_with("PRED#"),
                "ScanIndexForward": False,
                "Limit": limit - len(items),
            }
            if condition is not None:
                kwargs["FilterExpression"] = condition
                kwargs["Limit"] = min(max(limit - len(items), 50), budget - examined)
            if last:
                kwargs["ExclusiveStartKey"] = last
            response = self._table.query(**kwargs)
            examined += int(response.get("ScannedCount", 0))
            for raw in response.get("Items", []):
                items.append(SavedPrediction.from_item(raw))
                if len(items) == limit:
                    return items, {"PK": raw["PK"], "SK": raw["SK"]}
            last = response.get("LastEvaluatedKey")
            if not last or examined >= budget:
                return items, last

    def _tagged_page(
        self,
        user_id: str,
        tag: str,
        limit: int,
        start: dict[str, Any] | None,
        status: str | None,
        outcome: str | None,
        category: str | None,
        text: str | None,
        budget: int,
    ) -> tuple[list[SavedPrediction], dict[str, Any] | None]:
        from boto3.dynamodb.conditions import Key

        items: list[SavedPrediction] = []
        last = start
        examined = 0
        while True:
            kwargs: dict[str, Any] = {
                "KeyConditionExpression": Key("PK").eq(user_pk(user_id))
                & Key("SK").begins_with(f"TAG#{tag}#"),
                "ScanIndexForward": False,
                "Limit": min(100, budget - examined),
            }
            if last:
                kwargs["ExclusiveStartKey"] = last
            response = self._table.query(**kwargs)
            pointers = response.get("Items", [])
            examined += len(pointers)
            calls = self._batch_get(user_pk(user_id), [str(p["prediction_sk"]) for p in pointers])
            for pointer in pointers:
                call = calls.get(str(pointer["prediction_sk"]))
                if call is None or not _matches(call, status, outcome, category, text):
                    continue
                items.append(SavedPrediction.from_item(call))
                if len(items) == limit:
                    return items, {"PK": pointer["PK"], "SK": pointer["SK"]}
            last = response.get("LastEvaluatedKey")
            if not last or examined >= budget:
                return items, last

    def _batch_get(self, pk: str, sks: list[str]) -> dict[str, dict[str, Any]]:
        """Items by SK in the user's partition (BatchGetItem, 100 at a time, unprocessed keys retried)."""
        found: dict[str, dict[str, Any]] = {}
        client = self._table.meta.client
        for begin in range(0, len(sks), 100):
            request: dict[str, Any] = {
                self.table_name: {"Keys": [{"PK": pk, "SK": sk} for sk in sks[begin : begin + 100]]}
            }
            for _ in range(5):
                response = client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table_name, []):
                    found[str(item["SK"])] = item
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
        return found

    def upgrade_items(self) -> int:
        """Give calls saved by an older version the index keys they lack (score_pk; due and sweep keys
        of unresolved ones). A migration, never a request path: it is the one Scan, run by the local
        stack at start-up (and by hand after deploying over old data). Returns the items updated."""
        from boto3.dynamodb.conditions import Attr

        updated = 0
        kwargs: dict[str, Any] = {
            "FilterExpression": Attr("SK").begins_with("PRED#") & Attr("score_pk").not_exists(),
        }
        while True:
            response = self._table.scan(**kwargs)
            for item in response.get("Items", []):
                values: dict[str, Any] = {"score_pk": item["PK"]}
                status = str(item.get("status", "pending"))
                if status in ("pending", "verifying", "proposed") and not item.get("due_sort"):
                    date = str(item["verification_date"])
                    values.update(_pending_keys(date, date, str(item["prediction_id"]), str(item["PK"])))
                    if status == "proposed":
                        values["due_sort"] = f"0#{date}"
                names = {f"#{k}": k for k in values}
                self._table.update_item(
                    Key={"PK": item["PK"], "SK": item["SK"]},
                    UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in values),
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues={f":{k}": v for k, v in values.items()},
                )
                updated += 1
            if "LastEvaluatedKey" not in response:
                return updated
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def scored_calls(self, user_id: str) -> Iterator[ScoredCall]:
        """Every call of the user as scoring sees it, from the sparse Scores index (only the
        attributes scoring needs are projected, so the read is a tenth of the whole items)."""
        from boto3.dynamodb.conditions import Key

        kwargs: dict[str, Any] = {
            "IndexName": "Scores",
            "KeyConditionExpression": Key("score_pk").eq(user_pk(user_id)),
            "ProjectionExpression": (
                "#s, outcome, confidence, verifiable_category, tags, resolved_at, created_at"
            ),
            "ExpressionAttributeNames": {"#s": "status"},
        }
        while True:
            response = self._table.query(**kwargs)
            for item in response.get("Items", []):
                yield _scored(item)
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def all_calls(self, user_id: str) -> Iterator[SavedPrediction]:
        """Every call of the user, newest first (the export reads them page by page)."""
        from boto3.dynamodb.conditions import Key

        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("PK").eq(user_pk(user_id)) & Key("SK").begins_with("PRED#"),
            "ScanIndexForward": False,
        }
        while True:
            response = self._table.query(**kwargs)
            for item in response.get("Items", []):
                yield SavedPrediction.from_item(item)
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def get(self, user_id: str, prediction_id: str) -> SavedPrediction | None:
        """One of the user's predictions (None for a missing id or another user's)."""
        item = self._item(user_id, prediction_id)
        return SavedPrediction.from_item(item) if item else None

    def raw(self, user_id: str, prediction_id: str) -> dict[str, Any] | None:
        """The stored item by id (storage-internal: receipts and notifications read it)."""
        return self._item(user_id, prediction_id)

    def _item(self, user_id: str, prediction_id: str) -> dict[str, Any] | None:
        """The raw item by id, only inside the caller's partition."""
        from boto3.dynamodb.conditions import Attr, Key

        response = self._table.query(
            IndexName="ById",
            KeyConditionExpression=Key("PK").eq(user_pk(user_id)) & Key("prediction_id").eq(prediction_id),
            FilterExpression=Attr("SK").begins_with("PRED#"),  # defence: only predictions carry the key
        )
        found = response.get("Items", [])
        return found[0] if found else None

    def due(self, user_id: str, now: datetime, limit: int) -> list[SavedPrediction]:
        """Proposed verdicts first, then pending predictions whose date has passed, oldest first."""
        from boto3.dynamodb.conditions import Key

        response = self._table.query(
            IndexName="Due",
            KeyConditionExpression=Key("due_pk").eq(user_pk(user_id))
            & Key("due_sort").lte(f"1#{format_utc(now)}"),
            Limit=limit,
        )
        return [SavedPrediction.from_item(raw) for raw in response.get("Items", [])]

    def delete(self, user_id: str, prediction_id: str) -> bool:
        """Delete the caller's prediction, its idempotency marker and its history; False if not found."""
        from boto3.dynamodb.conditions import Key

        item = self._item(user_id, prediction_id)
        if item is None:
            return False
        self._table.delete_item(Key={"PK": item["PK"], "SK": item["SK"]})
        self._table.delete_item(Key={"PK": item["PK"], "SK": f"REQ#{item['request_id']}"})
        for tag in item.get("tags") or []:
            self._table.delete_item(Key=_key_of(self._tag_item(item, str(tag))))
        if item.get("share_token"):
            self._table.delete_item(Key={"PK": f"RECEIPT#{item['share_token']}", "SK": "RECEIPT"})
        history = self._table.query(
            KeyConditionExpression=Key("PK").eq(item["PK"]) & Key("SK").begins_with(f"HIST#{prediction_id}#"),
            ProjectionExpression="PK, SK",
        )
        with self._table.batch_writer() as batch:
            for entry in history.get("Items", []):
                batch.delete_item(Key={"PK": entry["PK"], "SK": entry["SK"]})
        return True

    # ------------------------------------------------------------------ verification and outcomes

    def _update(
        self,
        item: dict[str, Any],
        values: dict[str, Any],
        *,
        remove: tuple[str, ...] = (),
        statuses: tuple[PredictionStatus, ...] | None = None,
        extra_condition: str | None = None,
        extra_values: dict[str, Any] | None = None,
    ) -> SavedPrediction | None:
        values = {**values, "updated_at": format_utc(utc_now())}
        names = {f"#{k}": k for k in values}
        attr_values: dict[str, Any] = {f":{k}": v for k, v in values.items()} | (extra_values or {})
        update = "SET " + ", ".join(f"#{k} = :{k}" for k in values)
        if remove:
            update += " REMOVE " + ", ".join(remove)
        conditions = ["attribute_exists(SK)"]
        if statuses:
            names["#status"] = "status"
            for i, status in enumerate(statuses):
                attr_values[f":was{i}"] = status.value
            conditions.append(f"#status IN ({', '.join(f':was{i}' for i in range(len(statuses)))})")
        if extra_condition:
            if "#status" in extra_condition:
                names["#status"] = "status"
            conditions.append(extra_condition)
        response = unless_condition_fails(
            lambda: self._table.update_item(
                Key={"PK": item["PK"], "SK": item["SK"]},
                UpdateExpression=update,
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attr_values,
                ReturnValues="ALL_NEW",
            )
        )
        return None if response is None else SavedPrediction.from_item(response["Attributes"])

    def claim_verification(
        self, user_id: str, prediction_id: str, now: datetime, *, proposed: bool = True
    ) -> SavedPrediction | None:
        """pending (|proposed when ``proposed``; or a stale verifying claim) -> verifying; None if
        someone else has it. Scheduled checks leave a proposed verdict to the user."""
        item = self._item(user_id, prediction_id)
        if item is None:
            return None
        stale = format_utc(now - VERIFYING_STALE_AFTER)
        return self._update(
            item,
            {
                "status": PredictionStatus.VERIFYING.value,
                "verifying_since": format_utc(now),
                "sweep_at": format_utc(now + VERIFYING_STALE_AFTER),
            },
            extra_condition=(
                "(#status IN (:pending, :proposed) OR (#status = :verifying AND verifying_since < :stale))"
            ),
            extra_values={
                ":pending": PredictionStatus.PENDING.value,
                ":proposed": (PredictionStatus.PROPOSED if proposed else PredictionStatus.PENDING).value,
                ":verifying": PredictionStatus.VERIFYING.value,
                ":stale": stale,
            },
        )

    def record_verdict(
        self, user_id: str, prediction_id: str, verdict: Verdict, *, applies: bool
    ) -> SavedPrediction | None:
        """Keep the verdict in the history, then: resolve (``applies``), propose, or (a "by" call checked
        early and not settled yet) wait for the next check. Only from verifying."""
        item = self._item(user_id, prediction_id)
        if item is None:
            return None
        stored = _dynamo(verdict.model_dump(mode="json"))
        self._history(item, "verdict", stored)
        if applies:
            return self._update(
                item,
                {
                    "status": PredictionStatus.RESOLVED.value,
                    "outcome": verdict.outcome,
                    "verdict": stored,
                    "resolved_at": stored["checked_at"],
                    "resolved_by": "agent",
                },
                remove=("due_pk", "due_sort", "sweep_shard", "sweep_at", "verifying_since", "next_check_at"),
                statuses=(PredictionStatus.VERIFYING,),
            )
        date_passed = str(item["verification_date"]) <= str(stored["checked_at"])
        if item.get("verification_mode") == "before_date" and not date_passed and verdict.outcome != "true":
            next_check = min(item["verification_date"], format_utc(verdict.checked_at + EARLY_CHECK_EVERY))
            return self._update(
                item,
                {
                    "status": PredictionStatus.PENDING.value,
                    "verdict": stored,
                    "next_check_at": next_check,
                    "sweep_at": next_check,
                },
                remove=("verifying_since",),
                statuses=(PredictionStatus.VERIFYING,),
            )
        return self._update(
            item,
            {
                "status": PredictionStatus.PROPOSED.value,
                "verdict": stored,
                "due_sort": f"0#{stored['checked_at']}",
            },
            remove=("sweep_shard", "sweep_at", "verifying_since"),
            statuses=(PredictionStatus.VERIFYING,),
        )

    def release_verification(self, user_id: str, prediction_id: str) -> SavedPrediction | None:
        """verifying -> pending (the verification could not run): the next sweep tries again."""
        item = self._item(user_id, prediction_id)
        if item is None:
            return None
        return self._update(
            item,
            {"status": PredictionStatus.PENDING.value},
            remove=("verifying_since",),
            statuses=(PredictionStatus.VERIFYING,),
        )

    def confirm(self, user_id: str, prediction_id: str) -> SavedPrediction | None:
        """Accept the proposed verdict: resolved with its outcome. None unless a verdict is proposed."""
        item = self._item(user_id, prediction_id)
        if item is None or item.get("status") != PredictionStatus.PROPOSED.value or not item.get("verdict"):
            return None
        outcome = str(item["verdict"]["outcome"])
        done = self._resolve(item, outcome, "", "user", statuses=(PredictionStatus.PROPOSED,))
        if done is not None:
            self._history(item, "confirm", {"outcome": outcome})
        return done

    def record_outcome(
        self, user_id: str, prediction_id: str, outcome: Outcome, note: str
    ) -> SavedPrediction | None:
        """The user's own outcome (overrides a proposed verdict); correctable, never pending again."""
        item = self._item(user_id, prediction_id)
        if item is None:
            return None
        done = self._resolve(item, outcome, note, "user")
        if done is not None:
            self._history(item, "override", {"outcome": outcome, "note": note})
        return done

    def _resolve(
        self,
        item: dict[str, Any],
        outcome: str,
        note: str,
        by: str,
        statuses: tuple[PredictionStatus, ...] | None = None,
    ) -> SavedPrediction | None:
        now = format_utc(utc_now())
        return self._update(
            item,
            {
                "status": PredictionStatus.RESOLVED.value,
                "outcome": outcome,
                "outcome_note": note,
                "resolved_at": now,
                "resolved_by": by,
            },
            remove=("due_pk", "due_sort", "sweep_shard", "sweep_at", "verifying_since", "next_check_at"),
            statuses=statuses,
        )

    def _history(self, item: dict[str, Any], kind: HistoryKind, body: dict[str, Any]) -> None:
        at = format_utc(utc_now())
        # Microseconds in the key keep entries of the same second in the order they happened.
        order = datetime.now(UTC).isoformat(timespec="microseconds")
        self._table.put_item(
            Item={
                "PK": item["PK"],
                "SK": f"HIST#{item['prediction_id']}#{order}#{uuid.uuid4().hex[:8]}",
                "kind": kind,
                "at": at,
                **_dynamo(body),
            }
        )

    def history(self, user_id: str, prediction_id: str) -> list[dict[str, Any]] | None:
        """Every verdict and every user decision on a prediction, oldest first (None if not the user's)."""
        from boto3.dynamodb.conditions import Key

        if self._item(user_id, prediction_id) is None:
            return None
        response = self._table.query(
            KeyConditionExpression=Key("PK").eq(user_pk(user_id))
            & Key("SK").begins_with(f"HIST#{prediction_id}#")
        )
        return [
            {k: _plain(v) for k, v in entry.items() if k not in ("PK", "SK")}
            for entry in response.get("Items", [])
        ]

    # ------------------------------------------------------------------ the sweep

    def sweep_due(self, shard: str, now: datetime, limit: int = 1_000) -> list[dict[str, str]]:
        """One shard's items whose check is due: keys, user_id, prediction_id and the sweep_at seen."""
        from boto3.dynamodb.conditions import Key

        found: list[dict[str, str]] = []
        kwargs: dict[str, Any] = {
            "IndexName": "Sweep",
            "KeyConditionExpression": Key("sweep_shard").eq(shard) & Key("sweep_at").lte(format_utc(now)),
        }
        while len(found) < limit:
            response = self._table.query(**kwargs, Limit=limit - len(found))
            found += [
                {k: str(item[k]) for k in ("PK", "SK", "user_id", "prediction_id", "sweep_at")}
                for item in response.get("Items", [])
            ]
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found

    def mark_enqueued(self, due: list[dict[str, str]], now: datetime) -> list[dict[str, str]]:
        """Push each item's sweep_at past the enqueue window, only if no other sweep did; the items this
        call marked (to enqueue, once). Up to 100 conditional updates per transaction; a transaction
        cancelled because some items were taken meanwhile is retried without them."""
        marked: list[dict[str, str]] = []
        for start in range(0, len(due), MAX_TRANSACTION_ITEMS):
            marked += self._mark_chunk(due[start : start + MAX_TRANSACTION_ITEMS], now)
        return marked

    def _mark_chunk(
        self, chunk: list[dict[str, str]], now: datetime, attempts: int = 4
    ) -> list[dict[str, str]]:
        from botocore.exceptions import ClientError

        for _ in range(attempts):
            if not chunk:
                return []
            updates: list[Any] = [
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": {"PK": item["PK"], "SK": item["SK"]},
                        "UpdateExpression": "SET sweep_at = :later, enqueued_at = :now",
                        "ConditionExpression": "sweep_at = :seen",
                        "ExpressionAttributeValues": {
                            ":later": format_utc(now + ENQUEUED_WINDOW),
                            ":now": format_utc(now),
                            ":seen": item["sweep_at"],
                        },
                    }
                }
                for item in chunk
            ]
            try:
                self._table.meta.client.transact_write_items(TransactItems=updates)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = exc.response.get("CancellationReasons") or []
                taken = {
                    i for i, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"
                }
                chunk = [item for i, item in enumerate(chunk) if i not in taken]  # others: retry (conflicts)
                continue
            return chunk
        raise RuntimeError("could not mark due predictions: transactions kept conflicting")


def _key_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"PK": item["PK"], "SK": item["SK"]}


def _filters(status: str | None, outcome: str | None, category: str | None, text: str | None) -> Any:
    """A DynamoDB filter for the given criteria (None when there are none)."""
    from boto3.dynamodb.conditions import Attr

    parts: list[Any] = []
    if status:
        parts.append(Attr("status").eq(status))
    if outcome:
        parts.append(Attr("outcome").eq(outcome))
    if category:
        parts.append(Attr("verifiable_category").eq(category))
    if text:
        parts.append(Attr("statement_lc").contains(text.casefold()))
    condition: Any = None
    for part in parts:
        condition = part if condition is None else condition & part
    return condition


def _matches(
    item: dict[str, Any], status: str | None, outcome: str | None, category: str | None, text: str | None
) -> bool:
    """The same criteria as ``_filters``, for items fetched by key (the tag path)."""
    return (
        (not status or item.get("status") == status)
        and (not outcome or item.get("outcome") == outcome)
        and (not category or item.get("verifiable_category") == category)
        and (not text or text.casefold() in str(item.get("statement_lc", "")))
    )


def _scored(item: dict[str, Any]) -> ScoredCall:
    status = str(item.get("status", "pending"))
    outcome = item.get("outcome") or (status if status in LEGACY_OUTCOME_STATUSES else None)
    resolved = outcome is not None and (status == "resolved" or status in LEGACY_OUTCOME_STATUSES)
    confidence = item.get("confidence")
    return ScoredCall(
        outcome=cast(Outcome, str(outcome)) if resolved else None,
        confidence=float(confidence) if confidence is not None else None,
        category=str(item.get("verifiable_category", "")),
        tags=tuple(str(t) for t in item.get("tags") or []),
        resolved_at=_when(item.get("resolved_at")) if resolved else None,
        created_at=_when(item.get("created_at")) or datetime.now(UTC),
    )


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _dynamo(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dynamo(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
