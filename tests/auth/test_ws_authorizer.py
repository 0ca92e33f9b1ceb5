"""The $connect authorizer Lambda with real signed tokens verified against the issuer's JWKS over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from calledit.auth.tokens import verifier_from_settings
from calledit.local.issuer import mint_id_token
from calledit.local.lambdas import LambdaContext
from calledit.settings import get_settings

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/$connect"


def Context() -> LambdaContext:
    return LambdaContext.named("ws-authorizer")


def request_event(token: str | None) -> dict[str, Any]:
    """A complete REQUEST authorizer event for $connect (the one event builder)."""
    from calledit.local.events import ws_authorizer_event

    event = ws_authorizer_event(
        connection_id="Zs1+ab/cd=",
        api_id="abc123",
        account_id="123456789012",
        query={"token": token} if token is not None else None,
    )
    assert event["methodArn"] == METHOD_ARN
    return event


@pytest.fixture
def configured(issuer: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("CALLEDIT_JWKS_URL", issuer.jwks_url)
    monkeypatch.setenv("CALLEDIT_TOKEN_ISSUER", issuer.issuer_url)
    monkeypatch.setenv("CALLEDIT_TOKEN_AUDIENCE", issuer.client_id)
    get_settings.cache_clear()
    verifier_from_settings.cache_clear()
    yield issuer
    get_settings.cache_clear()
    verifier_from_settings.cache_clear()


async def authorize(token: str | None) -> dict[str, Any]:
    import ws_authorizer

    # The JWKS fetch is blocking and the issuer serves from this loop: verify in a thread.
    return await asyncio.to_thread(ws_authorizer.handler, request_event(token), Context())


async def test_signed_in_user_is_allowed_with_identity_context(configured: Any, signed_in: Any) -> None:
    sub, tokens = await signed_in("grace@example.com")
    policy = await authorize(tokens["IdToken"])
    assert policy["principalId"] == sub
    assert policy["context"] == {"sub": sub, "email": "grace@example.com"}
    statement = policy["policyDocument"]["Statement"][0]
    assert statement == {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN}


@pytest.mark.parametrize(
    "kind", ["missing", "empty", "garbage", "expired", "access_token", "tampered", "huge"]
)
async def test_bad_tokens_are_refused_with_unauthorized(configured: Any, signed_in: Any, kind: str) -> None:
    _, tokens = await signed_in("eve@example.com")
    issuer = configured
    token: str | None = {
        "missing": None,
        "empty": "",
        "garbage": "not-a-jwt",
        "expired": mint_id_token(
            issuer.data_dir, issuer.issuer_url, issuer.client_id, "s", "e@x.io", ttl_s=-600
        ),
        "access_token": tokens["AccessToken"],
        "tampered": tokens["IdToken"][:-4] + ("AAAA" if not tokens["IdToken"].endswith("AAAA") else "BBBB"),
        "huge": "a" * 9000,
    }[kind]
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        await authorize(token)
