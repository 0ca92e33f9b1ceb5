"""Lambda: $connect REQUEST authorizer (token in the query string, verified against the JWKS)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from calledit.logs import handler_logger
from calledit.ws.authorizer import authorize

logger = handler_logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Allow policy with the user's sub in its context; raising "Unauthorized" makes API Gateway send 401."""
    return authorize(event)
