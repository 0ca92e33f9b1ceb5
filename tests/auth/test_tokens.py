"""TokenVerifier against the local issuer's real JWKS over HTTP: what it accepts and what it refuses.

PyJWKClient fetches with blocking urllib, so every verify runs in a thread while the server
keeps serving on the test's event loop.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from calledit.auth import tokens
from calledit.auth.tokens import Identity, InvalidToken, TokenVerifier, verifier_from_settings
from calledit.local.issuer import (
    SigningKey,
    access_token_claims,
    id_token_claims,
    load_signing_key,
    mint_id_token,
)
from calledit.settings import get_settings


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    """A JWT built by hand, so tests control exactly what PyJWT's encoder would refuse to produce."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(sign(signing_input.encode()))}"


def hmac_sha256(secret: bytes, data: bytes) -> bytes:
    return hmac.new(secret, data, hashlib.sha256).digest()


def rs256_with(key: rsa.RSAPrivateKey) -> Callable[[bytes], bytes]:
    return lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def good_claims(issuer: Any, **overrides: Any) -> dict[str, Any]:
    claims = id_token_claims(
        issuer.issuer_url, issuer.client_id, str(uuid.uuid4()), "ada@example.com", now=int(time.time())
    )
    claims.update(overrides)
    return claims


async def verify(verifier: TokenVerifier, token: str) -> Identity:
    return await asyncio.to_thread(verifier.verify, token)


