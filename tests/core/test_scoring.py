"""Track-record scoring: hand-computed scenarios, properties, edge cases."""

from __future__ import annotations

import json
import math
import random
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calledit.scoring import (
    BRIER_NOTE,
    Accumulator,
    CalibrationBin,
    GroupRecord,
    MonthPoint,
    Outcome,
    ScoredCall,
    TrackRecord,
    track_record,
)

CREATED = datetime(2024, 12, 1, tzinfo=UTC)
JAN = datetime(2025, 1, 15, tzinfo=UTC)
Z = 1.959963984540054  # 97.5 % normal quantile; Z**2 = 3.841459


def call(
    outcome: Outcome | None,
    confidence: float | None = None,
    category: str = "misc",
    tags: tuple[str, ...] = (),
    resolved_at: datetime | None = JAN,
) -> ScoredCall:
    return ScoredCall(
        outcome=outcome,
        confidence=confidence,
        category=category,
        tags=tags,
        resolved_at=resolved_at if outcome is not None else None,
        created_at=CREATED,
    )


def empty_bins() -> list[CalibrationBin]:
    return [
        CalibrationBin(
            lower=10 * i,
            upper=10 * (i + 1),
            count=0,
            mean_confidence=None,
            observed_rate=None,
            band_low=None,
            band_high=None,
        )
        for i in range(10)
    ]


def wilson(k: int, n: int) -> tuple[float, float]:
    """The textbook formula, written independently of the module."""
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


# ---------------------------------------------------------------- hand-computed scenarios

