"""Parsing and repair of an agent's final text into a Prediction."""

from __future__ import annotations

import json

import pytest

from calledit.parsing import PredictionParseError, parse_prediction

GOOD = {
    "prediction_statement": "It will snow in Oslo on Christmas Day 2026",
    "verification_date": "2026-12-25T22:59:59Z",
    "date_reasoning": "Christmas Day ends at midnight in Oslo.",
    "verification_method": {"source": ["Met Norway"], "criteria": ["Snowfall recorded"], "steps": ["Check"]},
    "verifiable_category": "api_tool_verifiable",
    "category_reasoning": "Weather observations are needed.",
    "initial_status": "pending",
}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(GOOD),
        f"Here you go:\n```json\n{json.dumps(GOOD, indent=2)}\n```\nDone.",
        f"Sure! {json.dumps(GOOD)} Let me know.",
        f"```\n{json.dumps({'prediction': GOOD})}\n```",
        json.dumps(GOOD, indent=2).replace('"pending"\n}', '"pending",\n}'),  # trailing comma
        f'Ignore {{"note": "not it"}} then {json.dumps(GOOD)}',
    ],
)
def test_finds_and_repairs(text: str) -> None:
    prediction = parse_prediction(text)
    assert prediction.prediction_statement == GOOD["prediction_statement"]
    assert prediction.verification_date.isoformat() == "2026-12-25T22:59:59+00:00"


def test_offsets_are_normalised_to_utc() -> None:
    data = {**GOOD, "verification_date": "2026-12-25T23:59:59+01:00"}
    assert (
        parse_prediction(json.dumps(data)).model_dump(mode="json")["verification_date"]
        == "2026-12-25T22:59:59Z"
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("I could not decide.", "contains no JSON"),
        ('{"foo": 1}', "no prediction_statement"),
        (json.dumps({**GOOD, "verifiable_category": "vibes"}), "verifiable_category"),
        (json.dumps({**GOOD, "verification_date": "2026-12-25T10:00:00"}), "timezone offset"),
        (
            json.dumps({**GOOD, "verification_method": {"source": [], "criteria": ["a"], "steps": ["b"]}}),
            "source",
        ),
    ],
)
def test_clear_errors(text: str, words: str) -> None:
    with pytest.raises(PredictionParseError) as info:
        parse_prediction(text)
    assert words in info.value.message
    assert info.value.code == "model_error"
