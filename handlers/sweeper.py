"""Lambda (EventBridge Scheduler, every 15 minutes): enqueue every due verification exactly once."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from calledit.logs import handler_logger
from calledit.scheduled.sweep import Sweeper

logger = handler_logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Never verifies inline: the verify queue's consumer does, with bounded concurrency."""
    report = Sweeper().sweep()
    return {"found": report.found, "enqueued": report.enqueued, "already_enqueued": report.already_enqueued}
