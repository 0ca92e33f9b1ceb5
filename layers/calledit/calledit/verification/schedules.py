"""One EventBridge Scheduler schedule per saved prediction, firing at its date into the verify queue.

Created on save, deleted when the prediction is deleted or resolved (a one-time schedule also deletes
itself after firing). A call due within 15 minutes, or already due, skips the schedule (an ``at()`` in
the past is not one to rely on) and goes into the queue with a delay that ends at its date. The periodic
sweep is the safety net: a schedule that could not be created never loses a verification, so
scheduling failures are logged, never raised to the user. Deliveries that fail past the retry
policy land in the verify dead-letter queue.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import timedelta
from typing import Any

from calledit import clock
from calledit.prediction import format_utc
from calledit.saved import SavedPrediction
from calledit.settings import Settings, get_settings

logger = logging.getLogger(__name__)


#: SQS delays a message up to 15 minutes: a call due sooner (or already due) is queued with a delay.
MAX_QUEUE_DELAY = timedelta(minutes=15)


def schedule_name(prediction_id: str) -> str:
    """Schedule names are unique per group, 1-64 characters."""
    return f"verify-{prediction_id}"


class VerificationSchedules:
    """Creates and deletes the per-prediction schedules (a no-op when the stack has no scheduler)."""

    def __init__(self, client: Any = None, settings: Settings | None = None) -> None:
        self._client = client
        self._settings = settings or get_settings()

    @property
    def enabled(self) -> bool:
        return bool(self._settings.verify_queue_arn and self._settings.scheduler_role_arn)

    def _scheduler(self) -> Any:
        if self._client is None:
            from calledit.aws import scheduler_client

            self._client = scheduler_client()
        return self._client

    def schedule(self, saved: SavedPrediction) -> bool:
        """A one-time schedule at the verification date, or a delayed message when that date is
        less than 15 minutes away (or past). True when scheduled or queued."""
        if not self.enabled:
            return False
        payload = {"user_id": saved.user_id, "prediction_id": saved.prediction_id, "source": "schedule"}
        wait = saved.verification_date - clock.now()
        if wait <= MAX_QUEUE_DELAY:
            return self._queue(payload, delay_s=max(0, math.ceil(wait.total_seconds())))
        at = format_utc(saved.verification_date).removesuffix("Z")
        target: dict[str, Any] = {
            "Arn": self._settings.verify_queue_arn,
            "RoleArn": self._settings.scheduler_role_arn,
            "Input": json.dumps(payload),
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
        }
        if self._settings.verify_dead_letters_arn:
            target["DeadLetterConfig"] = {"Arn": self._settings.verify_dead_letters_arn}
        try:
            self._scheduler().create_schedule(
                Name=schedule_name(saved.prediction_id),
                GroupName=self._settings.schedule_group,
                ScheduleExpression=f"at({at})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target=target,
            )
        except Exception:
            logger.warning("could not schedule the verification; the sweep will pick it up", exc_info=True)
            return False
        return True

    def _queue(self, payload: dict[str, str], delay_s: int) -> bool:
        from calledit.aws import sqs_client

        if not self._settings.verify_queue_url:
            return False
        try:
            sqs_client().send_message(
                QueueUrl=self._settings.verify_queue_url,
                MessageBody=json.dumps(payload),
                DelaySeconds=min(delay_s, int(MAX_QUEUE_DELAY.total_seconds())),
            )
        except Exception:
            logger.warning("could not queue the verification; the sweep will pick it up", exc_info=True)
            return False
        return True

    def cancel(self, prediction_id: str) -> None:
        """Delete the schedule if it is still there (idempotent)."""
        if not self.enabled:
            return
        try:
            self._scheduler().delete_schedule(
                Name=schedule_name(prediction_id), GroupName=self._settings.schedule_group
            )
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code != "ResourceNotFoundException":
                logger.warning("could not delete the verification schedule", exc_info=True)
