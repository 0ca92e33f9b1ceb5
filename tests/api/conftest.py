"""REST API fixtures: API Gateway REST proxy events with Cognito authorizer claims, on moto."""

from __future__ import annotations

from typing import Any

ORIGIN = "http://localhost:5173"  # the same as tests/conftest.py's (the api fixture lives there)


def prediction(
    statement: str = "It will snow in Oslo on Christmas Day", when: str = "2027-12-25T22:59:59Z"
) -> dict[str, Any]:
    return {
        "prediction_statement": statement,
        "verification_date": when,
        "date_reasoning": "Christmas Day ends at midnight in Oslo.",
        "verification_method": {"source": ["Met Norway"], "criteria": ["Snow recorded"], "steps": ["Check"]},
        "verifiable_category": "api_tool_verifiable",
        "category_reasoning": "Weather observations are needed.",
        "initial_status": "pending",
    }
