"""Posting frames to one WebSocket connection through the API Gateway management API."""

from __future__ import annotations

from typing import Protocol

from calledit.aws import management_client


class TransportError(Exception):
    """Posting failed for a reason retries will not fix."""


class ConnectionGone(TransportError):
    """The client disconnected (GoneException / HTTP 410)."""


class Throttled(Exception):
    """API Gateway asked us to slow down (LimitExceededException / 429); retry with backoff."""


class Transport(Protocol):
    """Something that delivers one encoded frame to one client, synchronously."""

    connection_id: str

    def post(self, data: bytes) -> None: ...


_THROTTLE_CODES = {"LimitExceededException", "TooManyRequestsException", "ThrottlingException"}


class ManagementApiTransport:
    """``post_to_connection`` for one connection, with errors mapped to ours."""

    def __init__(self, endpoint_url: str, connection_id: str) -> None:
        self.endpoint_url = endpoint_url
        self.connection_id = connection_id

    def post(self, data: bytes) -> None:
        """Deliver ``data``; raises ConnectionGone, Throttled or TransportError."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = management_client(self.endpoint_url)
        try:
            client.post_to_connection(ConnectionId=self.connection_id, Data=data)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if (
                code == "GoneException"
                or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 410
            ):
                raise ConnectionGone(self.connection_id) from None
            if code in _THROTTLE_CODES:
                raise Throttled(code) from None
            raise TransportError(code or str(exc)) from None
        except BotoCoreError as exc:
            raise TransportError(type(exc).__name__) from None
