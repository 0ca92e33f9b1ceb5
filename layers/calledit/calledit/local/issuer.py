"""A Cognito-compatible identity provider for the local stack (mounted at ``/cognito``).

It speaks the subset of the Cognito Identity Provider JSON 1.1 API the frontend uses
(SignUp, ConfirmSignUp, InitiateAuth with USER_PASSWORD_AUTH / REFRESH_TOKEN_AUTH) and
publishes its RS256 key at ``/.well-known/jwks.json``, so `calledit.auth.tokens.TokenVerifier`
verifies its ID tokens exactly as it verifies real Cognito ones. Users are auto-confirmed.

Behaviour mirrors the user pool in template.yaml: email is the username (``cognito:username``
is then the user's ``sub``), passwords need >= 12 characters, and unknown users are reported as
wrong passwords (``PreventUserExistenceErrors``).

Not for production: needs the ``local`` extra (aiohttp) and keeps state in ``data_dir``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

logger = logging.getLogger(__name__)

KEY_FILE = "issuer-key.pem"
USERS_FILE = "users.json"
TARGET_PREFIX = "AWSCognitoIdentityProviderService."
JSON_CONTENT_TYPES = frozenset({"application/x-amz-json-1.1", "application/json"})
RESPONSE_CONTENT_TYPE = "application/x-amz-json-1.1"
TOKEN_TTL_S = 3600
REFRESH_TTL_S = 30 * 24 * 3600  # template.yaml: RefreshTokenValidity 30 days
MIN_PASSWORD_LENGTH = 12  # template.yaml: UserPool PasswordPolicy MinimumLength
MAX_PASSWORD_LENGTH = 256  # Cognito's API limit
MAX_BODY_BYTES = 64 * 1024
# Cognito's password pattern: no leading or trailing whitespace.
_PASSWORD_PATTERN = re.compile(r"^\S(.*\S)?$", re.DOTALL)
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+$")
# scrypt cost (~16 MiB, tens of ms): slow enough to mean something, fast enough for tests.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_SCRYPT_MAXMEM = 64 * 1024 * 1024
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


# --- signing key -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """The issuer's RSA key and its stable key id (RFC 7638 thumbprint of the public key)."""

    private_key: rsa.RSAPrivateKey
    kid: str

    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK, shaped like the entries of Cognito's jwks.json."""
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {
            "alg": "RS256",
            "e": str(jwk["e"]),
            "kid": self.kid,
            "kty": "RSA",
            "n": str(jwk["n"]),
            "use": "sig",
        }

    def sign(self, claims: Mapping[str, Any]) -> str:
        """An RS256 JWT over ``claims`` with this key's ``kid`` in the header."""
        return jwt.encode(dict(claims), self.private_key, algorithm="RS256", headers={"kid": self.kid})


def _thumbprint(public_key: rsa.RSAPublicKey) -> str:
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    canonical = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@lru_cache(maxsize=8)
def _load_pem(pem: bytes) -> SigningKey:
    """Parse a key once per process: RSA key loading (with its consistency check) takes ~35 ms."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the issuer key file does not hold an RSA private key")
    return SigningKey(private_key=key, kid=_thumbprint(key.public_key()))


def load_signing_key(data_dir: Path) -> SigningKey:
    """The key in ``data_dir``, generated (RSA-2048, PEM, mode 0600) on first use."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / KEY_FILE
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = _write_private_tmp(data_dir, pem)
        try:
            # link() never replaces: if another process created the key meanwhile, theirs wins and we use it.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return _load_pem(path.read_bytes())


