"""Lambda: makecall / cancel / resume / ping / $default - validate, record, hand off, reply in ms."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from calledit.logs import handler_logger
from calledit.ws.actions import ActionHandler

logger = handler_logger()
_handler: ActionHandler | None = None


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Dispatch on the route; problems go back to the client as error frames."""
    global _handler
    ctx = event.get("requestContext") or {}
    logger.append_keys(connection_id=ctx.get("connectionId"), route=ctx.get("routeKey"))
    if _handler is None:  # created on first use so warm invocations reuse its clients
        _handler = ActionHandler()
    return _handler(event)
