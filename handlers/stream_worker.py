"""Lambda (async invoke): run the agent for one job and stream it to the client's connection.

Also the clarify-timeout queue's consumer (SQS): a question left unanswered goes on with assumptions.
"""

import asyncio
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from calledit import snapstart
from calledit.logs import handler_logger
from calledit.metrics import metrics
from calledit.ws.worker import handle_job, handle_timeout_batch

logger = handler_logger()
snapstart.register(snapstart.prime_worker, snapstart.after_restore)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Run the job to completion; the outcome is stored on the job record."""
    if "Records" in event:
        return handle_timeout_batch(event, context)
    logger.append_keys(request_id=event.get("request_id"))
    status = asyncio.run(handle_job(event, remaining_ms=context.get_remaining_time_in_millis()))
    return {"status": status or "skipped"}