MIXED = [
    # a: 70 % true     -> right; (0.7 - 1)^2 = 0.09; bin [70,80); January
    call("true", 0.7, "sports", ("nba",), datetime(2025, 1, 10, tzinfo=UTC)),
    # b: 70 % false    -> wrong; (0.7 - 0)^2 = 0.49; bin [70,80); January
    call("false", 0.7, "sports", ("nba", "playoffs"), datetime(2025, 1, 20, tzinfo=UTC)),
    # c: 90 % true     -> right; (0.9 - 1)^2 = 0.01; bin [90,100]; February
    call("true", 0.9, "finance", (), datetime(2025, 2, 5, tzinfo=UTC)),
    # d: no confidence, true -> right (a plain claim that it will happen); not in Brier.
    #    Resolved 2025-02-28 23:30 at UTC-5 = 2025-03-01 04:30 UTC -> March
    call(
        "true", None, "finance", ("btc",), datetime(2025, 2, 28, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    ),
    # e: inconclusive -> resolved, not decided; no accuracy, no Brier, no bin; March
    call("inconclusive", 0.6, "sports", ("nba",), datetime(2025, 3, 15, tzinfo=UTC)),
    # f: pending -> counted in total and pending only
    call(None, 0.3, "weather", ("rain",)),
]


def test_mixed_scenario_totals() -> None:
    r = track_record(MIXED)
    assert (r.total, r.resolved, r.decided, r.inconclusive, r.pending) == (6, 5, 4, 1, 1)
    assert r.with_confidence == 3  # a, b, c
    # right: a, c, d; wrong: b -> 3 / 4
    assert r.accuracy == 0.75
    # (0.09 + 0.49 + 0.01) / 3 = 0.59 / 3 = 0.196666... -> 0.1967
    assert r.brier == 0.1967
    assert r.brier_baseline == 0.25
    # 1 - 0.196666... / 0.25 = 1 - 0.786666... = 0.213333... -> 0.2133
    assert r.brier_skill == 0.2133
    assert r.brier_note == BRIER_NOTE


def test_mixed_scenario_calibration() -> None:
    bins = track_record(MIXED).calibration
    assert [b.count for b in bins] == [0, 0, 0, 0, 0, 0, 0, 2, 0, 1]
    # [70,80): a (true), b (false): mean 0.7, observed 1/2.
    # Wilson n=2, k=1: Z^2/n = 1.920730, denom = 2.920730, centre = (0.5 + 0.960365) / 2.920730 = 0.5,
    # half = Z * sqrt(0.25/2 + 3.841459/16) / 2.920730 = 1.959964 * 0.604229 / 2.920730 = 0.405469
    # -> [0.0945, 0.9055]
    assert bins[7] == CalibrationBin(
        lower=70, upper=80, count=2, mean_confidence=0.7, observed_rate=0.5, band_low=0.0945, band_high=0.9055
    )
    # [90,100]: c (true): mean 0.9, observed 1/1.
    # Wilson n=1, k=1: centre = (1 + Z^2/2) / (1 + Z^2) = 2.920730 / 4.841459 = 0.603275,
    # half = Z * (Z/2) / (1 + Z^2) = 1.920730 / 4.841459 = 0.396725 -> [0.2065, 1.0]
    assert bins[9] == CalibrationBin(
        lower=90, upper=100, count=1, mean_confidence=0.9, observed_rate=1.0, band_low=0.2065, band_high=1.0
    )
    assert (bins[7].band_low, bins[7].band_high) == wilson(1, 2)
    assert (bins[9].band_low, bins[9].band_high) == wilson(1, 1)
    assert all(
        b.mean_confidence is None and b.band_low is None for i, b in enumerate(bins) if i not in (7, 9)
    )


def test_mixed_scenario_groups() -> None:
    r = track_record(MIXED)
    # weather / rain only hold the pending call f -> no group
    assert list(r.by_category) == ["finance", "sports"]
    # sports: a, b, e. decided a, b: accuracy 1/2, Brier (0.09 + 0.49) / 2 = 0.29
    assert r.by_category["sports"] == GroupRecord(
        resolved=3, decided=2, accuracy=0.5, with_confidence=2, brier=0.29
    )
    # finance: c, d. both right; Brier over c only: 0.01
    assert r.by_category["finance"] == GroupRecord(
        resolved=2, decided=2, accuracy=1.0, with_confidence=1, brier=0.01
    )
    assert list(r.by_tag) == ["btc", "nba", "playoffs"]
    assert r.by_tag["nba"] == r.by_category["sports"]
    assert r.by_tag["playoffs"] == GroupRecord(
        resolved=1, decided=1, accuracy=0.0, with_confidence=1, brier=0.49
    )
    assert r.by_tag["btc"] == GroupRecord(resolved=1, decided=1, accuracy=1.0, with_confidence=0, brier=None)


def test_mixed_scenario_over_time() -> None:
    r = track_record(MIXED)
    assert r.over_time == [
        # January: a, b -> accuracy 1/2, Brier (0.09 + 0.49) / 2 = 0.29
        MonthPoint(
            month="2025-01",
            resolved=2,
            decided=2,
            cumulative_decided=2,
            cumulative_accuracy=0.5,
            cumulative_with_confidence=2,
            cumulative_brier=0.29,
        ),
        # February: + c -> accuracy 2/3 = 0.6667, Brier 0.59 / 3 = 0.1967
        MonthPoint(
            month="2025-02",
            resolved=1,
            decided=1,
            cumulative_decided=3,
            cumulative_accuracy=0.6667,
            cumulative_with_confidence=3,
            cumulative_brier=0.1967,
        ),
        # March (UTC): + d (decided, no confidence), e (inconclusive) -> accuracy 3/4, Brier unchanged
        MonthPoint(
            month="2025-03",
            resolved=2,
            decided=1,
            cumulative_decided=4,
            cumulative_accuracy=0.75,
            cumulative_with_confidence=3,
            cumulative_brier=0.1967,
        ),
    ]


def test_accuracy_rule_and_half_right() -> None:
    r = track_record(
        [
            call("true", 0.5),  # half right; (0.5 - 1)^2 = 0.25
            call("false", 0.5),  # half right; (0.5 - 0)^2 = 0.25
            call("false", 0.3),  # right (p < 0.5 and false); 0.3^2 = 0.09
            call("true", 0.3),  # wrong; 0.7^2 = 0.49
            call("false", None),  # wrong (no confidence = claims it will happen)
        ]
    )
    # (0.5 + 0.5 + 1 + 0 + 0) / 5 = 0.4
    assert r.accuracy == 0.4
    # (0.25 + 0.25 + 0.09 + 0.49) / 4 = 1.08 / 4 = 0.27; skill = 1 - 0.27 / 0.25 = -0.08
    assert r.brier == 0.27
    assert r.brier_skill == -0.08
    assert r.with_confidence == 4
    assert [b.count for b in r.calibration] == [0, 0, 0, 2, 0, 2, 0, 0, 0, 0]


def test_all_calls_in_one_bin() -> None:
    confidences = [0.10, 0.12, 0.15, 0.18, 0.19]
    outcomes: list[Outcome] = ["true", "false", "false", "false", "false"]
    r = track_record([call(o, p) for o, p in zip(outcomes, confidences, strict=True)])
    assert [b.count for b in r.calibration] == [0, 5, 0, 0, 0, 0, 0, 0, 0, 0]
    one = r.calibration[1]
    # mean = 0.74 / 5 = 0.148; observed = 1/5 = 0.2
    assert (one.mean_confidence, one.observed_rate) == (0.148, 0.2)
    # Wilson n=5, k=1: Z^2/n = 0.768292, denom = 1.768292, centre = (0.2 + 0.384146) / 1.768292 = 0.330344,
    # half = Z * sqrt(0.16/5 + 3.841459/100) / 1.768292 = 1.959964 * 0.265358 / 1.768292 = 0.294121
    # -> [0.0362, 0.6245]
    assert (one.band_low, one.band_high) == (0.0362, 0.6245) == wilson(1, 5)
    # Brier: (0.9^2 + 0.12^2 + 0.15^2 + 0.18^2 + 0.19^2) / 5 = (0.81 + 0.0144 + 0.0225 + 0.0324 + 0.0361) / 5
    #      = 0.9154 / 5 = 0.18308 -> 0.1831
    assert r.brier == 0.1831
    # right: the four false ones (p < 0.5) -> 4/5
    assert r.accuracy == 0.8


def test_wilson_band_with_no_successes() -> None:
    r = track_record([call("false", 0.35)] * 3)
    b = r.calibration[3]
    # Wilson n=3, k=0: centre = (Z^2/6) / (1 + Z^2/3) = 0.640243 / 2.280486 = 0.280749 = half -> [0, 0.5615]
    assert (b.observed_rate, b.band_low, b.band_high) == (0.0, 0.0, 0.5615)


# ---------------------------------------------------------------- edge cases


def test_no_calls() -> None:
    assert track_record([]) == TrackRecord(
        total=0,
        resolved=0,
        decided=0,
        inconclusive=0,
        pending=0,
        accuracy=None,
        with_confidence=0,
        brier=None,
        brier_skill=None,
        calibration=empty_bins(),
        by_category={},
        by_tag={},
        over_time=[],
    )


def test_only_inconclusive() -> None:
    r = track_record([call("inconclusive", 0.8, "x", ("t",)), call("inconclusive", None, "x")])
    assert (r.total, r.resolved, r.decided, r.inconclusive, r.pending) == (2, 2, 0, 2, 0)
    assert (r.accuracy, r.brier, r.brier_skill, r.with_confidence) == (None, None, None, 0)
    assert r.calibration == empty_bins()
    assert r.by_category == {
        "x": GroupRecord(resolved=2, decided=0, accuracy=None, with_confidence=0, brier=None)
    }
    assert r.by_tag["t"].resolved == 1
    assert [(p.month, p.resolved, p.cumulative_accuracy) for p in r.over_time] == [("2025-01", 2, None)]


def test_only_no_confidence_calls() -> None:
    r = track_record([call("true"), call("true"), call("false")])
    assert (r.decided, r.with_confidence, r.accuracy) == (3, 0, 0.6667)  # 2/3
    assert (r.brier, r.brier_skill) == (None, None)
    assert r.calibration == empty_bins()


def test_unresolved_calls_count_as_pending_only() -> None:
    r = track_record([call(None, 0.9, "c", ("t",)), call(None, None, "c")])
    assert (r.total, r.pending, r.resolved, r.decided, r.inconclusive) == (2, 2, 0, 0, 0)
    assert r.model_dump(exclude={"total", "pending"}) == track_record([]).model_dump(
        exclude={"total", "pending"}
    )


@pytest.mark.parametrize(
    ("confidence", "bin_index"),
    [(0.01, 0), (0.1, 1), (0.2, 2), (0.3, 3), (0.5, 5), (0.7, 7), (0.9, 9), (0.99, 9)],
)
def test_bin_edges(confidence: float, bin_index: int) -> None:
    counts = [b.count for b in track_record([call("true", confidence)]).calibration]
    assert counts == [1 if i == bin_index else 0 for i in range(10)]


def test_float_noise_at_an_edge_counts_as_on_the_edge() -> None:
    # 0.7 - 0.4 == 0.29999999999999993: meant as 30 %, so [30,40), not [20,30)
    assert [b.count for b in track_record([call("true", 0.7 - 0.4)]).calibration][2:4] == [0, 1]


def test_every_whole_percent_lands_in_its_bin() -> None:
    r = track_record([call("true", k / 100) for k in range(1, 100)])
    # [0,10) holds 1..9, [10,20) holds 10..19, ..., [90,100] holds 90..99
    assert [b.count for b in r.calibration] == [9] + [10] * 9
    assert [b.mean_confidence for b in r.calibration] == [0.05] + [
        round(0.145 + 0.1 * i, 4) for i in range(9)
    ]


def test_repeated_tags_count_once() -> None:
    r = track_record([call("true", 0.8, tags=("a", "a", "b"))])
    assert r.by_tag["a"].resolved == r.by_tag["b"].resolved == 1


def test_resolved_without_time_is_left_out_of_series_only() -> None:
    r = track_record([call("true", 0.8, resolved_at=None), call("false", 0.8)])
    assert (r.decided, r.brier) == (2, 0.34)  # (0.04 + 0.64) / 2
    assert [(p.month, p.cumulative_decided, p.cumulative_brier) for p in r.over_time] == [
        ("2025-01", 1, 0.64)
    ]


@pytest.mark.parametrize("confidence", [0.0, 1.0, 0.005, 0.995, float("nan"), -0.5])
def test_confidence_out_of_range_is_rejected(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        call("true", confidence)


def test_invalid_outcome_and_naive_time_are_rejected() -> None:
    with pytest.raises(ValueError, match="outcome"):
        ScoredCall("yes", 0.5, "c", (), JAN, CREATED)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone"):
        ScoredCall("true", 0.5, "c", (), datetime(2025, 1, 1), CREATED)


def test_json_and_openapi_schema() -> None:
    r = track_record(MIXED)
    assert TrackRecord.model_validate_json(r.model_dump_json()) == r
    data = json.loads(r.model_dump_json())
    assert data["brier_baseline"] == 0.25
    assert len(data["calibration"]) == 10
    schema = TrackRecord.model_json_schema()
    for model in [schema, *schema["$defs"].values()]:
        for name, prop in model["properties"].items():
            assert prop.get("description"), name


def test_ten_thousand_calls_are_fast() -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    outcomes: list[Outcome | None] = ["true", "false", "inconclusive", None]
    calls = [
        call(
            outcomes[i % 4],
            None if i % 5 == 0 else (i % 99 + 1) / 100,
            f"cat{i % 7}",
            tuple(f"tag{(i + j) % 11}" for j in range(i % 4)),
            base + timedelta(hours=7 * i),
        )
        for i in range(10_000)
    ]
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        r = track_record(calls)
        timings.append(time.perf_counter() - start)
    assert r.total == 10_000
    assert min(timings) < 0.5  # typically ~15 ms; generous for loaded CI machines


# ---------------------------------------------------------------- properties

OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9, minutes=30))])
TIMES = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=OFFSETS)
CONFIDENCES = st.one_of(
    st.none(), st.floats(min_value=0.01, max_value=0.99), st.integers(1, 99).map(lambda k: k / 100)
)
DECIDED: st.SearchStrategy[Outcome] = st.sampled_from(["true", "false"])
ANY_OUTCOME: st.SearchStrategy[Outcome | None] = st.sampled_from(["true", "false", "inconclusive", None])


