"""Confidence, tags, filters, stats, export, receipts and notifications through the REST handler (moto)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

Call = Any


def prediction(statement: str = "It will rain in Paris on 1 May 2027", **extra: Any) -> dict[str, Any]:
    return {
        "prediction_statement": statement,
        "verification_date": "2027-05-01T21:59:59Z",
        "date_reasoning": "The end of 1 May 2027 in Paris.",
        "verification_method": {"source": ["Météo-France"], "criteria": ["Rain recorded"], "steps": ["Look"]},
        "verifiable_category": "api_tool_verifiable",
        "category_reasoning": "Weather data.",
        **extra,
    }


def log(api: Call, rid: str, user: str = "alice", **body: Any) -> dict[str, Any]:
    status, saved, _ = api(
        "POST",
        "/predictions",
        user=user,
        body={"request_id": rid, "prediction": body.pop("prediction", prediction()), **body},
    )
    assert status == 201, saved
    return dict(saved)


def flat_headers(response: dict[str, Any]) -> dict[str, str]:
    headers = dict(response.get("headers") or {})
    headers.update({k: ",".join(v) for k, v in (response.get("multiValueHeaders") or {}).items()})
    return headers


def resolve(api: Call, saved: dict[str, Any], outcome: str, user: str = "alice") -> None:
    status, body, _ = api(
        "POST", f"/predictions/{saved['prediction_id']}/override", user=user, body={"outcome": outcome}
    )
    assert status == 200, body


# ---------------------------------------------------------------- confidence and tags


def test_confidence_and_tags_are_saved_normalised_and_locked(api: Call) -> None:
    saved = log(api, "c1", confidence=0.7, tags=["Premier League", "#football", "premier_league"])
    assert saved["confidence"] == 0.7 and saved["tags"] == ["premier-league", "football"]
    again = log(api, "c2", confidence=0.333)
    assert again["confidence"] == 0.33
    # The same request id again returns the first save: the confidence cannot be changed afterwards.
    status, repeat, _ = api(
        "POST", "/predictions", body={"request_id": "c1", "prediction": prediction(), "confidence": 0.2}
    )
    assert status == 200 and repeat["confidence"] == 0.7
    assert log(api, "c3")["confidence"] is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"confidence": 0}, "confidence"),
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": "high"}, "confidence"),
        ({"tags": ["a", "b", "c", "d", "e", "f"]}, "at most 5 tags"),
        ({"tags": ["no way!"]}, "letters, digits and hyphens"),
        ({"tags": ["   "]}, "cannot be empty"),
        ({"tags": ["x" * 33]}, "at most 32"),
    ],
)
def test_bad_confidence_or_tags_are_refused_in_words(api: Call, body: dict[str, Any], words: str) -> None:
    status, error, _ = api(
        "POST", "/predictions", body={"request_id": "bad", "prediction": prediction(), **body}
    )
    assert status == 422 and error["code"] == "bad_request" and words in error["message"], error


def test_tags_are_editable_and_filter_the_list(api: Call) -> None:
    first = log(api, "t1", tags=["sport"])
    second = log(api, "t2", tags=["sport", "weather"], prediction=prediction("Snow in Oslo on 1 May 2027"))
    log(api, "t3", tags=["weather"])
    status, page, _ = api("GET", "/predictions", query={"tag": "Sport"})
    assert status == 200 and {p["prediction_id"] for p in page["items"]} == {
        second["prediction_id"],
        first["prediction_id"],
    }
    status, edited, _ = api("PUT", f"/predictions/{first['prediction_id']}/tags", body={"tags": ["Politics"]})
    assert status == 200 and edited["tags"] == ["politics"]
    assert [p["prediction_id"] for p in api("GET", "/predictions", query={"tag": "sport"})[1]["items"]] == [
        second["prediction_id"]
    ]
    assert api("GET", "/predictions", query={"tag": "politics", "q": "oslo"})[1]["items"] == []
    assert len(api("GET", "/predictions", query={"q": "OSLO"})[1]["items"]) == 1
    # Another user's call: 404, and the tag filter never crosses users.
    assert (
        api("PUT", f"/predictions/{first['prediction_id']}/tags", user="mallory", body={"tags": []})[0] == 404
    )
    assert api("GET", "/predictions", user="mallory", query={"tag": "weather"})[1]["items"] == []
    assert api("DELETE", f"/predictions/{second['prediction_id']}")[0] == 204
    assert [p["prediction_id"] for p in api("GET", "/predictions", query={"tag": "sport"})[1]["items"]] == []


def test_category_and_status_filters(api: Call) -> None:
    human = log(
        api,
        "h1",
        prediction=prediction(
            "I will run a marathon by May 2027", verifiable_category="human_verifiable_only"
        ),
    )
    log(api, "w1")
    _, page, _ = api("GET", "/predictions", query={"category": "human_verifiable_only"})
    assert [p["prediction_id"] for p in page["items"]] == [human["prediction_id"]]
    resolve(api, human, "true")
    assert (
        len(
            api("GET", "/predictions", query={"outcome": "true", "category": "human_verifiable_only"})[1][
                "items"
            ]
        )
        == 1
    )
    assert api("GET", "/predictions", query={"category": "nonsense"})[0] == 422


# ---------------------------------------------------------------- stats


def test_stats_match_a_hand_computed_record(api: Call) -> None:
    assert api("GET", "/stats")[1]["resolved"] == 0  # no calls: zeros and nulls, not an error
    calls = [
        (log(api, "s1", confidence=0.8), "true"),
        (log(api, "s2", confidence=0.3, tags=["sport"]), "false"),
        (log(api, "s3", confidence=0.6, tags=["sport"]), "false"),
        (log(api, "s4"), "true"),  # no confidence: counts for accuracy only
        (log(api, "s5", confidence=0.9), "inconclusive"),  # excluded from Brier and accuracy
        (log(api, "s6", confidence=0.5), None),  # pending
    ]
    for saved, outcome in calls:
        if outcome:
            resolve(api, saved, outcome)
    status, stats, _ = api("GET", "/stats")
    assert status == 200
    assert (stats["total"], stats["resolved"], stats["decided"], stats["inconclusive"], stats["pending"]) == (
        6,
        5,
        4,
        1,
        1,
    )
    assert (
        stats["accuracy"] == 0.75
    )  # 0.8 true right, 0.3 false right, 0.6 false wrong, no-confidence true right
    assert stats["brier"] == round((0.2**2 + 0.3**2 + 0.6**2) / 3, 4)  # 0.1633
    assert stats["brier_skill"] == pytest.approx(1 - stats["brier"] / 0.25, abs=1e-3)
    assert "inconclusive" in stats["brier_note"]
    bins = {b["lower"]: b for b in stats["calibration"]}
    assert (bins[80]["count"], bins[80]["observed_rate"]) == (1, 1.0)
    assert (bins[30]["count"], bins[60]["count"], bins[90]["count"]) == (1, 1, 0)
    assert stats["by_tag"]["sport"]["decided"] == 2 and stats["by_tag"]["sport"]["accuracy"] == 0.5
    assert api("GET", "/stats", user="mallory")[1]["total"] == 0


# ---------------------------------------------------------------- export


def test_export_csv_and_json_in_parts(api: Call, monkeypatch: pytest.MonkeyPatch) -> None:
    from calledit.api.routes import record

    monkeypatch.setattr(record, "EXPORT_PAGE", 2)
    tricky = 'Rain, "heavy"\nin Zürich 🌧 on 1 May 2027'
    for i in range(3):
        log(api, f"e{i}", confidence=0.6, tags=["weather"], prediction=prediction(f"{tricky} #{i}"))
    log(api, "other", user="mallory")
    # The fixture decodes JSON bodies: read the raw CSV through the handler instead.
    parts, cursor = [], None
    while True:
        from rest_events import rest_event

        import predictions
        from calledit.local.lambdas import LambdaContext

        query = {"format": "csv", **({"cursor": cursor} if cursor else {})}
        response = predictions.handler(rest_event("GET", "/export", query=query), LambdaContext.named("p"))
        parts.append(response["body"])
        headers = flat_headers(response)
        cursor = headers.get("X-Next-Cursor")
        assert 'attachment; filename="calledit-calls-' in headers["Content-Disposition"]
        if not cursor:
            break
    assert len(parts) == 2
    rows = list(csv.reader(io.StringIO("".join(parts), newline="")))
    assert rows[0][0] == "prediction_id" and len(rows) == 4  # header once, three calls, not mallory's
    assert sorted(r[2] for r in rows[1:]) == [f"{tricky} #{i}" for i in range(3)]
    status, first, headers = api("GET", "/export", query={"format": "json"})
    assert status == 200 and len(first) == 2 and "user_id" not in first[0]
    assert headers.get("X-Next-Cursor")


# ---------------------------------------------------------------- receipts


def test_receipt_access_matrix(api: Call) -> None:
    saved = log(
        api, "r1", confidence=0.7, prediction=prediction("<script>alert(1)</script> will rain by May 2027")
    )
    pid = saved["prediction_id"]
    assert api("POST", f"/predictions/{pid}/receipt", user="mallory")[0] == 404  # another user
    assert api("POST", f"/predictions/{pid}/receipt", user=None)[0] == 401  # anonymous
    status, share, _ = api("POST", f"/predictions/{pid}/receipt")
    assert status == 201 and share["path"] == f"/r/{share['token']}" and len(share["token"]) == 32
    assert api("POST", f"/predictions/{pid}/receipt")[1]["token"] == share["token"]  # the same link
    assert api("GET", f"/predictions/{pid}")[1]["share_token"] == share["token"]

    status, public, headers = api("GET", f"/receipts/{share['token']}", user=None)
    assert status == 200 and headers["Cache-Control"] == "public, max-age=60"
    assert public["confidence"] == 0.7 and public["status"] == "pending"
    assert not {"user_id", "email", "outcome_note", "request_id", "prediction_id"} & set(public)
    assert "alice" not in json.dumps(public)

    from rest_events import rest_event

    import predictions
    from calledit.local.lambdas import LambdaContext

    page = predictions.handler(rest_event("GET", f"/r/{share['token']}", user=None), LambdaContext.named("p"))
    assert page["statusCode"] == 200 and flat_headers(page)["Content-Type"].startswith("text/html")
    html = page["body"]
    assert '<meta property="og:title" content="“&lt;script&gt;alert(1)&lt;/script&gt;' in html
    assert "<script>" not in html and "alice" not in html and "70 %" in html

    resolve(api, saved, "true")
    assert api("GET", f"/receipts/{share['token']}", user=None)[1]["outcome"] == "true"

    assert api("DELETE", f"/predictions/{pid}/receipt", user="mallory")[0] == 404
    assert api("DELETE", f"/predictions/{pid}/receipt")[0] == 204
    revoked = api("GET", f"/receipts/{share['token']}", user=None)
    unknown = api("GET", "/receipts/" + "A" * 32, user=None)
    assert revoked[0] == unknown[0] == 404 and revoked[1] == unknown[1]  # indistinguishable
    gone = predictions.handler(rest_event("GET", f"/r/{share['token']}", user=None), LambdaContext.named("p"))
    assert gone["statusCode"] == 404 and "alert" not in gone["body"]


def test_public_receipts_are_rate_limited_per_client(api: Call) -> None:
    from calledit.api.routes import receipts

    receipts.limiter._buckets.clear()
    receipts.limiter._clock = lambda: 1000.0  # no refill while the test runs
    token = api("POST", f"/predictions/{log(api, 'rl')['prediction_id']}/receipt")[1]["token"]
    from rest_events import rest_event

    import predictions
    from calledit.local.lambdas import LambdaContext

    def read(ip: str) -> dict[str, Any]:
        event = rest_event("GET", f"/receipts/{token}", user=None, source_ip=ip)
        return dict(predictions.handler(event, LambdaContext.named("p")))

    statuses = [read("198.51.100.7")["statusCode"] for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
    limited = read("198.51.100.7")
    assert (
        json.loads(limited["body"])["code"] == "rate_limited"
        and int(flat_headers(limited)["Retry-After"]) >= 1
    )
    assert read("198.51.100.8")["statusCode"] == 200  # another client is not affected


# ---------------------------------------------------------------- notifications


def test_notifications_list_and_mark_read(api: Call) -> None:
    from calledit.storage.notifications import NotificationStore

    store = NotificationStore()
    first = store.add("alice", "due", "p1", "Due: what happened?")
    store.add("alice", "verdict_ready", "p2", "A verdict is ready")
    store.add("mallory", "due", "p3", "Not alice's")
    status, listed, _ = api("GET", "/notifications")
    assert (
        status == 200
        and listed["unread"] == 2
        and sorted(n["title"] for n in listed["items"]) == ["A verdict is ready", "Due: what happened?"]
    )
    assert api("POST", "/notifications/read", body={"ids": [first.notification_id]})[1] == {"marked": 1}
    assert api("GET", "/notifications")[1]["unread"] == 1
    assert api("POST", "/notifications/read", body={})[1] == {"marked": 1}
    assert api("GET", "/notifications")[1]["unread"] == 0
    assert api("GET", "/notifications", user="mallory")[1]["unread"] == 1
    assert api("POST", "/notifications/read", body={"ids": ["not-hex"]})[0] == 422