def _write_private_tmp(directory: Path, data: bytes) -> str:
    """Write ``data`` to a fresh 0600 temp file in ``directory`` (flushed to disk); return its path."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")  # mkstemp creates files 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


# --- tokens ----------------------------------------------------------------------------------


def id_token_claims(
    issuer_url: str,
    client_id: str,
    sub: str,
    email: str | None,
    *,
    now: int,
    ttl_s: int = TOKEN_TTL_S,
    auth_time: int | None = None,
    origin_jti: str | None = None,
) -> dict[str, Any]:
    """Claims of a Cognito ID token for a pool whose username attribute is email."""
    claims: dict[str, Any] = {
        "sub": sub,
        "iss": issuer_url,
        "cognito:username": sub,
        "origin_jti": origin_jti or str(uuid.uuid4()),
        "aud": client_id,
        "event_id": str(uuid.uuid4()),
        "token_use": "id",
        "auth_time": auth_time if auth_time is not None else now,
        "iat": now,
        "exp": now + ttl_s,
        "jti": str(uuid.uuid4()),
    }
    if email is not None:
        claims["email"] = email
        claims["email_verified"] = True
    return claims


def access_token_claims(
    issuer_url: str,
    client_id: str,
    sub: str,
    *,
    now: int,
    ttl_s: int = TOKEN_TTL_S,
    auth_time: int | None = None,
    origin_jti: str | None = None,
) -> dict[str, Any]:
    """Claims of a Cognito access token: ``client_id`` instead of ``aud``."""
    return {
        "sub": sub,
        "iss": issuer_url,
        "client_id": client_id,
        "origin_jti": origin_jti or str(uuid.uuid4()),
        "event_id": str(uuid.uuid4()),
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": auth_time if auth_time is not None else now,
        "iat": now,
        "exp": now + ttl_s,
        "jti": str(uuid.uuid4()),
        "username": sub,
    }


def mint_id_token(
    data_dir: Path,
    issuer_url: str,
    client_id: str,
    sub: str,
    email: str | None,
    ttl_s: int = TOKEN_TTL_S,
) -> str:
    """An ID token signed with the issuer key in ``data_dir``, without HTTP (tests, benchmarks).

    A negative ``ttl_s`` yields an already expired token.
    """
    claims = id_token_claims(issuer_url.rstrip("/"), client_id, sub, email, now=int(time.time()), ttl_s=ttl_s)
    return load_signing_key(data_dir).sign(claims)


# --- users -----------------------------------------------------------------------------------


class CognitoError(Exception):
    """An error answered as Cognito does: HTTP 400 with ``{"__type", "message"}``."""

    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message
        self.status = status


def _scrypt(password: str, salt: bytes, params: Mapping[str, int]) -> bytes:
    return hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=params["n"],
        r=params["r"],
        p=params["p"],
        maxmem=_SCRYPT_MAXMEM,
        dklen=32,
    )


def hash_password(password: str) -> dict[str, Any]:
    """A storable scrypt hash of ``password`` with a fresh per-user salt (slow: call off the loop)."""
    salt = secrets.token_bytes(16)
    return {
        "salt": base64.b64encode(salt).decode(),
        "hash": base64.b64encode(_scrypt(password, salt, _SCRYPT)).decode(),
        "scrypt": dict(_SCRYPT),
    }


def check_password(password: str, record: Mapping[str, Any] | None) -> bool:
    """Whether ``password`` matches ``record`` (from `hash_password`); ``None`` never matches."""
    if record is None:
        # Hash anyway so an unknown user costs as much as a wrong password (no user enumeration).
        _scrypt(password, b"\0" * 16, _SCRYPT)
        return False
    expected = base64.b64decode(record["hash"])
    actual = _scrypt(password, base64.b64decode(record["salt"]), record.get("scrypt", _SCRYPT))
    return hmac.compare_digest(expected, actual)


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class User:
    """A local user as the issuer sees it."""

    sub: str
    email: str


class UserStore:
    """Users and refresh tokens in ``data_dir/users.json`` (atomic 0600 rewrites; only hashes stored).

    Not thread-safe: the app serialises access with one asyncio lock and runs writes in a thread.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data = self._load()

    def _load(self) -> dict[str, Any]:
        data: dict[str, Any] = {"version": 1, "users": {}, "refresh_tokens": {}}
        if self.path.exists():
            data.update(json.loads(self.path.read_text()))
        return data

    def _save(self) -> None:
        now = time.time()
        # Expired refresh tokens are dead weight; drop them whenever we write anyway.
        self._data["refresh_tokens"] = {
            k: v for k, v in self._data["refresh_tokens"].items() if v.get("exp", 0) > now
        }
        payload = json.dumps(self._data, indent=1, sort_keys=True).encode()
        tmp = _write_private_tmp(self.path.parent, payload)
        os.replace(tmp, self.path)

    @staticmethod
    def _key(username: str) -> str:
        return username.strip().casefold()

    def add(self, email: str, password_hash: Mapping[str, Any]) -> User:
        """Create a confirmed user; ``UsernameExistsException`` if the email is taken."""
        key = self._key(email)
        if key in self._data["users"]:
            raise CognitoError("UsernameExistsException", "An account with the given email already exists.")
        user = User(sub=str(uuid.uuid4()), email=email.strip())
        record = {"sub": user.sub, "email": user.email, "created_at": int(time.time()), **password_hash}
        self._data["users"][key] = record
        self._save()
        return user

    def lookup(self, username: str) -> tuple[User, dict[str, Any]] | None:
        """The user with this email (case-insensitive) or sub, and its stored record."""
        record = self._data["users"].get(self._key(username))
        if record is None:  # Cognito also accepts the real username, which is the sub here
            record = next((r for r in self._data["users"].values() if r["sub"] == username), None)
        return None if record is None else (User(sub=record["sub"], email=record["email"]), record)

    def issue_refresh_token(self, user: User, client_id: str, auth_time: int) -> str:
        """A new opaque refresh token (only its hash is stored)."""
        token = secrets.token_urlsafe(48)
        self._data["refresh_tokens"][_sha256(token)] = {
            "sub": user.sub,
            "client_id": client_id,
            "auth_time": auth_time,
            "exp": int(time.time()) + REFRESH_TTL_S,
        }
        self._save()
        return token

    def redeem_refresh_token(self, token: str, client_id: str) -> tuple[User, int] | None:
        """The user and original ``auth_time`` for a live refresh token of this client, else ``None``."""
        entry = self._data["refresh_tokens"].get(_sha256(token))
        if entry is None or entry.get("client_id") != client_id or entry.get("exp", 0) <= time.time():
            return None
        found = self.lookup(entry["sub"])
        return None if found is None else (found[0], int(entry["auth_time"]))


