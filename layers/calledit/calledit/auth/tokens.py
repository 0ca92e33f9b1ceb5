"""Verification of Cognito ID tokens (RS256, keys from the user pool's JWKS).

The same code runs in the `$connect` authorizer in AWS and against the local issuer
(`calledit.local.issuer`), so local sign-in exercises the production path.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jwt import PyJWKClient

logger = logging.getLogger(__name__)

#: The only signature algorithm Cognito uses for user pool tokens; anything else is an attack or a bug.
ALGORITHM = "RS256"
#: Cognito ID tokens are ~1 KB; refuse anything absurdly large before decoding it.
MAX_TOKEN_LENGTH = 16 * 1024
_REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "token_use")


class InvalidToken(Exception):
    """The token is not acceptable. ``reason`` is for logs only; clients just see "Unauthorized"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """The verified caller: ``sub`` is the stable user id everywhere in CalledIt."""

    sub: str
    email: str | None
    claims: Mapping[str, Any] = field(hash=False)


class TokenVerifier:
    """Verifies Cognito ID tokens against one user pool (issuer) and app client (audience).

    Signing keys are fetched from ``jwks_url`` on first use and cached for ``jwks_lifespan_s``;
    a token with an unknown ``kid`` triggers at most one refetch per ``refresh_cooldown_s``
    (key rotation) so garbage kids cannot turn the verifier into a JWKS-fetching amplifier.
    The instance is thread-safe (PyJWKClient locks its cache).
    """

    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        audience: str,
        leeway_s: int = 30,
        *,
        fetch_timeout_s: float = 5.0,
        jwks_lifespan_s: float = 3600.0,
        refresh_cooldown_s: float = 30.0,
    ) -> None:
        missing = [
            name
            for name, value in (("jwks_url", jwks_url), ("issuer", issuer), ("audience", audience))
            if not value
        ]
        if missing:
            raise ValueError(f"token verification is not configured: missing {', '.join(missing)}")
        if leeway_s < 0:
            raise ValueError("leeway_s must be >= 0")
        from jwt import PyJWKClient  # deferred: PyJWT + cryptography cost ~80 ms to import

        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self.leeway_s = leeway_s
        self._client: PyJWKClient = PyJWKClient(
            jwks_url,
            cache_jwk_set=True,
            lifespan=jwks_lifespan_s,
            timeout=fetch_timeout_s,
            cooldown_duration=refresh_cooldown_s,
        )

    def verify(self, token: str) -> Identity:
        """Return the identity in a valid ID token, or raise ``InvalidToken``."""
        import jwt

        if not isinstance(token, str) or not token:
            raise InvalidToken("empty token")
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("token too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"malformed token: {exc}") from None
        # Checked before any key lookup: rejects alg=none and HS256-with-public-key confusion outright.
        alg = header.get("alg")
        if alg != ALGORITHM:
            raise InvalidToken(f"unexpected alg {alg!r}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("missing kid")
        try:
            signing_key = self._client.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as exc:
            logger.warning("JWKS fetch from %s failed: %s", self.jwks_url, exc)
            raise InvalidToken("signing keys unavailable") from None
        except jwt.PyJWTError as exc:  # unknown kid after refresh, or an unusable key set
            raise InvalidToken(f"no usable signing key: {exc}") from None
        if signing_key.algorithm_name != ALGORITHM:
            raise InvalidToken(f"signing key {kid!r} is not an {ALGORITHM} key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=signing_key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": list(_REQUIRED_CLAIMS), "strict_aud": True},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"{type(exc).__name__}: {exc}") from None
        # Access tokens carry the same iss/sub but no aud; strict_aud already rejects them. This check
        # also covers any other token type someone might mint with an aud.
        if claims.get("token_use") != "id":
            raise InvalidToken(f"token_use is {claims.get('token_use')!r}, expected 'id'")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.strip():
            raise InvalidToken("empty sub")
        email = claims.get("email")
        return Identity(
            sub=sub,
            email=email if isinstance(email, str) and email else None,
            claims=MappingProxyType(claims),
        )


@lru_cache(maxsize=1)
def verifier_from_settings() -> TokenVerifier:
    """The process-wide verifier (reused while a Lambda environment is warm, keeping its JWKS cache)."""
    from calledit.settings import get_settings

    settings = get_settings()
    return TokenVerifier(settings.jwks_url, settings.token_issuer, settings.token_audience)
