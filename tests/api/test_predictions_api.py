"""The predictions REST API on moto: happy paths, idempotency, pagination, 4xx, isolation, CORS."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ORIGIN, prediction


def save(api: Any, request_id: str, user: str = "alice", **kw: Any) -> tuple[int, Any, dict[str, str]]:
    body = {
        "request_id": request_id,
        "prediction": prediction(**kw),
        "timezone": "Europe/Oslo",
        "model": "offline-heuristic",
    }
    status, answer, headers = api("POST", "/predictions", body=body, user=user)
    return status, answer, headers


def test_log_call_saves_with_server_fields(api: Any) -> None:
    status, body, headers = save(api, "req-1")
    assert status == 201
    assert body["user_id"] == "alice" and body["status"] == "pending" and body["request_id"] == "req-1"
    assert body["verification_date"] == "2027-12-25T22:59:59Z" and body["model"] == "offline-heuristic"
    assert len(body["prediction_id"]) == 36 and body["created_at"].endswith("Z")
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    status, fetched, _ = api("GET", f"/predictions/{body['prediction_id']}")
    assert status == 200 and fetched == body


def test_same_request_id_twice_saves_once_with_the_same_response(api: Any) -> None:
    first = save(api, "req-1")
    second = save(api, "req-1", statement="a different body is ignored")
    assert first[0] == 201 and second[0] == 200 and first[1] == second[1]
    _, page, _ = api("GET", "/predictions")
    assert len(page["items"]) == 1


def test_user_id_in_the_body_is_rejected_not_trusted(api: Any) -> None:
    body = {"request_id": "r", "prediction": prediction(), "user_id": "mallory"}
    status, err, _ = api("POST", "/predictions", body=body)
    assert status == 422 and err["code"] == "bad_request" and "user_id" in err["message"]


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda b: b["prediction"].update(extra_field=1), "extra_field"),
        (lambda b: b["prediction"].update(verification_date="2027-12-25T10:00:00"), "timezone offset"),
        (lambda b: b["prediction"].update(verifiable_category="vibes"), "verifiable_category"),
        (lambda b: b["prediction"].pop("prediction_statement"), "prediction_statement"),
        (lambda b: b["prediction"].update(prediction_statement="x" * 2001), "prediction_statement"),
        (lambda b: b.update(request_id="has spaces"), "request_id"),
        (lambda b: b.pop("request_id"), "request_id"),
    ],
)
def test_invalid_bodies_get_clear_422s(api: Any, mutate: Any, words: str) -> None:
    body = {"request_id": "r1", "prediction": prediction()}
    mutate(body)
    status, err, _ = api("POST", "/predictions", body=body)
    assert status == 422 and err["code"] == "bad_request" and words in err["message"], err


def test_malformed_json_and_oversized_bodies(api: Any) -> None:
    status, err, _ = api("POST", "/predictions", raw_body="{nope")
    assert status == 422 and err["code"] == "bad_request"
    status, err, headers = api("POST", "/predictions", raw_body="x" * (17 * 1024))
    assert status == 413 and err["code"] == "too_large" and headers["Access-Control-Allow-Origin"] == ORIGIN


def test_listing_is_newest_first_and_paginates_across_pages(api: Any) -> None:
    ids = [save(api, f"req-{i}", statement=f"Prediction {i}")[1]["prediction_id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        status, page, _ = api("GET", "/predictions", query=query)
        assert status == 200 and len(page["items"]) <= 3
        seen += [item["prediction_id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert sorted(seen) == sorted(ids) and len(set(seen)) == 7
    created = [api("GET", f"/predictions/{i}")[1]["created_at"] for i in seen]
    assert created == sorted(created, reverse=True)


def test_tampered_or_foreign_cursor_is_a_400(api: Any) -> None:
    for i in range(3):
        save(api, f"r{i}")
    _, page, _ = api("GET", "/predictions", query={"limit": "1"})
    status, err, _ = api("GET", "/predictions", query={"cursor": page["next_cursor"]}, user="bob")
    assert status == 400 and "cursor" in err["message"]
    status, _, _ = api("GET", "/predictions", query={"cursor": "!!notbase64"})
    assert status == 400


def test_status_filter_and_outcomes(api: Any) -> None:
    a = save(api, "a")[1]["prediction_id"]
    save(api, "b")
    status, updated, _ = api("PATCH", f"/predictions/{a}", body={"status": "true", "note": "It did snow."})
    assert status == 200 and updated["status"] == "resolved" and updated["outcome"] == "true"
    assert updated["outcome_note"] == "It did snow." and updated["resolved_by"] == "user"
    _, trues, _ = api("GET", "/predictions", query={"outcome": "true"})
    _, resolved, _ = api("GET", "/predictions", query={"status": "resolved"})
    _, pending, _ = api("GET", "/predictions", query={"status": "pending"})
    assert (
        [p["prediction_id"] for p in trues["items"]] == [a] == [p["prediction_id"] for p in resolved["items"]]
    )
    assert len(pending["items"]) == 1 and pending["items"][0]["prediction_id"] != a
    status, corrected, _ = api("PATCH", f"/predictions/{a}", body={"status": "inconclusive"})
    assert status == 200 and corrected["status"] == "resolved" and corrected["outcome"] == "inconclusive"


@pytest.mark.parametrize(
    "body",
    [
        {"status": "pending"},
        {"status": "maybe"},
        {"status": "true", "note": "n" * 1001},
        {"status": "true", "extra": 1},
        {},
    ],
)
def test_invalid_outcomes_are_422(api: Any, body: dict[str, Any]) -> None:
    pid = save(api, "a")[1]["prediction_id"]
    status, err, _ = api("PATCH", f"/predictions/{pid}", body=body)
    assert status == 422 and err["code"] == "bad_request"


def test_due_lists_only_past_pending_predictions(api: Any) -> None:
    past = save(api, "past", when="2020-01-01T00:00:00Z")[1]["prediction_id"]
    judged = save(api, "judged", when="2020-06-01T00:00:00Z")[1]["prediction_id"]
    save(api, "future", when="2099-01-01T00:00:00Z")
    api("PATCH", f"/predictions/{judged}", body={"status": "false"})
    status, due, _ = api("GET", "/predictions/due")
    assert status == 200 and [p["prediction_id"] for p in due["items"]] == [past]


def test_delete(api: Any) -> None:
    pid = save(api, "a")[1]["prediction_id"]
    assert api("DELETE", f"/predictions/{pid}")[0] == 204
    assert api("GET", f"/predictions/{pid}")[0] == 404
    assert api("DELETE", f"/predictions/{pid}")[0] == 404


def test_another_users_prediction_is_a_404_everywhere(api: Any) -> None:
    pid = save(api, "a", user="alice")[1]["prediction_id"]
    assert api("GET", f"/predictions/{pid}", user="bob")[0] == 404
    assert api("PATCH", f"/predictions/{pid}", user="bob", body={"status": "true"})[0] == 404
    assert api("DELETE", f"/predictions/{pid}", user="bob")[0] == 404
    assert api("GET", "/predictions", user="bob")[1]["items"] == []
    assert api("GET", "/predictions/due", user="bob")[1]["items"] == []
    assert api("GET", f"/predictions/{pid}", user="alice")[0] == 200


def test_unknown_id_format_and_route(api: Any) -> None:
    assert api("GET", "/predictions/not-a-uuid")[0] == 422
    assert api("GET", "/nope")[0] == 404


def test_missing_identity_is_401(api: Any) -> None:
    status, err, _ = api("GET", "/predictions", user=None)
    assert status == 401 and err["code"] == "unauthorized"


def test_legacy_aliases(api: Any) -> None:
    status, body, _ = api("POST", "/log-call", body={"request_id": "legacy", "prediction": prediction()})
    assert status == 201
    status, page, _ = api("GET", "/list-predictions")
    assert status == 200 and [p["prediction_id"] for p in page["items"]] == [body["prediction_id"]]


def test_cors_allows_only_configured_origins(api: Any) -> None:
    _, _, headers = api("GET", "/predictions", origin="https://evil.example")
    assert "Access-Control-Allow-Origin" not in headers
    _, _, headers = api("GET", "/predictions", origin="http://127.0.0.1:3001")
    assert headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:3001"
    status, _, headers = api("OPTIONS", "/predictions", user=None)
    assert status == 204 and "Authorization" in headers["Access-Control-Allow-Headers"]
