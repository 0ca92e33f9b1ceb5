"""Lambda (SQS trigger): verify the predictions named by the verify queue; notify their owners."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from calledit import snapstart
from calledit.logs import handler_logger
from calledit.metrics import metrics
from calledit.scheduled.verifier import handle_batch

logger = handler_logger()
snapstart.register(snapstart.prime_worker, snapstart.after_restore)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Messages that hit an infrastructure error go back to the queue (partial batch failure)."""
    return handle_batch(event, context)
