"""The verifiability score: four named dimensions on a table of vague and precise statements."""

from __future__ import annotations

from typing import Any

import pytest

from calledit.prediction import Prediction
from calledit.verifiability import assess


def prediction(
    statement: str, category: str = "api_tool_verifiable", assumed: bool = False, **extra: Any
) -> Prediction:
    return Prediction.model_validate(
        {
            "prediction_statement": statement,
            "verification_date": "2027-05-31T22:59:59Z",
            "date_reasoning": "No time frame was stated, so one year was assumed."
            if assumed
            else "Resolved.",
            "verification_method": {"source": ["s"], "criteria": ["c"], "steps": ["x"]},
            "verifiable_category": category,
            "category_reasoning": "r",
            **extra,
        }
    )


TABLE = [
    # statement, category, assumed date, time_bound, measurable, public_source, objectivity
    (
        "Bitcoin will close above $150,000 on 31 December 2026",
        "api_tool_verifiable",
        False,
        1.0,
        1.0,
        0.9,
        1.0,
    ),
    ("Christmas 2027 will fall on a Saturday", "current_tool_verifiable", False, 1.0, 0.9, 1.0, 1.0),
    ("Bitcoin will go up", "api_tool_verifiable", True, 0.3, 0.3, 0.9, 1.0),
    (
        "Manchester City will win the Premier League this season",
        "api_tool_verifiable",
        True,
        0.3,
        0.9,
        0.9,
        1.0,
    ),
    ("I will feel happier by June 2027", "human_verifiable_only", False, 1.0, 0.5, 0.2, 0.3),
    ("I will run a marathon within 6 months", "human_verifiable_only", False, 1.0, 0.9, 0.2, 0.6),
    ("Something vague will happen", "human_verifiable_only", True, 0.3, 0.9, 0.2, 1.0),
]


@pytest.mark.parametrize(
    ("statement", "category", "assumed", "time", "measure", "source", "objective"), TABLE
)
def test_dimensions(
    statement: str, category: str, assumed: bool, time: float, measure: float, source: float, objective: float
) -> None:
    result = assess(prediction(statement, category, assumed))
    scores = {d.name: d.score for d in result.dimensions}
    assert scores == {
        "time_bound": time,
        "measurable": measure,
        "public_source": source,
        "objectivity": objective,
    }
    assert result.score == round((time + measure + source + objective) / 4, 2)
    assert all(d.reason for d in result.dimensions)
    weak = [name for name, value in scores.items() if value < 0.7]
    assert len(result.tips) == min(3, len(weak))  # one tip per weak dimension, weakest first


def test_precise_beats_vague_and_says_how_to_improve() -> None:
    vague = assess(prediction("Bitcoin will go up", assumed=True))
    precise = assess(prediction("Bitcoin will close above $150,000 on 31 December 2026"))
    assert precise.score > vague.score + 0.3
    assert precise.tips == []
    assert vague.tips[0].startswith("Add a date or deadline") or vague.tips[0].startswith("Name a number")


def test_answers_to_clarifying_questions_raise_the_score() -> None:
    before = assess(prediction("Bitcoin will go up", assumed=True))
    answered = prediction(
        "Bitcoin will go up",
        clarifications=[
            {"question": "By when should this be judged?", "answer": "by the end of June 2027"},
            {"question": "What counts as coming true?", "answer": "above $150,000"},
        ],
    )
    after = assess(answered)
    scores = {d.name: d.score for d in after.dimensions}
    assert scores["time_bound"] == 0.9 and scores["measurable"] == 0.9
    assert after.score > before.score


def test_a_date_alone_is_not_a_threshold() -> None:
    dated = prediction(
        "Bitcoin will go up",
        clarifications=[{"question": "By when?", "answer": "by the end of June 2027"}],
    )
    assert {d.name: d.score for d in assess(dated).dimensions}["measurable"] == 0.3