@st.composite
def scored_calls(draw: st.DrawFn, outcomes: st.SearchStrategy[Outcome | None] | None = None) -> ScoredCall:
    outcome = draw(outcomes if outcomes is not None else ANY_OUTCOME)
    return ScoredCall(
        outcome=outcome,
        confidence=draw(CONFIDENCES),
        category=draw(st.sampled_from(["sports", "finance", "weather"])),
        tags=tuple(draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=3))),
        resolved_at=None if outcome is None else draw(st.one_of(TIMES, TIMES, st.none())),
        created_at=CREATED,
    )


CALL_LISTS = st.lists(scored_calls(), max_size=60)


@given(st.lists(DECIDED, min_size=1, max_size=80))
def test_best_possible_forecasts(outcomes: list[Outcome]) -> None:
    r = track_record([call(o, 0.99 if o == "true" else 0.01) for o in outcomes])
    assert r.brier == 0.0001  # (0.01)^2
    assert r.brier_skill == 0.9996  # 1 - 0.0001 / 0.25
    assert r.accuracy == 1.0


@given(st.lists(DECIDED, min_size=1, max_size=80))
def test_always_fifty_percent(outcomes: list[Outcome]) -> None:
    r = track_record([call(o, 0.5) for o in outcomes])
    assert r.brier == 0.25
    assert r.brier_skill == 0.0
    assert r.accuracy == 0.5
    assert r.calibration[5].count == len(outcomes)


