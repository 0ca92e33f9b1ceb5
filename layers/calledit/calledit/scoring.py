"""A user's track record from their resolved calls: accuracy, Brier score, calibration.

Pure functions over in-memory data: no I/O, no AWS.

Rules:

- Outcome ``o`` is 1 for ``"true"`` and 0 for ``"false"``. *Decided* calls are true or false;
  *resolved* calls are decided or ``"inconclusive"``; calls with no outcome are *pending*.
- **Accuracy** is the share of decided calls whose forecast was right. A call without a
  confidence claims the event *will* happen, so it is right when it came true. A call with
  confidence ``p`` is right when ``p > 0.5`` and it came true, or ``p < 0.5`` and it came false;
  ``p == 0.5`` counts as half right whatever happened.
- **Brier score** is the mean of ``(p - o) ** 2`` over decided calls that have a confidence
  (0 is perfect; always saying 50 % scores 0.25). Inconclusive and no-confidence calls are
  excluded. ``brier_skill = 1 - brier / 0.25`` (positive: better than always saying 50 %).
- **Calibration** puts decided calls with a confidence into ten bins by percent,
  ``[0, 10), [10, 20), ..., [90, 100]``; a confidence within 1e-9 of a bin edge counts as on the
  edge, so 0.1 is in ``[10, 20)`` and 0.99 in ``[90, 100]``. Each bin reports the share that came
  true with its Wilson score 95 % interval.

Counts are kept as integers and confidences as exact integer multiples of ``2**-60`` (every
float in [0.01, 0.99] is one), so results do not depend on input order or on how
:class:`Accumulator` instances are merged. Floating-point outputs are rounded to 4 decimals.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Outcome = Literal["true", "false", "inconclusive"]
K = TypeVar("K", str, int)

MIN_CONFIDENCE = 0.01
MAX_CONFIDENCE = 0.99
BRIER_BASELINE = 0.25
N_BINS = 10
WILSON_Z = 1.959963984540054  # standard normal 97.5 % quantile: two-sided 95 % interval
DECIMALS = 4
BRIER_NOTE = (
    "Brier score covers decided (true/false) calls that have a confidence; "
    "inconclusive calls and calls without a confidence are excluded."
)

_OUTCOMES = frozenset({"true", "false", "inconclusive"})
_SCALE_BITS = 60
_SCALE = 1 << _SCALE_BITS  # a confidence p >= 2**-8 times 2**60 is an exact integer
_SCALE_F = float(_SCALE)
_SCALE_SQ = _SCALE * _SCALE
_EDGE_EPS = 1e-9
_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class ScoredCall:
    """One call as scoring sees it.

    ``outcome`` is None while pending; ``confidence`` is the probability (0.01-0.99) that the
    call comes true, or None when the user gave none. ``resolved_at`` must be timezone-aware;
    it places the call in the monthly series (a resolved call without it is counted everywhere
    else). ``tags`` may repeat a tag; it counts once.
    """

    outcome: Outcome | None
    confidence: float | None
    category: str
    tags: tuple[str, ...]
    resolved_at: datetime | None
    created_at: datetime

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in _OUTCOMES:
            raise ValueError(f"outcome must be one of {sorted(_OUTCOMES)} or None, not {self.outcome!r}")
        if self.confidence is not None:
            p = float(self.confidence)
            if not MIN_CONFIDENCE <= p <= MAX_CONFIDENCE:  # also rejects NaN
                raise ValueError(f"confidence must be within {MIN_CONFIDENCE}-{MAX_CONFIDENCE}, not {p!r}")
            object.__setattr__(self, "confidence", p)
        if not isinstance(self.tags, tuple):
            object.__setattr__(self, "tags", tuple(self.tags))
        if self.resolved_at is not None and self.resolved_at.utcoffset() is None:
            raise ValueError("resolved_at must be timezone-aware")


# ---------------------------------------------------------------- output models


def _r(value: float) -> float:
    return round(value, DECIMALS)


class CalibrationBin(BaseModel):
    """Decided calls whose confidence falls in one 10-point band."""

    model_config = ConfigDict(frozen=True)

    lower: int = Field(description="Lower edge of the band in percent (inclusive).")
    upper: int = Field(description="Upper edge of the band in percent (exclusive, except 100).")
    count: int = Field(description="Decided calls with a confidence in this band.")
    mean_confidence: float | None = Field(
        description="Mean stated confidence of those calls as a probability (0-1); null when empty."
    )
    observed_rate: float | None = Field(
        description="Share of those calls that came true (0-1); null when empty."
    )
    band_low: float | None = Field(
        description="Lower end of the Wilson score 95 % interval of observed_rate; null when empty."
    )
    band_high: float | None = Field(
        description="Upper end of the Wilson score 95 % interval of observed_rate; null when empty."
    )


class GroupRecord(BaseModel):
    """Track record of the resolved calls in one category or with one tag."""

    model_config = ConfigDict(frozen=True)

    resolved: int = Field(description="Calls resolved true, false or inconclusive.")
    decided: int = Field(description="Calls resolved true or false.")
    accuracy: float | None = Field(
        description="Share of decided calls whose forecast was right (see TrackRecord.accuracy); "
        "null when none are decided."
    )
    with_confidence: int = Field(description="Decided calls that had a confidence.")
    brier: float | None = Field(
        description="Mean (confidence - outcome)^2 over decided calls with a confidence; null when none."
    )


class MonthPoint(BaseModel):
    """Cumulative track record at the end of one calendar month (UTC)."""

    model_config = ConfigDict(frozen=True)

    month: str = Field(description="Calendar month of resolution in UTC, YYYY-MM.")
    resolved: int = Field(description="Calls resolved (true, false or inconclusive) in this month.")
    decided: int = Field(description="Calls resolved true or false in this month.")
    cumulative_decided: int = Field(description="Decided calls resolved up to the end of this month.")
    cumulative_accuracy: float | None = Field(
        description="Accuracy over decided calls resolved up to the end of this month; null when none."
    )
    cumulative_with_confidence: int = Field(
        description="Decided calls with a confidence resolved up to the end of this month."
    )
    cumulative_brier: float | None = Field(
        description="Brier score over decided calls with a confidence resolved up to the end of this "
        "month; null when none."
    )


class TrackRecord(BaseModel):
    """A user's track record over all their calls."""

    model_config = ConfigDict(frozen=True)

    total: int = Field(description="All calls, resolved or not.")
    resolved: int = Field(description="Calls resolved true, false or inconclusive.")
    decided: int = Field(description="Calls resolved true or false.")
    inconclusive: int = Field(description="Calls resolved inconclusive.")
    pending: int = Field(description="Calls not resolved yet.")
    accuracy: float | None = Field(
        description="Share of decided calls whose forecast was right; null when none are decided. "
        "A call without a confidence claims it will happen and is right when it came true. "
        "A call with confidence p is right when p > 0.5 and it came true or p < 0.5 and it came "
        "false; p = 0.5 counts as half right."
    )
    with_confidence: int = Field(description="Decided calls that had a confidence.")
    brier: float | None = Field(
        description="Brier score: mean (confidence - outcome)^2 over decided calls with a confidence, "
        "outcome 1 for true and 0 for false. 0 is perfect. Null when there are none."
    )
    brier_baseline: float = Field(
        default=BRIER_BASELINE, description="Brier score of always saying 50 % (0.25)."
    )
    brier_skill: float | None = Field(
        description="1 - brier / brier_baseline: above 0 beats always saying 50 %, 1 is perfect. "
        "Null when brier is null."
    )
    brier_note: str = Field(default=BRIER_NOTE, description="Which calls the Brier score covers.")
    calibration: list[CalibrationBin] = Field(
        description="Ten bins by confidence: [0,10), [10,20), ..., [90,100] percent, in order."
    )
    by_category: dict[str, GroupRecord] = Field(
        description="Record per category, over resolved calls; sorted by name."
    )
    by_tag: dict[str, GroupRecord] = Field(description="Record per tag, over resolved calls; sorted by name.")
    over_time: list[MonthPoint] = Field(
        description="One point per UTC month in which calls resolved, oldest first. "
        "Resolved calls without a resolution time are left out of this series."
    )


