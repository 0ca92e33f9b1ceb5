"""Overlapping, multi-threaded sweeps against DynamoDB Local: every due call enqueued exactly once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from calledit.local.dynamodb import DynamoDBLocal
from calledit.prediction import Prediction
from calledit.scheduled.sweep import Sweeper
from calledit.storage.predictions import PredictionStore

from .conftest import create_predictions_table

NOW = datetime(2027, 6, 1, tzinfo=UTC)


class Queue:
    """Records SendMessageBatch calls (thread-safe), like the verify queue would receive them."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.lock = threading.Lock()

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        with self.lock:
            self.bodies += [entry["MessageBody"] for entry in Entries]
        return {"Successful": [{"Id": entry["Id"]} for entry in Entries], "Failed": []}


def test_overlapping_sweeps_enqueue_each_due_call_once(on_dynamodb_local: DynamoDBLocal) -> None:
    table_name = "sweep-test-predictions"
    create_predictions_table(on_dynamodb_local, table_name)
    store = PredictionStore(table_name)
    call = Prediction.model_validate(
        {
            "prediction_statement": "It will rain in Paris on 1 May 2027",
            "verification_date": "2027-05-01T21:59:59Z",
            "date_reasoning": "The end of 1 May 2027 in Paris.",
            "verification_method": {"source": ["Météo-France"], "criteria": ["Rain"], "steps": ["Look"]},
            "verifiable_category": "api_tool_verifiable",
            "category_reasoning": "Weather data.",
        }
    )
    with ThreadPoolExecutor(8) as pool:
        saved = list(
            pool.map(
                lambda i: store.create(f"u{i % 9}", f"r{i}", call, timezone="Europe/Paris", model="m")[0],
                range(240),
            )
        )
    queue = Queue()
    sweepers = [Sweeper(store=store, sqs=queue, queue_url="q", concurrency=4) for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        reports = list(pool.map(lambda sweeper: sweeper.sweep(NOW), sweepers))
    assert sum(r.enqueued for r in reports) == 240 and sum(r.failed for r in reports) == 0
    assert sum(r.found for r in reports) == 240 + sum(r.already_enqueued for r in reports)
    ids = sorted(body.split('"prediction_id": "')[1].split('"')[0] for body in queue.bodies)
    assert ids == sorted(p.prediction_id for p in saved)  # all of them, none twice