@given(CALL_LISTS)
def test_invariants(calls: list[ScoredCall]) -> None:
    r = track_record(calls)
    assert r.total == len(calls) == r.resolved + r.pending
    assert r.resolved == r.decided + r.inconclusive
    assert sum(b.count for b in r.calibration) == r.with_confidence <= r.decided
    assert sum(g.resolved for g in r.by_category.values()) == r.resolved
    if r.decided:
        assert r.accuracy is not None and 0.0 <= r.accuracy <= 1.0
    else:
        assert r.accuracy is None
    if r.with_confidence:
        assert r.brier is not None and 0.0 <= r.brier <= 1.0
        assert r.brier_skill is not None and -3.0 <= r.brier_skill <= 1.0
    else:
        assert r.brier is None and r.brier_skill is None
    for b in r.calibration:
        if b.count:
            assert b.observed_rate is not None and b.band_low is not None and b.band_high is not None
            assert b.mean_confidence is not None
            assert 0.0 <= b.band_low <= b.observed_rate <= b.band_high <= 1.0
            assert b.lower / 100 <= b.mean_confidence <= b.upper / 100
    months = [p.month for p in r.over_time]
    assert months == sorted(set(months))
    if all(c.resolved_at is not None for c in calls if c.outcome is not None) and r.over_time:
        last = r.over_time[-1]
        assert (last.cumulative_decided, last.cumulative_accuracy, last.cumulative_brier) == (
            r.decided,
            r.accuracy,
            r.brier,
        )


