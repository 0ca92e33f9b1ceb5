"""Lambda (async invoke): run the agent for one job and stream it to the client's connection."""

import asyncio
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from calledit import snapstart
from calledit.logs import handler_logger
from calledit.ws.worker import process

logger = handler_logger()
snapstart.register(snapstart.prime_worker, snapstart.after_restore)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Run the job to completion; the outcome is stored on the job record."""
    logger.append_keys(request_id=event.get("request_id"))
    status = asyncio.run(process(event, remaining_ms=context.get_remaining_time_in_millis()))
    return {"status": status or "skipped"}
