"""The scheduled verifier: the verify queue's consumer (an SQS-triggered Lambda).

Each message names a prediction (from its one-time schedule or from the sweep). The verification
runs without a connection, the prediction is updated (resolved when the verdict may apply alone,
else proposed), and the owner is notified. A message whose prediction is already being verified or
resolved is simply done (that is how duplicates end); a failed run releases the prediction for the
next sweep. Only an infrastructure error, or a body that is not a verify message, returns the message
to the queue (Powertools' partial batch response); after three receives it rests in the dead-letter
queue for a human to look at.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Json

from calledit.agent_run import RunReport
from calledit.metrics import record_verification
from calledit.protocol import ErrorEvent, Event, VerdictEvent, is_terminal
from calledit.scheduled.notify import notify
from calledit.storage.notifications import NotificationKind
from calledit.storage.predictions import PredictionStore
from calledit.verification.service import verify_saved

logger = logging.getLogger(__name__)


class VerifyMessage(BaseModel):
    """The body of a verify-queue message."""

    model_config = ConfigDict(extra="ignore")

    user_id: str
    prediction_id: str
    source: str = "schedule"


class VerifyRecord(SqsRecordModel):
    """An SQS record whose body is a verify message (validated by the batch processor)."""

    body: Json[VerifyMessage]


async def verify_one(message: VerifyMessage, store: PredictionStore | None = None) -> Event | None:
    """Run one verification to its terminal event; notify the owner when a verdict is ready."""
    store = store or PredictionStore()
    final: Event | None = None
    report = RunReport()
    async for event in verify_saved(
        message.user_id, message.prediction_id, store=store, report=report, recheck_proposed=False
    ):
        if is_terminal(event):
            final = event
    record_verification(final=final, usage=report.usage)
    if isinstance(final, VerdictEvent):
        saved = await asyncio.to_thread(store.get, message.user_id, message.prediction_id)
        statement = saved.prediction_statement if saved else "your call"
        kind: NotificationKind = "verdict_ready"
        if final.applied:
            title = f"Resolved {final.verdict.outcome}: “{statement[:120]}”"
        elif (
            final.verdict.outcome == "inconclusive" and saved is not None and saved.status.value == "pending"
        ):
            return final  # a "by" call checked early and not settled: nothing to tell yet
        elif final.verdict.outcome == "inconclusive":
            kind, title = "due", f"Due: what happened? “{statement[:120]}”"  # only the user can tell now
        else:
            title = f"A verdict is ready to confirm: “{statement[:120]}”"
        await asyncio.to_thread(notify, message.user_id, kind, message.prediction_id, title)
    elif isinstance(final, ErrorEvent) and final.code not in ("conflict", "not_found"):
        logger.warning("verification failed: %s", final.code, extra={"prediction_id": message.prediction_id})
    return final


_processor = BatchProcessor(event_type=EventType.SQS, model=VerifyRecord)


def _verify_record(record: VerifyRecord) -> None:
    asyncio.run(verify_one(record.body))


def handle_batch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda (SQS trigger, ReportBatchItemFailures): verify each message in turn; a record that
    raised goes back to the queue, the others are done."""
    response = process_partial_response(
        event=event, record_handler=_verify_record, processor=_processor, context=context
    )
    return dict(response)
