"""Who is calling: the verified ``sub`` from the Cognito authorizer's claims, never from a body."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.exceptions import UnauthorizedError


def caller_id(router: Any) -> str:
    """The caller's user id; 401 when the request carries no verified identity."""
    event = router.current_event
    claims = (event.request_context.authorizer.claims or {}) if event is not None else {}
    sub = claims.get("sub") if isinstance(claims, dict) else None
    if not sub:
        raise UnauthorizedError("Sign in first.")
    return str(sub)


def caller_email(router: Any) -> str | None:
    """The caller's verified email claim, if the token carries one (reminders go there)."""
    event = router.current_event
    claims = (event.request_context.authorizer.claims or {}) if event is not None else {}
    email = claims.get("email") if isinstance(claims, dict) else None
    return str(email) if email else None
