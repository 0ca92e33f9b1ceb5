"""A per-client token bucket for the public routes (receipts), inside one Lambda environment.

API Gateway's stage throttling caps the route for everyone (template.yaml); this caps one client
address, so a single scraper cannot use the whole budget. Environments do not share buckets, so the
limit is per environment: a bound, not an exact quota.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from aws_lambda_powertools.event_handler.exceptions import ServiceError

MAX_CLIENTS = 10_000  # buckets kept (least recently seen dropped first)


class TooManyRequests(ServiceError):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__(429, f"Too many requests; try again in {retry_after_s} s.")
        self.retry_after_s = retry_after_s


class RateLimiter:
    """``per_minute`` requests per client address, refilled continuously, bursts up to that many."""

    def __init__(self, per_minute: int, clock: Any = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Take one token; 0 when allowed, else the seconds until the next token."""
        now = self._clock()
        with self._lock:
            tokens, seen = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - seen) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._buckets) > MAX_CLIENTS:
                self._buckets.popitem(last=False)
        return wait

    def check(self, router: Any) -> None:
        """Raise 429 (``rate_limited``) when the request's client is over its rate."""
        event = router.current_event
        client = str(getattr(event.request_context.identity, "source_ip", "") or "unknown")
        wait = self.take(client)
        if wait > 0:
            raise TooManyRequests(max(1, round(wait)))
