"""``calledit verify``: a statement analysed then verified, a saved prediction by id, and bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from calledit.cli import main
from calledit.prediction import Prediction, PredictionStatus


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLEDIT_MODEL", "offline")


def test_a_calendar_statement_is_settled_by_the_time_tools(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "Christmas 2027 will fall on a Saturday", "-z", "Europe/Paris"]) == 0
    out, _ = capsys.readouterr()
    assert "Outcome      true (100% confident)" in out
    assert "→ Resolving the date: parse_date_with_timezone(" in out
    assert "Verdict      would resolve the call by itself" in out  # nothing was saved


def test_json_prints_the_verdict_frame_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "It will rain in Paris tomorrow", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["type"] == "verdict" and data["prediction_id"] == "unsaved"
    assert data["verdict"]["outcome"] == "inconclusive" and data["verdict"]["evidence"] == []
    assert "no web access" in data["verdict"]["reasoning"] and data["applied"] is False


def test_a_saved_prediction_is_verified_and_its_verdict_recorded(
    aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from calledit.storage.predictions import PredictionStore

    store = PredictionStore()
    saved, _ = store.create(
        "user-7",
        "r1",
        Prediction.model_validate(
            {
                "prediction_statement": "Christmas 2027 will fall on a Friday",
                "verification_date": "2027-12-25T22:59:59Z",
                "date_reasoning": "Christmas Day 2027 in Paris.",
                "verification_method": {"source": ["A calendar"], "criteria": ["Weekday"], "steps": ["Look"]},
                "verifiable_category": "current_tool_verifiable",
                "category_reasoning": "A calendar fact.",
            }
        ),
        timezone="Europe/Paris",
        model="offline-heuristic",
    )
    assert main(["verify", saved.prediction_id, "--user", "someone-else"]) == 1
    assert "error (not_found)" in capsys.readouterr().err
    assert main(["verify", saved.prediction_id, "--user", "user-7"]) == 0
    out, _ = capsys.readouterr()
    assert "Outcome      false (100% confident)" in out and "applied: the call is resolved" in out
    after = store.get("user-7", saved.prediction_id)
    assert after is not None and after.status is PredictionStatus.RESOLVED and after.outcome == "false"


def test_an_id_without_its_owner_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "3f2a1b4c-1111-2222-3333-444455556666"]) == 2
    assert "--user" in capsys.readouterr().err
