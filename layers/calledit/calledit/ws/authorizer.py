"""The $connect REQUEST authorizer: a verified ID token from ``?token=`` or no connection."""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from pydantic import ValidationError

from calledit.auth.tokens import InvalidToken, verifier_from_settings
from calledit.ws.events import AuthorizerEvent

logger = logging.getLogger(__name__)


class Unauthorized(Exception):
    """API Gateway answers 401 when the authorizer raises with this exact message."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def authorize(raw: dict[str, Any]) -> dict[str, Any]:
    """Return an Allow policy with ``{sub, email}`` context, or raise ``Unauthorized``."""
    try:
        event = parse(event=raw, model=AuthorizerEvent)
    except ValidationError:
        logger.info("not a $connect REQUEST authorizer event")
        raise Unauthorized() from None
    token = event.token
    if not token or len(token) > 8192:
        raise Unauthorized()
    try:
        identity = verifier_from_settings().verify(token)
    except InvalidToken as exc:
        logger.info("token rejected: %s", exc)
        raise Unauthorized() from None
    return {
        "principalId": identity.sub,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event.method_arn}],
        },
        "context": {"sub": identity.sub, "email": identity.email or ""},
    }
