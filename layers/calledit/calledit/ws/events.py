"""Typed WebSocket events, parsed at the edge with Powertools' parser models.

Powertools' models carry neither the authorizer context API Gateway adds to every event after a
REQUEST authorizer allowed ``$connect``, nor ``$connect``'s query string: these subclasses add them.
The $connect authorizer's own input has no Powertools model for WebSocket APIs, so it is defined here.
"""

from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)
from aws_lambda_powertools.utilities.parser.models.apigw_websocket import (
    APIGatewayWebSocketConnectEventRequestContext,
    APIGatewayWebSocketDisconnectEventRequestContext,
    APIGatewayWebSocketMessageEventRequestContext,
)
from pydantic import BaseModel, ConfigDict, Field


class AuthorizerContext(BaseModel):
    """What our $connect authorizer returned as context (``ws.authorizer.authorize``)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    principal_id: str | None = Field(None, alias="principalId")
    sub: str | None = None
    email: str | None = None

    @property
    def user_id(self) -> str:
        return self.sub or self.principal_id or ""


class MessageContext(APIGatewayWebSocketMessageEventRequestContext):
    authorizer: AuthorizerContext = Field(default_factory=AuthorizerContext)


class MessageEvent(APIGatewayWebSocketMessageEventModel):
    """A message on a route (makecall, cancel, ...): the caller's identity rides in the context."""

    request_context: MessageContext = Field(alias="requestContext")
    body: str | None = Field(None, alias="body")  # text, parsed by the route


class ConnectContext(APIGatewayWebSocketConnectEventRequestContext):
    authorizer: AuthorizerContext = Field(default_factory=AuthorizerContext)


class ConnectEvent(APIGatewayWebSocketConnectEventModel):
    """$connect after the authorizer allowed it."""

    request_context: ConnectContext = Field(alias="requestContext")
    query_string_parameters: dict[str, str] | None = Field(None, alias="queryStringParameters")


class DisconnectContext(APIGatewayWebSocketDisconnectEventRequestContext):
    authorizer: AuthorizerContext = Field(default_factory=AuthorizerContext)


class DisconnectEvent(APIGatewayWebSocketDisconnectEventModel):
    """$disconnect (only API Gateway raises it: a message naming it is routed to $default)."""

    request_context: DisconnectContext = Field(alias="requestContext")


class AuthorizerRequestContext(BaseModel):
    model_config = ConfigDict(extra="ignore")

    route_key: Literal["$connect"] = Field(alias="routeKey")
    event_type: Literal["CONNECT"] = Field(alias="eventType")
    connection_id: str = Field(alias="connectionId")
    api_id: str = Field(alias="apiId")
    stage: str


class AuthorizerEvent(BaseModel):
    """The REQUEST authorizer's input for $connect (identity source: ``?token=``)."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["REQUEST"]
    method_arn: str = Field(alias="methodArn")
    query_string_parameters: dict[str, str] | None = Field(None, alias="queryStringParameters")
    headers: dict[str, str] | None = None
    request_context: AuthorizerRequestContext = Field(alias="requestContext")

    @property
    def token(self) -> str | None:
        return (self.query_string_parameters or {}).get("token")
