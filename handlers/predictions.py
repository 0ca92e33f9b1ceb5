"""Lambda: the predictions REST API (Powertools resolver behind the Cognito authorizer)."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from calledit import snapstart
from calledit.api.app import handle
from calledit.logs import handler_logger

logger = handler_logger()
snapstart.register(snapstart.prime_api, snapstart.after_restore)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Route the request; errors are JSON bodies `{code, message}`."""
    return handle(event, context)