async def rejected(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as info:
        await verify(verifier, token)
    assert info.value.reason == str(info.value)
    return info.value.reason


# --- the happy path, end to end ---------------------------------------------------------------


async def test_sign_up_sign_in_and_verify_over_http(issuer: Any, signed_in: Any) -> None:
    sub, result = await signed_in("Ada@Example.com")

    identity = await verify(issuer.verifier(), result["IdToken"])

    assert identity.sub == sub
    assert identity.email == "Ada@Example.com"
    claims = identity.claims
    assert claims["token_use"] == "id"
    assert claims["aud"] == issuer.client_id
    assert claims["iss"] == issuer.issuer_url
    assert claims["cognito:username"] == sub
    assert claims["email_verified"] is True
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["auth_time"] <= claims["iat"]
    assert result["ExpiresIn"] == 3600 and result["TokenType"] == "Bearer"
    # The kid in the header is the one the JWKS publishes.
    async with issuer.session.get(issuer.jwks_url) as resp:
        published = [k["kid"] for k in (await resp.json())["keys"]]
    assert jwt.get_unverified_header(result["IdToken"])["kid"] in published


async def test_identity_is_frozen_and_claims_read_only(issuer: Any) -> None:
    token = mint_id_token(issuer.data_dir, issuer.issuer_url, issuer.client_id, "user-1", None)

    identity = await verify(issuer.verifier(), token)

    assert identity.sub == "user-1" and identity.email is None
    with pytest.raises(AttributeError):
        identity.sub = "someone-else"  # type: ignore[misc]
    with pytest.raises(TypeError):
        identity.claims["sub"] = "someone-else"  # type: ignore[index]
    assert hash(identity) == hash(Identity("user-1", None, {}))


async def test_mint_id_token_verifies_and_matches_cognito_shape(issuer: Any) -> None:
    token = mint_id_token(issuer.data_dir, issuer.issuer_url, issuer.client_id, "sub-42", "b@example.com")

    identity = await verify(issuer.verifier(), token)

    assert identity.sub == "sub-42" and identity.email == "b@example.com"
    assert {"sub", "iss", "aud", "token_use", "auth_time", "iat", "exp", "jti", "cognito:username"} <= set(
        identity.claims
    )


# --- refusals ----------------------------------------------------------------------------------


async def test_expired_token(issuer: Any) -> None:
    token = mint_id_token(issuer.data_dir, issuer.issuer_url, issuer.client_id, "u", None, ttl_s=-120)

    assert "Expired" in await rejected(issuer.verifier(), token)


async def test_leeway_tolerates_small_clock_skew_only(issuer: Any) -> None:
    token = mint_id_token(issuer.data_dir, issuer.issuer_url, issuer.client_id, "u", None, ttl_s=-5)

    assert (await verify(issuer.verifier(leeway_s=30), token)).sub == "u"
    await rejected(issuer.verifier(leeway_s=0), token)


async def test_wrong_audience(issuer: Any) -> None:
    token = mint_id_token(issuer.data_dir, issuer.issuer_url, "another-client", "u", None)

    assert "udience" in await rejected(issuer.verifier(), token)


async def test_audience_list_is_refused(issuer: Any) -> None:
    # Cognito ID tokens carry one audience; a list containing ours is not accepted.
    key = load_signing_key(issuer.data_dir)
    token = key.sign(good_claims(issuer, aud=[issuer.client_id, "other"]))

    await rejected(issuer.verifier(), token)


async def test_wrong_issuer(issuer: Any) -> None:
    token = mint_id_token(issuer.data_dir, "https://cognito-idp.example/other", issuer.client_id, "u", None)

    assert "ssuer" in await rejected(issuer.verifier(), token)


async def test_tampered_signature(issuer: Any) -> None:
    token = mint_id_token(issuer.data_dir, issuer.issuer_url, issuer.client_id, "u", None)
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[10] ^= 0x01

    assert "Signature" in await rejected(issuer.verifier(), f"{head}.{payload}.{b64url(bytes(raw))}")


async def test_tampered_payload(issuer: Any) -> None:
    token = mint_id_token(issuer.data_dir, issuer.issuer_url, issuer.client_id, "victim", None)
    head, _, signature = token.split(".")
    forged = good_claims(issuer, sub="attacker")

    await rejected(issuer.verifier(), f"{head}.{b64url(json.dumps(forged).encode())}.{signature}")


async def test_alg_none(issuer: Any) -> None:
    kid = load_signing_key(issuer.data_dir).kid
    unsigned = forge({"alg": "none", "typ": "JWT", "kid": kid}, good_claims(issuer), lambda _: b"")

    assert "alg" in await rejected(issuer.verifier(), unsigned)
    await rejected(issuer.verifier(), unsigned.rstrip("."))  # the two-segment spelling


async def test_hs256_signed_with_the_public_key(issuer: Any) -> None:
    key = load_signing_key(issuer.data_dir)
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Also try the JWKS text itself as the secret: both are public.
    async with issuer.session.get(issuer.jwks_url) as resp:
        jwks_text = await resp.read()
    for secret in (public_pem, jwks_text):
        token = forge(
            {"alg": "HS256", "typ": "JWT", "kid": key.kid},
            good_claims(issuer),
            functools.partial(hmac_sha256, secret),
        )
        assert "alg" in await rejected(issuer.verifier(), token)


async def test_other_key_claiming_our_kid(issuer: Any) -> None:
    ours = load_signing_key(issuer.data_dir)
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = forge({"alg": "RS256", "typ": "JWT", "kid": ours.kid}, good_claims(issuer), rs256_with(impostor))

    assert "Signature" in await rejected(issuer.verifier(), token)


async def test_unknown_kid(issuer: Any) -> None:
    key = load_signing_key(issuer.data_dir)
    token = jwt.encode(good_claims(issuer), key.private_key, algorithm="RS256", headers={"kid": "nope"})

    assert "signing key" in await rejected(issuer.verifier(refresh_cooldown_s=0), token)


async def test_missing_kid(issuer: Any) -> None:
    key = load_signing_key(issuer.data_dir)
    token = jwt.encode(good_claims(issuer), key.private_key, algorithm="RS256")

    assert "kid" in await rejected(issuer.verifier(), token)


@pytest.mark.parametrize("claim", ["sub", "exp", "iat", "iss", "aud", "token_use"])
async def test_missing_required_claim(issuer: Any, claim: str) -> None:
    claims = good_claims(issuer)
    del claims[claim]
    token = load_signing_key(issuer.data_dir).sign(claims)

    await rejected(issuer.verifier(), token)


@pytest.mark.parametrize("sub", ["", "   ", 42])
async def test_unusable_sub(issuer: Any, sub: Any) -> None:
    token = load_signing_key(issuer.data_dir).sign(good_claims(issuer, sub=sub))

    await rejected(issuer.verifier(), token)


async def test_access_token_is_not_an_id_token(issuer: Any, signed_in: Any) -> None:
    _, result = await signed_in()

    await rejected(issuer.verifier(), result["AccessToken"])


async def test_access_token_with_our_audience_is_still_refused(issuer: Any) -> None:
    claims = access_token_claims(issuer.issuer_url, issuer.client_id, "u", now=int(time.time()))
    claims["aud"] = issuer.client_id
    token = load_signing_key(issuer.data_dir).sign(claims)

    assert "token_use" in await rejected(issuer.verifier(), token)


async def test_issued_in_the_future(issuer: Any) -> None:
    now = int(time.time())
    token = load_signing_key(issuer.data_dir).sign(good_claims(issuer, iat=now + 600, exp=now + 4200))

    await rejected(issuer.verifier(), token)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x" * (tokens.MAX_TOKEN_LENGTH + 1), "ey.ey.ey"])
async def test_garbage(issuer: Any, token: str) -> None:
    await rejected(issuer.verifier(), token)


# --- the key set: fetching, caching, rotation, outages -----------------------------------------


class JwksServer:
    """A JWKS endpoint whose key set the test controls, counting fetches."""

    def __init__(self) -> None:
        self.keys: list[SigningKey] = []
        self.fetches = 0
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.fetches += 1
        return web.json_response({"keys": [k.public_jwk() for k in self.keys]})


@pytest.fixture
async def jwks() -> AsyncIterator[JwksServer]:
    server = JwksServer()
    app = web.Application()
    app.router.add_get("/jwks.json", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}/jwks.json"
    yield server
    await runner.cleanup()


ISS = "http://issuer.test/pool"
AUD = "client-x"


def minted(key: SigningKey, sub: str = "u") -> str:
    return key.sign(id_token_claims(ISS, AUD, sub, None, now=int(time.time())))


async def test_keys_are_fetched_once_and_cached(jwks: JwksServer, tmp_path: Path) -> None:
    key = load_signing_key(tmp_path / "a")
    jwks.keys = [key]
    verifier = TokenVerifier(jwks.url, ISS, AUD)

    subs = [(await verify(verifier, minted(key, f"user-{i}"))).sub for i in range(3)]

    assert subs == ["user-0", "user-1", "user-2"]
    assert jwks.fetches == 1


async def test_rotated_key_is_picked_up_by_refetching(jwks: JwksServer, tmp_path: Path) -> None:
    old, new = load_signing_key(tmp_path / "old"), load_signing_key(tmp_path / "new")
    jwks.keys = [old]
    verifier = TokenVerifier(jwks.url, ISS, AUD, refresh_cooldown_s=0)
    assert (await verify(verifier, minted(old))).sub == "u"

    jwks.keys = [old, new]
    assert (await verify(verifier, minted(new, "after-rotation"))).sub == "after-rotation"
    assert jwks.fetches == 2


async def test_unknown_kids_cannot_force_refetches_during_cooldown(jwks: JwksServer, tmp_path: Path) -> None:
    known, unknown = load_signing_key(tmp_path / "k"), load_signing_key(tmp_path / "u")
    jwks.keys = [known]
    verifier = TokenVerifier(jwks.url, ISS, AUD, refresh_cooldown_s=3600)
    await verify(verifier, minted(known))

    for _ in range(5):
        await rejected(verifier, minted(unknown))

    assert jwks.fetches == 1


async def test_empty_key_set(jwks: JwksServer) -> None:
    verifier = TokenVerifier(jwks.url, ISS, AUD)
    token = forge({"alg": "RS256", "kid": "k"}, {"sub": "u"}, lambda _: b"sig")

    assert "signing key" in await rejected(verifier, token)


async def test_jwks_unreachable(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    verifier = TokenVerifier(f"http://127.0.0.1:{port}/jwks.json", ISS, AUD, fetch_timeout_s=2)

    reason = await rejected(verifier, minted(load_signing_key(tmp_path)))

    assert reason == "signing keys unavailable"


async def test_jwks_fetch_is_bounded_by_the_timeout(tmp_path: Path) -> None:
    # The kernel accepts the connection (backlog) but nothing ever answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/jwks.json"
        verifier = TokenVerifier(url, ISS, AUD, fetch_timeout_s=0.2)
        token = minted(load_signing_key(tmp_path))

        # The guard is 50x the configured timeout: it only fails if the timeout is not applied at all.
        reason = await asyncio.wait_for(rejected(verifier, token), timeout=10)

    assert reason == "signing keys unavailable"


# --- construction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jwks_url", "issuer", "audience"),
    [("", ISS, AUD), ("http://x/jwks.json", "", AUD), ("http://x/jwks.json", ISS, "")],
)
def test_unconfigured_verifier_fails_loudly(jwks_url: str, issuer: str, audience: str) -> None:
    with pytest.raises(ValueError, match="not configured"):
        TokenVerifier(jwks_url, issuer, audience)


def test_verifier_from_settings_is_built_once_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLEDIT_JWKS_URL", "http://127.0.0.1:1/cognito/.well-known/jwks.json")
    monkeypatch.setenv("CALLEDIT_TOKEN_ISSUER", "http://127.0.0.1:1/cognito")
    monkeypatch.setenv("CALLEDIT_TOKEN_AUDIENCE", "local-client")
    get_settings.cache_clear()
    verifier_from_settings.cache_clear()
    try:
        first = verifier_from_settings()
        assert first is verifier_from_settings()
        assert (first.jwks_url, first.issuer, first.audience) == (
            "http://127.0.0.1:1/cognito/.well-known/jwks.json",
            "http://127.0.0.1:1/cognito",
            "local-client",
        )
        assert first.leeway_s == 30
    finally:
        get_settings.cache_clear()
        verifier_from_settings.cache_clear()