# --- HTTP ------------------------------------------------------------------------------------


def _error_response(error: CognitoError) -> web.Response:
    return web.json_response(
        {"__type": error.error_type, "message": error.message},
        status=error.status,
        content_type=RESPONSE_CONTENT_TYPE,
        headers={"x-amzn-ErrorType": error.error_type, "x-amzn-RequestId": str(uuid.uuid4())},
    )


def _ok(body: Mapping[str, Any]) -> web.Response:
    return web.json_response(
        dict(body), content_type=RESPONSE_CONTENT_TYPE, headers={"x-amzn-RequestId": str(uuid.uuid4())}
    )


def _param(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise CognitoError("InvalidParameterException", f"Missing required parameter {name}")
    return value


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class _Issuer:
    """Request handlers bound to one key, user store and app client."""

    def __init__(self, data_dir: Path, issuer_url: str, client_id: str) -> None:
        self.key = load_signing_key(data_dir)
        self.store = UserStore(data_dir / USERS_FILE)
        self.issuer_url = issuer_url
        self.client_id = client_id
        self.lock = asyncio.Lock()
        self.operations: dict[str, Callable[[Mapping[str, Any]], Awaitable[dict[str, Any]]]] = {
            "SignUp": self.sign_up,
            "ConfirmSignUp": self.confirm_sign_up,
            "InitiateAuth": self.initiate_auth,
        }

    async def jwks(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": [self.key.public_jwk()]})

    async def dispatch(self, request: web.Request) -> web.Response:
        try:
            target = request.headers.get("X-Amz-Target", "")
            name = target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else ""
            operation = self.operations.get(name)
            if operation is None:
                raise CognitoError("InvalidParameterException", f"Unknown operation {target!r}")
            if request.content_type not in JSON_CONTENT_TYPES:
                raise CognitoError("SerializationException", "Expected an application/x-amz-json-1.1 body")
            if (request.content_length or 0) > MAX_BODY_BYTES:
                raise CognitoError("SerializationException", "Request body too large")
            raw = await request.read()  # chunked bodies are bounded by the root app's client_max_size
            if len(raw) > MAX_BODY_BYTES:
                raise CognitoError("SerializationException", "Request body too large")
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                raise CognitoError("SerializationException", "Request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise CognitoError("SerializationException", "Request body must be a JSON object")
            return _ok(await operation(body))
        except CognitoError as exc:
            logger.info("cognito %s -> %s", request.headers.get("X-Amz-Target"), exc)
            return _error_response(exc)

    def _check_client(self, body: Mapping[str, Any]) -> None:
        client_id = _param(body, "ClientId")
        if client_id != self.client_id:
            raise CognitoError("ResourceNotFoundException", f"User pool client {client_id} does not exist.")

    async def sign_up(self, body: Mapping[str, Any]) -> dict[str, Any]:
        self._check_client(body)
        username = _param(body, "Username").strip()
        password = _param(body, "Password")
        if len(username) > 128 or not _EMAIL_PATTERN.match(username):
            raise CognitoError("InvalidParameterException", "Username should be an email.")
        attributes = body.get("UserAttributes") or []
        if not isinstance(attributes, list) or not all(
            isinstance(a, dict) and isinstance(a.get("Name"), str) and isinstance(a.get("Value"), str)
            for a in attributes
        ):
            raise CognitoError("InvalidParameterException", "UserAttributes must be a list of {Name, Value}")
        email_attr = next((a["Value"] for a in attributes if a["Name"] == "email"), None)
        if email_attr is not None and email_attr.strip().casefold() != username.casefold():
            raise CognitoError("InvalidParameterException", "The email attribute must match the Username.")
        if len(password) > MAX_PASSWORD_LENGTH or not _PASSWORD_PATTERN.match(password):
            raise CognitoError(
                "InvalidParameterException",
                "1 validation error detected: Value at 'password' failed to satisfy constraint: "
                "Member must have length less than or equal to 256 and no leading or trailing whitespace",
            )
        if len(password) < MIN_PASSWORD_LENGTH:
            raise CognitoError(
                "InvalidPasswordException", "Password did not conform with policy: Password not long enough"
            )
        password_hash = await asyncio.to_thread(hash_password, password)
        async with self.lock:
            user = await asyncio.to_thread(self.store.add, username, password_hash)
        return {"UserConfirmed": True, "UserSub": user.sub}

    async def confirm_sign_up(self, body: Mapping[str, Any]) -> dict[str, Any]:
        self._check_client(body)
        username = _param(body, "Username")
        _param(body, "ConfirmationCode")
        async with self.lock:
            found = self.store.lookup(username)
        if found is None:
            # What Cognito says with PreventUserExistenceErrors instead of UserNotFoundException.
            raise CognitoError(
                "CodeMismatchException", "Invalid verification code provided, please try again."
            )
        return {}  # users are confirmed at sign-up; any code is accepted

    async def initiate_auth(self, body: Mapping[str, Any]) -> dict[str, Any]:
        self._check_client(body)
        flow = _param(body, "AuthFlow")
        params = body.get("AuthParameters")
        if not isinstance(params, dict):
            raise CognitoError("InvalidParameterException", "Missing required parameter AuthParameters")
        if flow == "USER_PASSWORD_AUTH":
            username = _param(params, "USERNAME")
            password = _param(params, "PASSWORD")
            async with self.lock:
                found = self.store.lookup(username)
            matches = await asyncio.to_thread(check_password, password, None if found is None else found[1])
            if found is None or not matches:
                raise CognitoError("NotAuthorizedException", "Incorrect username or password.")
            user = found[0]
            auth_time = int(time.time())
            async with self.lock:
                refresh = await asyncio.to_thread(
                    self.store.issue_refresh_token, user, self.client_id, auth_time
                )
            result = self._tokens(user, auth_time)
            result["RefreshToken"] = refresh
        elif flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            token = _param(params, "REFRESH_TOKEN")
            async with self.lock:
                redeemed = self.store.redeem_refresh_token(token, self.client_id)
            if redeemed is None:
                raise CognitoError("NotAuthorizedException", "Invalid Refresh Token")
            user, auth_time = redeemed
            result = self._tokens(user, auth_time)  # Cognito does not rotate the refresh token by default
        else:
            raise CognitoError("InvalidParameterException", f"{flow} flow not enabled for this client")
        return {"AuthenticationResult": result, "ChallengeParameters": {}}

    def _tokens(self, user: User, auth_time: int) -> dict[str, Any]:
        now = int(time.time())
        origin_jti = str(uuid.uuid4())
        id_claims = id_token_claims(
            self.issuer_url,
            self.client_id,
            user.sub,
            user.email,
            now=now,
            auth_time=auth_time,
            origin_jti=origin_jti,
        )
        access_claims = access_token_claims(
            self.issuer_url, self.client_id, user.sub, now=now, auth_time=auth_time, origin_jti=origin_jti
        )
        return {
            "IdToken": self.key.sign(id_claims),
            "AccessToken": self.key.sign(access_claims),
            "ExpiresIn": TOKEN_TTL_S,
            "TokenType": "Bearer",
        }


def _cors_middleware(allowed: frozenset[str]) -> Any:
    """Answer preflights and tag responses for allowed origins; refuse other origins outright.

    Real Cognito allows any origin. We stay strict, and reject disallowed origins server-side too
    (not just withhold CORS headers) so a foreign page cannot even create accounts.
    """

    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin not in allowed:
            return _error_response(CognitoError("AccessDeniedException", "Origin not allowed", status=403))
        is_preflight = request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        if is_preflight and not isinstance(request.match_info.http_exception, web.HTTPNotFound):
            requested = request.headers.get("Access-Control-Request-Headers", "")
            names = [h.strip() for h in requested.split(",") if h.strip()]
            response: web.StreamResponse = web.Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            if names and all(_HEADER_NAME.match(h) for h in names):
                # Any header the SDK wants (x-amz-target, amz-sdk-invocation-id, ...): the origin is the gate.
                response.headers["Access-Control-Allow-Headers"] = ", ".join(names)
            response.headers["Access-Control-Max-Age"] = "600"
        else:
            response = await handler(request)
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "x-amzn-RequestId, x-amzn-ErrorType"
        response.headers.add("Vary", "Origin")
        return response

    return middleware


def create_issuer_app(
    data_dir: Path,
    issuer_url: str,
    client_id: str = "local-client",
    allowed_origins: Sequence[str] = (),
) -> web.Application:
    """The IdP as an aiohttp sub-application; mount it at the path of ``issuer_url`` (``/cognito``).

    ``allowed_origins`` are the browser origins allowed to call it; the issuer's own origin always is.
    """
    issuer_url = issuer_url.rstrip("/")
    allowed = frozenset(o.rstrip("/") for o in allowed_origins) | {_origin_of(issuer_url)}
    issuer = _Issuer(data_dir, issuer_url, client_id)
    app = web.Application(middlewares=[_cors_middleware(allowed)])
    app.router.add_get("/.well-known/jwks.json", issuer.jwks)
    # amazon-cognito-identity-js posts to the endpoint as given, the AWS SDK appends "/": serve both.
    app.router.add_post("", issuer.dispatch)
    app.router.add_post("/", issuer.dispatch)
    return app
