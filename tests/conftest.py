"""Shared fixtures: moto-backed AWS with the tables defined in template.yaml."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = ROOT / "handlers"
if str(HANDLERS) not in sys.path:  # Lambda imports handler modules from the CodeUri root
    sys.path.insert(0, str(HANDLERS))

TABLE_ENV = {
    "PredictionsTable": "PREDICTIONS_TABLE",
    "JobsTable": "JOBS_TABLE",
    "ConnectionsTable": "CONNECTIONS_TABLE",
}


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML; intrinsic tags become plain values (tables use none)."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node)}
    return {suffix: loader.construct_mapping(node)}  # type: ignore[arg-type]


_CfnLoader.add_multi_constructor("!", _tag)


def template_tables() -> dict[str, dict[str, Any]]:
    """The ``AWS::DynamoDB::Table`` resources of template.yaml, by logical id."""
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return {
        name: res["Properties"]
        for name, res in template["Resources"].items()
        if res["Type"] == "AWS::DynamoDB::Table"
    }


def create_table(client: Any, name: str, props: dict[str, Any]) -> None:
    """Create one table from its template properties (keys, LSIs, GSIs)."""
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    for key in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
        if key in props:
            kwargs[key] = props[key]
    client.create_table(**kwargs)


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
        for logical, props in template_tables().items():
            create_table(client, aws_env[TABLE_ENV[logical]], props)
        yield aws_env
    reset_clients()
    get_settings.cache_clear()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run browser tests last: Playwright's sync API keeps an event loop running on the main thread
    for the rest of the session, which asyncio tests collected after it cannot share."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
