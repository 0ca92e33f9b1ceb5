"""ManagementApiTransport maps the management API's answers (botocore Stubber: moto never says Gone)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from calledit.aws import management_client
from calledit.ws.transport import ConnectionGone, ManagementApiTransport, Throttled, TransportError

ENDPOINT = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"


@pytest.fixture
def stub(aws_env: dict[str, str]) -> Iterator[Stubber]:
    from calledit.aws import reset_clients

    reset_clients()
    with Stubber(management_client(ENDPOINT)) as stubber:
        yield stubber
    reset_clients()


def test_post_sends_the_bytes(stub: Stubber) -> None:
    stub.add_response("post_to_connection", {}, {"ConnectionId": "a+b/c=", "Data": b'{"x":1}'})
    ManagementApiTransport(ENDPOINT, "a+b/c=").post(b'{"x":1}')
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "status", "raised"),
    [
        ("GoneException", 410, ConnectionGone),
        ("LimitExceededException", 429, Throttled),
        ("TooManyRequestsException", 429, Throttled),
        ("PayloadTooLargeException", 413, TransportError),
        ("ForbiddenException", 403, TransportError),
    ],
)
def test_errors_are_mapped(stub: Stubber, code: str, status: int, raised: type[Exception]) -> None:
    stub.add_client_error("post_to_connection", service_error_code=code, http_status_code=status)
    with pytest.raises(raised):
        ManagementApiTransport(ENDPOINT, "cid").post(b"{}")


def test_real_boto3_client_against_moto(aws: dict[str, str]) -> None:
    """The unchanged boto3 client posts through moto's management API (ids with + / = included)."""
    import boto3
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
    from moto.core.models import DEFAULT_ACCOUNT_ID

    ManagementApiTransport(ENDPOINT, "a+b/c=").post(b'{"hello":"world"}')
    backend = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    stored = backend.connections  # moto keys connections by the URL-encoded id
    assert any(b'{"hello":"world"}' in conn.data for conn in stored.values())
    assert boto3.client("apigatewaymanagementapi", endpoint_url=ENDPOINT, region_name="us-east-1")
