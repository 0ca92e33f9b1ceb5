"""Lambda: makecall / cancel / resume / ping / $default - validate, admit, record, hand off, reply in ms."""

from typing import Any

from aws_lambda_powertools.utilities.parser import ValidationError, parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from calledit.logs import handler_logger
from calledit.ws.actions import ActionHandler
from calledit.ws.events import MessageEvent

logger = handler_logger()
_handler: ActionHandler | None = None


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Dispatch on the route; problems go back to the client as error frames."""
    global _handler
    try:
        message = parse(event=event, model=MessageEvent)
    except ValidationError:
        logger.exception("not an API Gateway WebSocket message event")
        return {"statusCode": 400}
    ctx = message.request_context
    logger.append_keys(connection_id=ctx.connection_id, route=ctx.route_key)
    if _handler is None:  # created on first use so warm invocations reuse its clients
        _handler = ActionHandler()
    return _handler(message)