# ---------------------------------------------------------------- accumulation


def _wilson(successes: int, n: int) -> tuple[float, float]:
    """Wilson score interval for ``successes`` out of ``n`` (n > 0) at ``WILSON_Z``."""
    z2 = WILSON_Z * WILSON_Z
    phat = successes / n
    denom = 1.0 + z2 / n
    centre = (phat + z2 / (2 * n)) / denom
    half = WILSON_Z * math.sqrt(phat * (1.0 - phat) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _ratio(num: int, den: int) -> float | None:
    return None if den == 0 else _r(num / den)


class _Stats:
    """Integer sums for a group of resolved calls."""

    __slots__ = ("decided", "half_right", "resolved", "sq_err", "with_conf")

    def __init__(self) -> None:
        self.resolved = 0
        self.decided = 0
        self.half_right = 0  # right decided calls counted in halves (2 right, 1 half right)
        self.with_conf = 0
        self.sq_err = 0  # sum of (p - o)^2 scaled by 2**120

    def add(self, decided: int, half_right: int, with_conf: int, sq_err: int) -> None:
        self.resolved += 1
        self.decided += decided
        self.half_right += half_right
        self.with_conf += with_conf
        self.sq_err += sq_err

    def merge(self, other: _Stats) -> None:
        self.resolved += other.resolved
        self.decided += other.decided
        self.half_right += other.half_right
        self.with_conf += other.with_conf
        self.sq_err += other.sq_err

    def accuracy(self) -> float | None:
        return _ratio(self.half_right, 2 * self.decided)

    def brier(self) -> float | None:
        return _ratio(self.sq_err, self.with_conf * _SCALE_SQ)

    def group(self) -> GroupRecord:
        return GroupRecord(
            resolved=self.resolved,
            decided=self.decided,
            accuracy=self.accuracy(),
            with_confidence=self.with_conf,
            brier=self.brier(),
        )


def _merge_into(target: dict[K, _Stats], source: dict[K, _Stats]) -> None:
    for key, stats in source.items():
        mine = target.get(key)
        if mine is None:
            mine = target[key] = _Stats()
        mine.merge(stats)


class Accumulator:
    """Incremental track record: ``add`` calls, ``merge`` other accumulators, read ``result``.

    Order of ``add`` and ``merge`` does not change the result.
    """

    __slots__ = (
        "_bin_count",
        "_bin_sum",
        "_bin_true",
        "_by_category",
        "_by_month",
        "_by_tag",
        "_overall",
        "_pending",
        "_total",
    )

    def __init__(self) -> None:
        self._total = 0
        self._pending = 0
        self._overall = _Stats()
        self._by_category: dict[str, _Stats] = {}
        self._by_tag: dict[str, _Stats] = {}
        self._by_month: dict[int, _Stats] = {}  # year * 100 + month
        self._bin_count = [0] * N_BINS
        self._bin_true = [0] * N_BINS
        self._bin_sum = [0] * N_BINS  # sum of confidences scaled by 2**60

    def add(self, call: ScoredCall) -> None:
        """Count one call."""
        self._total += 1
        outcome = call.outcome
        if outcome is None:
            self._pending += 1
            return
        decided = with_conf = half = sq = 0
        if outcome != "inconclusive":
            decided = 1
            hit = outcome == "true"
            p = call.confidence
            if p is None:
                half = 2 if hit else 0
            else:
                with_conf = 1
                half = 1 if p == 0.5 else 2 if (p > 0.5) == hit else 0
                scaled = int(p * _SCALE_F)  # exact: see _SCALE
                err = _SCALE - scaled if hit else scaled
                sq = err * err
                b = int(p * N_BINS + _EDGE_EPS)
                if b >= N_BINS:
                    b = N_BINS - 1
                self._bin_count[b] += 1
                self._bin_true[b] += hit
                self._bin_sum[b] += scaled
        self._overall.add(decided, half, with_conf, sq)

        stats = self._by_category.get(call.category)
        if stats is None:
            stats = self._by_category[call.category] = _Stats()
        stats.add(decided, half, with_conf, sq)

        tags = call.tags
        if len(tags) > 1:
            tags = tuple(dict.fromkeys(tags))
        for tag in tags:
            stats = self._by_tag.get(tag)
            if stats is None:
                stats = self._by_tag[tag] = _Stats()
            stats.add(decided, half, with_conf, sq)

        when = call.resolved_at
        if when is not None:
            if when.utcoffset() != _ZERO:
                when = when.astimezone(UTC)
            key = when.year * 100 + when.month
            stats = self._by_month.get(key)
            if stats is None:
                stats = self._by_month[key] = _Stats()
            stats.add(decided, half, with_conf, sq)

    def update(self, calls: Iterable[ScoredCall]) -> Accumulator:
        """Count every call in ``calls``; returns self."""
        add = self.add
        for call in calls:
            add(call)
        return self

    def merge(self, other: Accumulator) -> Accumulator:
        """Add ``other``'s counts to this accumulator (``other`` is unchanged); returns self."""
        self._total += other._total
        self._pending += other._pending
        self._overall.merge(other._overall)
        _merge_into(self._by_category, other._by_category)
        _merge_into(self._by_tag, other._by_tag)
        _merge_into(self._by_month, other._by_month)
        for i in range(N_BINS):
            self._bin_count[i] += other._bin_count[i]
            self._bin_true[i] += other._bin_true[i]
            self._bin_sum[i] += other._bin_sum[i]
        return self

    def result(self) -> TrackRecord:
        """The track record of everything counted so far."""
        overall = self._overall
        brier_skill = None
        if overall.with_conf:
            den = overall.with_conf * _SCALE_SQ
            brier_skill = _r((den - 4 * overall.sq_err) / den)  # 1 - brier / 0.25, exactly
        return TrackRecord(
            total=self._total,
            resolved=overall.resolved,
            decided=overall.decided,
            inconclusive=overall.resolved - overall.decided,
            pending=self._pending,
            accuracy=overall.accuracy(),
            with_confidence=overall.with_conf,
            brier=overall.brier(),
            brier_skill=brier_skill,
            calibration=self._calibration(),
            by_category={k: self._by_category[k].group() for k in sorted(self._by_category)},
            by_tag={k: self._by_tag[k].group() for k in sorted(self._by_tag)},
            over_time=self._over_time(),
        )

    def _calibration(self) -> list[CalibrationBin]:
        bins = []
        width = 100 // N_BINS
        for i in range(N_BINS):
            n = self._bin_count[i]
            low = high = mean = rate = None
            if n:
                k = self._bin_true[i]
                mean = _r(self._bin_sum[i] / (n * _SCALE))
                rate = _r(k / n)
                wl, wh = _wilson(k, n)
                low, high = _r(wl), _r(wh)
            bins.append(
                CalibrationBin(
                    lower=i * width,
                    upper=(i + 1) * width,
                    count=n,
                    mean_confidence=mean,
                    observed_rate=rate,
                    band_low=low,
                    band_high=high,
                )
            )
        return bins

    def _over_time(self) -> list[MonthPoint]:
        points = []
        running = _Stats()
        for key in sorted(self._by_month):
            month = self._by_month[key]
            running.merge(month)
            points.append(
                MonthPoint(
                    month=f"{key // 100:04d}-{key % 100:02d}",
                    resolved=month.resolved,
                    decided=month.decided,
                    cumulative_decided=running.decided,
                    cumulative_accuracy=running.accuracy(),
                    cumulative_with_confidence=running.with_conf,
                    cumulative_brier=running.brier(),
                )
            )
        return points


def track_record(calls: Iterable[ScoredCall]) -> TrackRecord:
    """The track record of ``calls`` in one pass."""
    return Accumulator().update(calls).result()
