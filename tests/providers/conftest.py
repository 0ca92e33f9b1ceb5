"""Fixtures for the scripted provider servers (``scripted.py`` in this folder).

pytest runs with ``--import-mode=importlib``, so this folder is put on ``sys.path`` for ``import scripted``.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from scripted import (  # noqa: E402
    Provider,
    ScriptedServer,
    ScriptLike,
    ServerFactory,
    ThreadedServerFactory,
    serve_in_thread,
)

AWS_DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}
AWS_CLEARED_ENV = (
    "AWS_PROFILE",
    "AWS_RETRY_MODE",
    "AWS_MAX_ATTEMPTS",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    "AWS_BEARER_TOKEN_BEDROCK",
)
PROVIDER_ENV = (
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
)


@pytest.fixture(autouse=True)
def provider_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Dummy AWS credentials, no shared AWS config or retry overrides, no provider keys or base URLs from
    the developer's shell: every client here talks to 127.0.0.1 only."""
    for key in (*AWS_CLEARED_ENV, *PROVIDER_ENV):
        monkeypatch.delenv(key, raising=False)
    for key, value in AWS_DUMMY_ENV.items():
        monkeypatch.setenv(key, value)
    return dict(AWS_DUMMY_ENV)


@pytest.fixture
async def scripted_server() -> AsyncIterator[ServerFactory]:
    """``server = await scripted_server("openai", happy())``: started on this test's event loop, stopped at
    teardown. Keyword arguments go to :class:`scripted.ScriptedServer`."""
    started: list[ScriptedServer] = []

    async def start(provider: Provider, script: ScriptLike, **options: Any) -> ScriptedServer:
        server = await ScriptedServer(provider, script, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        await server.stop()


@pytest.fixture
def threaded_scripted_server() -> Iterator[ThreadedServerFactory]:
    """``server = threaded_scripted_server("bedrock", happy())`` for synchronous tests: the server runs on
    its own loop in a background thread until teardown."""
    with ExitStack() as stack:

        def start(provider: Provider, script: ScriptLike, **options: Any) -> ScriptedServer:
            return stack.enter_context(serve_in_thread(provider, script, **options))

        yield start


@pytest.fixture
def botocore_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Make botocore's retry back-off instant (it ignores Retry-After) and record the delays it asked for."""
    import time

    import botocore.endpoint

    sleeps: list[float] = []

    class _Time:
        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            sleeps.append(seconds)

    monkeypatch.setattr(botocore.endpoint, "time", _Time())
    return sleeps
