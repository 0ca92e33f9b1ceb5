"""Lambda: $disconnect - forget the connection (running jobs notice when a post answers 410 Gone)."""

from typing import Any

from aws_lambda_powertools.utilities.parser import ValidationError, parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from calledit.logs import handler_logger
from calledit.storage.connections import ConnectionStore
from calledit.ws.events import DisconnectEvent

logger = handler_logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Delete the connection record; anything but a real DISCONNECT event is ignored."""
    try:
        disconnect = parse(event=event, model=DisconnectEvent)
    except ValidationError:
        logger.warning("not a $disconnect event: ignored")
        return {"statusCode": 400}
    connection_id = disconnect.request_context.connection_id
    logger.append_keys(connection_id=connection_id)
    ConnectionStore().remove(connection_id)
    return {"statusCode": 200}
