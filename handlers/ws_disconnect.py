"""Lambda: $disconnect - forget the connection (running jobs notice via GoneException)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from calledit.logs import handler_logger
from calledit.storage.connections import ConnectionStore

logger = handler_logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Delete the connection record."""
    connection_id = event["requestContext"]["connectionId"]
    logger.append_keys(connection_id=connection_id)
    ConnectionStore().remove(connection_id)
    return {"statusCode": 200}
