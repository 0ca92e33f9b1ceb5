"""A data directory from an older version (the first release's predictions table: a Due index keyed
on the date, no Sweep or Scores index, items without their keys) is brought up to date at start."""

from __future__ import annotations

from typing import Any

from calledit.local.dynamodb import DynamoDBLocal, dynamodb_client
from calledit.storage.predictions import PredictionStore

from .conftest import create_predictions_table

OLD_TABLE = {
    "AttributeDefinitions": [
        {"AttributeName": "PK", "AttributeType": "S"},
        {"AttributeName": "SK", "AttributeType": "S"},
        {"AttributeName": "prediction_id", "AttributeType": "S"},
        {"AttributeName": "due_pk", "AttributeType": "S"},
        {"AttributeName": "verification_date", "AttributeType": "S"},
    ],
    "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
    "LocalSecondaryIndexes": [
        {
            "IndexName": "ById",
            "KeySchema": [
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "prediction_id", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "Due",
            "KeySchema": [
                {"AttributeName": "due_pk", "KeyType": "HASH"},
                {"AttributeName": "verification_date", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
}


def old_item(n: int, status: str) -> dict[str, Any]:
    item = {
        "PK": "USER#olga",
        "SK": f"PRED#2026-01-0{n}T10:00:00Z#0000000{n}-0000-4000-8000-000000000000",
        "prediction_id": f"0000000{n}-0000-4000-8000-000000000000",
        "request_id": f"r{n}",
        "user_id": "olga",
        "created_at": f"2026-01-0{n}T10:00:00Z",
        "updated_at": f"2026-01-0{n}T10:00:00Z",
        "timezone": "UTC",
        "model": "offline-heuristic",
        "status": status,
        "outcome_note": "",
        "prediction_statement": f"Old call {n}",
        "verification_date": "2026-03-01T00:00:00Z",
        "date_reasoning": "d",
        "verification_method": {"source": ["s"], "criteria": ["c"], "steps": ["x"]},
        "verifiable_category": "api_tool_verifiable",
        "category_reasoning": "r",
        "initial_status": "pending",
    }
    if status == "pending":
        item["due_pk"] = "USER#olga"
    return item


def test_old_tables_get_todays_indexes_and_old_items_their_keys(on_dynamodb_local: DynamoDBLocal) -> None:
    client = dynamodb_client(on_dynamodb_local.endpoint)
    name = "upgrade-test-predictions"
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **OLD_TABLE)
    store = PredictionStore(name)
    for n, status in ((1, "true"), (2, "false"), (3, "pending")):
        store._table.put_item(Item=old_item(n, status))

    assert create_predictions_table(on_dynamodb_local, name) == []
    indexes = {
        g["IndexName"]: g for g in client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    }
    assert set(indexes) == {"Due", "Sweep", "Scores"}
    assert [k["AttributeName"] for k in indexes["Due"]["KeySchema"]] == ["due_pk", "due_sort"]

    assert store.upgrade_items() == 3
    assert store.upgrade_items() == 0  # idempotent
    from datetime import UTC, datetime

    from calledit.scoring import track_record

    record = track_record(store.scored_calls("olga"))
    assert (record.total, record.resolved, record.pending, record.accuracy) == (3, 2, 1, 0.5)
    due = store.due("olga", datetime(2026, 6, 1, tzinfo=UTC), 10)
    assert [d.prediction_statement for d in due] == ["Old call 3"]
