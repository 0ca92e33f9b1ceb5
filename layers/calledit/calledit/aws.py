"""Lazily created, cached boto3 clients (one per process, reused across warm invocations)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient
    from mypy_boto3_dynamodb import DynamoDBServiceResource
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_sqs import SQSClient


def _session() -> Any:
    import boto3  # deferred: keeps handler import time low

    return boto3.session.Session()


@lru_cache(maxsize=1)
def dynamodb() -> DynamoDBServiceResource:
    """The DynamoDB resource (honours AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local)."""
    resource: DynamoDBServiceResource = _session().resource("dynamodb")
    return resource


def table(name: str) -> Table:
    """A DynamoDB table by name."""
    return dynamodb().Table(name)


@lru_cache(maxsize=1)
def lambda_client() -> LambdaClient:
    """The Lambda client (honours AWS_ENDPOINT_URL_LAMBDA, which the local stack sets)."""
    client: LambdaClient = _session().client("lambda")
    return client


@lru_cache(maxsize=1)
def scheduler_client() -> EventBridgeSchedulerClient:
    """EventBridge Scheduler (honours AWS_ENDPOINT_URL_SCHEDULER, which the local stack sets)."""
    client: EventBridgeSchedulerClient = _session().client("scheduler")
    return client


@lru_cache(maxsize=1)
def sqs_client() -> SQSClient:
    """SQS (honours AWS_ENDPOINT_URL_SQS, which the local stack sets)."""
    client: SQSClient = _session().client("sqs")
    return client


@lru_cache(maxsize=64)
def management_client(endpoint_url: str) -> ApiGatewayManagementApiClient:
    """An API Gateway management API client for one WebSocket API endpoint."""
    from botocore.config import Config

    # Retries are ours (backoff with jitter on LimitExceeded); short timeouts keep a dead peer cheap.
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=2, read_timeout=5)
    client: ApiGatewayManagementApiClient = _session().client(
        "apigatewaymanagementapi", endpoint_url=endpoint_url, config=config
    )
    return client


def reset_clients() -> None:
    """Forget cached clients (tests start a fresh moto backend per test)."""
    dynamodb.cache_clear()
    lambda_client.cache_clear()
    scheduler_client.cache_clear()
    sqs_client.cache_clear()
    management_client.cache_clear()


@lru_cache(maxsize=1)
def ses_client() -> Any:
    """SES v2 (reminder emails; only when CALLEDIT_EMAIL_SENDER is set)."""
    return _session().client("sesv2")
