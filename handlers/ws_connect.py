"""Lambda: $connect - the authorizer already verified the token; record who is connected."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from calledit.logs import handler_logger
from calledit.storage.connections import ConnectionStore

logger = handler_logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Store connection -> user; refuse (403) a connection that somehow has no authorizer context."""
    ctx = event["requestContext"]
    user_id = (ctx.get("authorizer") or {}).get("sub")
    logger.append_keys(connection_id=ctx.get("connectionId"))
    if not user_id:
        return {"statusCode": 403}
    ConnectionStore().add(ctx["connectionId"], user_id, (ctx.get("identity") or {}).get("sourceIp", ""))
    return {"statusCode": 200}
