"""Lambda: $connect - the authorizer already verified the token; record who is connected."""

from typing import Any

from aws_lambda_powertools.utilities.parser import ValidationError, parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from calledit.logs import handler_logger
from calledit.storage.connections import ConnectionStore
from calledit.ws.events import ConnectEvent

logger = handler_logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Store connection -> user; refuse (403) a connection that somehow has no authorizer context."""
    try:
        connect = parse(event=event, model=ConnectEvent)
    except ValidationError:
        logger.exception("not a $connect event")
        return {"statusCode": 400}
    ctx = connect.request_context
    logger.append_keys(connection_id=ctx.connection_id)
    if not ctx.authorizer.user_id:
        return {"statusCode": 403}
    ConnectionStore().add(
        ctx.connection_id, ctx.authorizer.user_id, str(ctx.identity.source_ip.network_address)
    )
    return {"statusCode": 200}
