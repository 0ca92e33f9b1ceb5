"""Tag, category, status and text filters on DynamoDB Local with 1,000 calls: exact results, every page
bounded, no Scan (the table's Scan is made to fail)."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from calledit.local.dynamodb import DynamoDBLocal
from calledit.prediction import Prediction
from calledit.saved import SavedPrediction
from calledit.storage.predictions import PredictionStore

from .conftest import create_predictions_table, talking_to

CALLS = 1_000
TAGS = ["sport", "weather", "markets", "politics", "tech", "science", "music"]
CATEGORIES = ["api_tool_verifiable", "human_verifiable_only", "strands_tool_verifiable"]


@pytest.fixture(scope="module")
def seeded(dynamodb_local: DynamoDBLocal) -> Any:
    with talking_to(dynamodb_local):
        name = "filters-test-predictions"
        create_predictions_table(dynamodb_local, name)
        store = PredictionStore(name)
        rng = random.Random(7)
        plan = [
            (
                f"Call {i} about {'Zürich' if i % 10 == 0 else 'Paris'} in 2027",
                rng.sample(TAGS, rng.randint(0, 3)),
                CATEGORIES[i % 3],
            )
            for i in range(CALLS)
        ]

        def create(i: int) -> SavedPrediction:
            statement, tags, category = plan[i]
            call = Prediction.model_validate(
                {
                    "prediction_statement": statement,
                    "verification_date": "2027-05-01T21:59:59Z",
                    "date_reasoning": "The end of 1 May 2027.",
                    "verification_method": {"source": ["s"], "criteria": ["c"], "steps": ["x"]},
                    "verifiable_category": category,
                    "category_reasoning": "r",
                }
            )
            return store.create("fiona", f"r{i}", call, timezone="UTC", model="m", tags=tags)[0]

        with ThreadPoolExecutor(8) as pool:
            calls = list(pool.map(create, range(CALLS)))
        yield store, calls


def every_page(store: PredictionStore, **filters: Any) -> tuple[list[SavedPrediction], int]:
    found: list[SavedPrediction] = []
    start, requests = None, 0
    while True:
        items, start = store.page("fiona", limit=25, start=start, status=None, **filters)
        requests += 1
        assert len(items) <= 25
        found += items
        if start is None:
            return found, requests


@pytest.mark.parametrize(
    "filters",
    [
        {"tag": "sport"},
        {"tag": "music", "category": "human_verifiable_only"},
        {"category": "strands_tool_verifiable"},
        {"text": "zürich"},
        {"tag": "weather", "text": "zürich"},
        {"tag": "no-such-tag"},
    ],
    ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()),
)
def test_filters_return_exactly_the_matching_calls(
    seeded: Any, filters: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, calls = seeded
    monkeypatch.setattr(store._table, "scan", lambda **_: pytest.fail("a Scan on a request path"))
    expected = {
        c.prediction_id
        for c in calls
        if ("tag" not in filters or filters["tag"] in c.tags)
        and ("category" not in filters or c.verifiable_category == filters["category"])
        and ("text" not in filters or filters["text"] in c.prediction_statement.casefold())
    }
    found, requests = every_page(store, **filters)
    ids = [c.prediction_id for c in found]
    assert len(ids) == len(set(ids)) and set(ids) == expected
    created = [c.created_at for c in found]
    assert created == sorted(created, reverse=True)  # newest first across pages
    assert requests <= len(expected) // 25 + CALLS // 2_000 + 2  # bounded reads per request
