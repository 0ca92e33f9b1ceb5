"""The periodic sweep: hand every prediction whose check is due to the verify queue, exactly once.

It reads the sparse ``Sweep`` index shard by shard (bounded threads), marks each item as enqueued
with a conditional write (so two sweeps, or a sweep and a retry, never enqueue it twice), and sends
the messages in batches of ten. It never verifies inline: the queue's consumer does, with bounded
concurrency. EventBridge Scheduler's per-prediction schedules already cover the verification dates;
the sweep is the safety net and drives the early checks of "by" predictions.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from calledit import clock
from calledit.settings import get_settings
from calledit.storage.predictions import SWEEP_SHARDS, PredictionStore

logger = logging.getLogger(__name__)
SQS_BATCH = 10
SHARD_LIMIT = 1_000  # per shard per sweep: 16,000 per invocation, well inside its 120 s


@dataclass
class SweepReport:
    """What one sweep did."""

    found: int = 0
    enqueued: int = 0
    already_enqueued: int = 0
    failed: int = 0
    shards_at_limit: int = 0  # shards with more due items than one sweep takes: the rest wait
    by_shard: dict[str, int] = field(default_factory=dict)


class Sweeper:
    """One sweep over all shards; dependencies injectable for tests and the benchmark."""

    def __init__(
        self,
        store: PredictionStore | None = None,
        sqs: Any = None,
        queue_url: str | None = None,
        concurrency: int = 4,
    ) -> None:
        self.store = store or PredictionStore()
        self._sqs = sqs
        self.queue_url = queue_url or get_settings().verify_queue_url
        self.concurrency = max(1, concurrency)

    def _client(self) -> Any:
        if self._sqs is None:
            from calledit.aws import sqs_client

            self._sqs = sqs_client()
        return self._sqs

    def sweep(self, now: datetime | None = None) -> SweepReport:
        """Enqueue everything due at ``now`` (default: the clock)."""
        if not self.queue_url:
            raise RuntimeError("VERIFY_QUEUE_URL is not set: nowhere to send due verifications")
        at = now or clock.now()
        report = SweepReport()
        shards = [f"S#{i:02d}" for i in range(SWEEP_SHARDS)]
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="sweep") as pool:
            for shard, (found, enqueued, seen, failed, at_limit) in zip(
                shards, pool.map(lambda s: self._shard(s, at), shards), strict=True
            ):
                report.found += found
                report.enqueued += enqueued
                report.already_enqueued += seen
                report.failed += failed
                report.shards_at_limit += int(at_limit)
                report.by_shard[shard] = enqueued
        logger.info("sweep done", extra={"sweep": report.__dict__})
        return report

    def _shard(self, shard: str, now: datetime) -> tuple[int, int, int, int, bool]:
        due = self.store.sweep_due(shard, now, limit=SHARD_LIMIT)
        at_limit = len(due) >= SHARD_LIMIT
        if at_limit:
            logger.warning("shard %s has more due items than one sweep takes; the rest wait", shard)
        marked = self.store.mark_enqueued(due, now)
        enqueued = failed = 0
        for start in range(0, len(marked), SQS_BATCH):
            sent, lost = self._send(marked[start : start + SQS_BATCH])
            enqueued, failed = enqueued + sent, failed + lost
        return len(due), enqueued, len(due) - len(marked), failed, at_limit

    def _send(self, batch: list[dict[str, str]]) -> tuple[int, int]:
        entries = [
            {
                "Id": str(i),
                "MessageBody": json.dumps(
                    {"user_id": item["user_id"], "prediction_id": item["prediction_id"], "source": "sweep"}
                ),
            }
            for i, item in enumerate(batch)
        ]
        response = self._client().send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        failed = response.get("Failed", [])
        if failed:  # they stay marked; the stale window hands them out again
            logger.warning("could not enqueue %d verifications", len(failed))
        return len(response.get("Successful", [])), len(failed)
