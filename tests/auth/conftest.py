"""Fixtures: the local issuer served over real HTTP on 127.0.0.1, mounted at /cognito like the stack."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from calledit.auth.tokens import TokenVerifier
from calledit.local.issuer import KEY_FILE, TARGET_PREFIX, create_issuer_app, load_signing_key

CLIENT_ID = "local-client"
ORIGIN = "http://localhost:5173"
PASSWORD = "correct horse"


@dataclass
class Issuer:
    """A running issuer and helpers to call it the way the Cognito SDKs do."""

    base_url: str
    issuer_url: str
    data_dir: Path
    session: aiohttp.ClientSession
    client_id: str = CLIENT_ID

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/cognito/"

    @property
    def jwks_url(self) -> str:
        # From the server actually running: a restarted instance may keep an older issuer URL.
        return f"{self.base_url}/cognito/.well-known/jwks.json"

    def verifier(self, **kwargs: Any) -> TokenVerifier:
        """The production verifier pointed at this issuer's JWKS over HTTP."""
        return TokenVerifier(self.jwks_url, self.issuer_url, self.client_id, **kwargs)

    async def call(
        self,
        operation: str,
        body: Mapping[str, Any] | None = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/x-amz-json-1.1",
        target: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """POST one Cognito JSON 1.1 operation; return (status, decoded JSON body)."""
        all_headers = {
            "X-Amz-Target": target if target is not None else TARGET_PREFIX + operation,
            "Content-Type": content_type,
            **(headers or {}),
        }
        data = raw if raw is not None else json.dumps(body or {}).encode()
        async with self.session.post(self.endpoint, data=data, headers=all_headers) as resp:
            return resp.status, await resp.json(content_type=None)

    async def sign_up(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        status, body = await self.call(
            "SignUp",
            {
                "ClientId": self.client_id,
                "Username": email,
                "Password": password,
                "UserAttributes": [{"Name": "email", "Value": email}],
            },
        )
        assert status == 200, body
        return body

    async def sign_in(self, username: str, password: str = PASSWORD) -> tuple[int, dict[str, Any]]:
        return await self.call(
            "InitiateAuth",
            {
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": self.client_id,
                "AuthParameters": {"USERNAME": username, "PASSWORD": password},
            },
        )


@asynccontextmanager
async def serve_issuer(
    data_dir: Path,
    *,
    issuer_url: str | None = None,
    allowed_origins: Sequence[str] = (ORIGIN,),
) -> AsyncIterator[Issuer]:
    """Serve the issuer on a free 127.0.0.1 port; ``issuer_url`` defaults to that server's /cognito."""
    # Bind first so the issuer URL (which goes into every token) names the real port.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    issuer_url = issuer_url or f"{base_url}/cognito"
    root = web.Application()
    root.add_subapp("/cognito", create_issuer_app(data_dir, issuer_url, CLIENT_ID, allowed_origins))
    runner = web.AppRunner(root)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    try:
        async with aiohttp.ClientSession() as session:
            yield Issuer(base_url=base_url, issuer_url=issuer_url, data_dir=data_dir, session=session)
    finally:
        await runner.cleanup()


@pytest.fixture(scope="session")
def issuer_key_pem(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """One generated key for the session (generation itself is tested once, in test_local_issuer)."""
    data_dir = tmp_path_factory.mktemp("issuer-key")
    load_signing_key(data_dir)
    return (data_dir / KEY_FILE).read_bytes()


@pytest.fixture
async def issuer(tmp_path: Path, issuer_key_pem: bytes) -> AsyncIterator[Issuer]:
    """A fresh issuer (own users.json) reusing the session's key, as a restarted stack would."""
    data_dir = tmp_path / "idp"
    data_dir.mkdir(mode=0o700)
    (data_dir / KEY_FILE).write_bytes(issuer_key_pem)
    (data_dir / KEY_FILE).chmod(0o600)
    async with serve_issuer(data_dir) as running:
        yield running


@pytest.fixture
def serve() -> Any:
    """``serve_issuer`` for tests that need several instances or custom settings."""
    return serve_issuer


@pytest.fixture
def signed_in(issuer: Issuer) -> Any:
    """Sign up + sign in a fresh user; returns (UserSub, AuthenticationResult)."""

    async def make(email: str = "ada@example.com") -> tuple[str, dict[str, Any]]:
        sub = (await issuer.sign_up(email))["UserSub"]
        status, body = await issuer.sign_in(email)
        assert status == 200, body
        return sub, body["AuthenticationResult"]

    return make
