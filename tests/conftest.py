"""Shared fixtures: moto-backed AWS with the tables defined in template.yaml."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from calledit.local.dynamodb import create_tables
from calledit.local.template import read_template

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = ROOT / "handlers"
if str(HANDLERS) not in sys.path:  # Lambda imports handler modules from the CodeUri root
    sys.path.insert(0, str(HANDLERS))
SUPPORT = ROOT / "tests" / "support"  # test doubles shared by several test folders
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

TABLE_ENV = {
    "PredictionsTable": "PREDICTIONS_TABLE",
    "JobsTable": "JOBS_TABLE",
    "ConnectionsTable": "CONNECTIONS_TABLE",
}


def template_tables() -> dict[str, dict[str, Any]]:
    """The ``AWS::DynamoDB::Table`` properties of template.yaml, by logical id (the local stack's reader)."""
    template = read_template(ROOT / "template.yaml")
    return {logical: template.tables[physical] for logical, physical in template.table_names.items()}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Dummy credentials and table names; never reaches a real account."""
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "STREAM_WORKER_FUNCTION": "calledit-stream-worker",
        "ALLOWED_ORIGINS": "http://localhost:5173,http://127.0.0.1:3001",
        "CALLEDIT_MODEL": "offline",
        "POWERTOOLS_METRICS_NAMESPACE": "CalledItTest",
    }
    env.update({var: f"test-{logical}" for logical, var in TABLE_ENV.items()})
    for key in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_LAMBDA",
        "CALLEDIT_MANAGEMENT_ENDPOINT",
        "AWS_PROFILE",
    ):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def aws(aws_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """moto with every template table created; clients and settings caches reset around the test."""
    import boto3
    from moto import mock_aws

    from calledit.aws import reset_clients
    from calledit.settings import get_settings

    reset_clients()
    get_settings.cache_clear()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(
            client, {aws_env[TABLE_ENV[logical]]: props for logical, props in template_tables().items()}
        )
        yield aws_env
    reset_clients()
    get_settings.cache_clear()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run browser tests last: Playwright's sync API keeps an event loop running on the main thread
    for the rest of the session, which asyncio tests collected after it cannot share."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


# ---------------------------------------------------------------------------------------------- REST

Call = Callable[..., tuple[int, Any, dict[str, str]]]


@pytest.fixture
def api(aws: dict[str, str]) -> Call:
    """Invoke the REST Lambda handler; returns (status, decoded body, headers)."""
    import predictions
    from calledit.api.app import reset_apps
    from calledit.local.lambdas import LambdaContext

    reset_apps()

    def call(method: str, path: str, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
        from rest_events import rest_event

        response = predictions.handler(rest_event(method, path, **kwargs), LambdaContext.named("predictions"))
        body = response.get("body") or ""
        headers = dict(response.get("headers") or {})
        headers.update({k: ",".join(v) for k, v in (response.get("multiValueHeaders") or {}).items()})
        return response["statusCode"], (json.loads(body) if body else None), headers

    return call