@given(CALL_LISTS)
def test_matches_naive_float_reference(calls: list[ScoredCall]) -> None:
    r = track_record(calls)
    decided = [c for c in calls if c.outcome in ("true", "false")]
    scored = [(c.confidence, c.outcome == "true") for c in decided if c.confidence is not None]
    if scored:
        naive = sum((p - o) ** 2 for p, o in scored) / len(scored)
        assert r.brier == pytest.approx(naive, abs=5.1e-5)
    right = 0.0
    for c in decided:
        hit = c.outcome == "true"
        p = 1.0 if c.confidence is None else c.confidence
        right += 0.5 if p == 0.5 else float((p > 0.5) == hit)
    if decided:
        assert r.accuracy == pytest.approx(right / len(decided), abs=5.1e-5)


@given(CALL_LISTS, st.lists(scored_calls(st.just("inconclusive")), min_size=1, max_size=20))
def test_inconclusive_never_changes_brier(calls: list[ScoredCall], extra: list[ScoredCall]) -> None:
    before, after = track_record(calls), track_record(calls + extra)
    assert after.brier == before.brier
    assert after.brier_skill == before.brier_skill
    assert after.accuracy == before.accuracy
    assert after.calibration == before.calibration
    assert after.inconclusive == before.inconclusive + len(extra)


@given(CALL_LISTS, st.randoms(use_true_random=False))
def test_order_does_not_matter(calls: list[ScoredCall], rnd: random.Random) -> None:
    shuffled = list(calls)
    rnd.shuffle(shuffled)
    assert track_record(shuffled).model_dump_json() == track_record(calls).model_dump_json()


@settings(max_examples=150)
@given(CALL_LISTS, st.integers(min_value=0, max_value=60))
def test_merge_of_halves_equals_whole(calls: list[ScoredCall], cut: int) -> None:
    left = Accumulator().update(calls[:cut])
    right = Accumulator().update(calls[cut:])
    right_before = right.result()
    merged = left.merge(right).result()
    assert merged.model_dump_json() == track_record(calls).model_dump_json()
    assert right.result() == right_before  # merge leaves its argument alone
    # merging the other way round gives the same answer
    again = Accumulator().update(calls[cut:]).merge(Accumulator().update(calls[:cut])).result()
    assert again == merged


def test_add_one_by_one_equals_update() -> None:
    acc = Accumulator()
    for c in MIXED:
        acc.add(c)
    assert acc.result() == track_record(MIXED)
