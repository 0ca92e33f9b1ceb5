"""The API Gateway emulator (aiohttp, loopback only), wired from template.yaml.

- ``/ws``: WebSocket API: REQUEST authorizer on upgrade, $connect/$disconnect, route selection on
  ``$request.body.action`` (never to $connect/$disconnect), API Gateway-shaped events; messages up to
  128 KB reach the routes (API Gateway accepts fragmented messages up to that size), larger ones
  close the socket with 1009.
- ``/ws/@connections/{id}``: the management API boto3's ``apigatewaymanagementapi`` client calls
  (POST/GET/DELETE; 410 GoneException for closed ids; 413 over 128 KB).
- ``/api/...``: REST routes with the Cognito authorizer emulated by the same TokenVerifier.
- ``/lambda/{secret}/2015-03-31/functions/{name}/invocations``: Lambda Invoke API (Event -> worker
  pool). The per-run secret in the path (handed to handlers in AWS_ENDPOINT_URL_LAMBDA) keeps other
  local users and web pages from invoking functions with forged events.
- Access logs never show ID tokens (``?token=``) or the invoke secret.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.abc import AbstractAccessLogger

from calledit.local import events
from calledit.local.lambdas import LambdaRuntime
from calledit.local.template import ACCOUNT, REGION, LocalTemplate
from calledit.validation import MAX_MESSAGE_BYTES

logger = logging.getLogger(__name__)
API_ID = "local"
LIFECYCLE_ROUTES = frozenset({"$connect", "$disconnect"})


def new_connection_id() -> str:
    """16 characters of base64 like API Gateway's (``=``, ``+`` and ``/`` included)."""
    return base64.b64encode(os.urandom(11)).decode()


@dataclass
class Connection:
    """One open WebSocket and what API Gateway remembers about it."""

    id: str
    ws: web.WebSocketResponse
    authorizer: dict[str, Any]
    source_ip: str
    user_agent: str
    connected_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_active_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _http_date(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Gateway:
    """Routes HTTP and WebSocket traffic to the template's functions."""

    def __init__(
        self,
        template: LocalTemplate,
        runtime: LambdaRuntime,
        *,
        host: str,
        allowed_origins: Sequence[str],
        verify_token: Any,
        static_dir: Path | None,
        config: dict[str, Any],
        invoke_secret: str,
    ) -> None:
        self.template = template
        self.runtime = runtime
        self.host = host  # "127.0.0.1:3001": the domainName handlers see
        self.allowed_origins = tuple(allowed_origins)
        self.verify_token = verify_token  # callable(token) -> Identity, blocking
        self.static_dir = static_dir
        self.config = config
        self.invoke_secret = invoke_secret
        self.connections: dict[str, Connection] = {}

    # ------------------------------------------------------------------ app

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/ws", self.websocket)
        app.router.add_route("*", "/ws/@connections/{connection_id:.+}", self.management)
        app.router.add_route("*", "/api/{path:.*}", self.rest)
        # CloudFront sends the app domain's /r/* (shared receipts) to the REST API: the same here.
        app.router.add_get("/r/{token}", self.receipt)
        app.router.add_post("/lambda/{secret}/2015-03-31/functions/{name}/invocations", self.lambda_invoke)
        app.router.add_get("/config.json", self.runtime_config)
        app.router.add_get("/{path:.*}", self.static)

    async def _call(self, function: str, event: dict[str, Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(
            self.runtime.pool, self.runtime.invoke, function, event
        )

    # ------------------------------------------------------------------ WebSocket API

    def _ws(self, request: web.Request, opened: datetime) -> dict[str, Any]:
        """What every WebSocket event of this connection shares (API Gateway's fields)."""
        return {
            "domain": self.host,
            "stage": self.template.ws_stage,
            "api_id": API_ID,
            "region": REGION,
            "source_ip": request.remote or "127.0.0.1",
            "user_agent": request.headers.get("User-Agent") or None,
            "connected_at": int(opened.timestamp() * 1000),
        }

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        cid = new_connection_id()
        opened = datetime.now(UTC)
        query = dict(request.query) or None
        headers = dict(request.headers)
        authorizer: dict[str, Any] = {}
        event: dict[str, Any]
        if self.template.ws_authorizer:
            event = events.ws_authorizer_event(
                connection_id=cid,
                account_id=ACCOUNT,
                query=query,
                headers=headers,
                **self._ws(request, opened),
            )
            started = time.monotonic()
            try:
                policy = await self._call(self.template.ws_authorizer, event)
            except Exception as exc:
                status = 401 if str(exc) == "Unauthorized" else 500
                return web.json_response(
                    {"message": "Unauthorized" if status == 401 else "Internal server error"}, status=status
                )
            statement = (policy.get("policyDocument") or {}).get("Statement") or [{}]
            if statement[0].get("Effect") != "Allow":
                return web.json_response({"message": "Forbidden"}, status=403)
            authorizer = events.ws_authorizer_context(policy, int((time.monotonic() - started) * 1000))
        connect_fn = self.template.ws_routes.get("$connect")
        if connect_fn:
            event = events.ws_connect_event(
                connection_id=cid,
                query=query,
                headers=headers,
                authorizer=authorizer or None,
                **self._ws(request, opened),
            )
            result = await self._call(connect_fn, event)
            status = int((result or {}).get("statusCode", 200))
            if status != 200:
                return web.json_response({"message": "Forbidden"}, status=status if status >= 400 else 403)
        ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES, autoping=True, heartbeat=None)
        await ws.prepare(request)
        conn = Connection(
            cid, ws, authorizer, request.remote or "127.0.0.1", request.headers.get("User-Agent", ""), opened
        )
        self.connections[cid] = conn
        tasks: set[asyncio.Task[Any]] = set()
        close_code, reason = 1000, ""
        try:
            async for msg in ws:
                conn.last_active_at = datetime.now(UTC)
                if msg.type == WSMsgType.TEXT:
                    task = asyncio.create_task(self._message(conn, msg.data, False, request))
                elif msg.type == WSMsgType.BINARY:
                    task = asyncio.create_task(
                        self._message(conn, base64.b64encode(msg.data).decode(), True, request)
                    )
                else:
                    continue
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            self.connections.pop(cid, None)
            close_code = ws.close_code or close_code
            disconnect_fn = self.template.ws_routes.get("$disconnect")
            if disconnect_fn:
                event = events.ws_disconnect_event(
                    connection_id=cid,
                    status_code=close_code,
                    reason=reason or "",
                    authorizer=authorizer or None,
                    **self._ws(request, opened),
                )
                try:
                    await self._call(disconnect_fn, event)
                except Exception:
                    logger.exception("$disconnect failed")
        return ws

    def _route_key(self, body: str, binary: bool) -> str:
        if binary:
            return "$default"
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return "$default"
        field_name = self.template.route_selection.removeprefix("$request.body.")
        value = data.get(field_name) if isinstance(data, dict) else None
        if not isinstance(value, str) or value in LIFECYCLE_ROUTES:  # only the gateway raises those
            return "$default"
        return value if value in self.template.ws_routes else "$default"

    async def _message(self, conn: Connection, body: str, binary: bool, request: web.Request) -> None:
        route = self._route_key(body, binary)
        function = self.template.ws_routes.get(route) or self.template.ws_routes.get("$default")
        if function is None:
            return
        event = events.ws_message_event(
            connection_id=conn.id,
            route_key=route,
            body=body,
            is_base64=binary,
            authorizer=conn.authorizer or None,
            **self._ws(request, conn.connected_at),
        )
        try:
            await self._call(function, event)
        except Exception:
            logger.exception("route %s failed", route)
            if not conn.ws.closed:  # what API Gateway sends when an integration fails
                await conn.ws.send_str(
                    json.dumps(
                        {
                            "message": "Internal server error",
                            "connectionId": conn.id,
                            "requestId": str(uuid.uuid4()),
                        }
                    )
                )

    # ------------------------------------------------------------------ management API

    async def management(self, request: web.Request) -> web.StreamResponse:
        cid = request.match_info["connection_id"]
        conn = self.connections.get(cid)
        if conn is None or conn.ws.closed:
            return web.json_response(
                {"message": "Gone"}, status=410, headers={"x-amzn-ErrorType": "GoneException"}
            )
        if request.method == "POST":
            data = await request.read()
            if len(data) > MAX_MESSAGE_BYTES:
                return web.json_response(
                    {"message": "Message too long"},
                    status=413,
                    headers={"x-amzn-ErrorType": "PayloadTooLargeException"},
                )
            try:
                await conn.ws.send_str(data.decode())
            except UnicodeDecodeError:
                await conn.ws.send_bytes(data)
            except ConnectionResetError:
                return web.json_response(
                    {"message": "Gone"}, status=410, headers={"x-amzn-ErrorType": "GoneException"}
                )
            return web.Response(status=200)
        if request.method == "GET":  # JSON member names as on the wire (boto3 maps them to ConnectedAt, ...)
            return web.json_response(
                {
                    "connectedAt": _http_date(conn.connected_at),
                    "lastActiveAt": _http_date(conn.last_active_at),
                    "identity": {"sourceIp": conn.source_ip, "userAgent": conn.user_agent},
                }
            )
        if request.method == "DELETE":
            await conn.ws.close(code=1000, message=b"Closed by the server")
            return web.Response(status=204)
        return web.json_response({"message": "Method not allowed"}, status=405)

    # ------------------------------------------------------------------ REST API

    def _cors(self, request: web.Request) -> dict[str, str]:
        origin = request.headers.get("Origin")
        if origin and origin in self.allowed_origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {}

    async def receipt(self, request: web.Request) -> web.StreamResponse:
        return await self.rest(request, path=f"/r/{request.match_info['token']}")

    async def rest(self, request: web.Request, path: str | None = None) -> web.StreamResponse:
        path = path or "/" + request.match_info["path"]
        for route in self.template.rest_routes:
            params = route.match(request.method, path)
            if params is not None:
                break
        else:
            return web.json_response(
                {"message": "Missing Authentication Token"}, status=403, headers=self._cors(request)
            )
        identity: Any = None
        if route.authorized:
            header = request.headers.get("Authorization", "")
            token = header.removeprefix("Bearer ").strip()
            try:
                if not token:
                    raise ValueError("no token")
                identity = await asyncio.get_running_loop().run_in_executor(None, self.verify_token, token)
            except Exception:
                return web.json_response({"message": "Unauthorized"}, status=401, headers=self._cors(request))
        body = await request.read()
        event = events.rest_event(
            method=request.method,
            resource=route.path,
            path=path,
            path_parameters=params or None,
            query=dict(request.query) or None,
            multi_query={k: request.query.getall(k) for k in request.query} or None,
            headers=dict(request.headers),
            multi_headers={k: request.headers.getall(k) for k in request.headers},
            body=body.decode("utf-8", "replace") if body else None,
            claims=events.cognito_claims(identity.claims) if identity is not None else None,
            api_id=API_ID,
            region=REGION,
            domain=self.host,
            source_ip=request.remote or "127.0.0.1",
            user_agent=request.headers.get("User-Agent") or None,
        )
        try:
            result = await self._call(route.function, event)
        except Exception:
            logger.exception("REST function failed")
            return web.json_response(
                {"message": "Internal server error"}, status=502, headers=self._cors(request)
            )
        out_headers: dict[str, str] = dict(result.get("headers") or {})
        for key, values in (result.get("multiValueHeaders") or {}).items():
            out_headers[key] = ", ".join(str(v) for v in values)
        payload = result.get("body") or ""
        raw = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        return web.Response(status=int(result.get("statusCode", 200)), body=raw, headers=out_headers)

    # ------------------------------------------------------------------ Lambda Invoke API, app

    async def lambda_invoke(self, request: web.Request) -> web.StreamResponse:
        if not hmac.compare_digest(request.match_info["secret"], self.invoke_secret):
            return web.json_response(
                {"message": "The security token included in the request is invalid."},
                status=403,
                headers={"x-amzn-ErrorType": "UnrecognizedClientException"},
            )
        name = request.match_info["name"]
        try:
            self.runtime.function(name)
        except KeyError:
            return web.json_response(
                {"Message": f"Function not found: {name}"},
                status=404,
                headers={"x-amzn-ErrorType": "ResourceNotFoundException"},
            )
        payload = json.loads(await request.read() or b"{}")
        if request.headers.get("X-Amz-Invocation-Type", "RequestResponse") == "Event":
            self.runtime.invoke_async(name, payload)
            return web.Response(status=202)
        try:
            result = await self._call(name, payload)
        except Exception as exc:
            return web.json_response(
                {"errorMessage": str(exc), "errorType": type(exc).__name__},
                headers={"X-Amz-Function-Error": "Unhandled"},
            )
        return web.json_response(result)

    async def runtime_config(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.config, headers={"Cache-Control": "no-store"})

    async def static(self, request: web.Request) -> web.StreamResponse:
        if self.static_dir is None or not (self.static_dir / "index.html").exists():
            return web.Response(
                text="CalledIt local stack is running. Build the app: (cd frontend && npm run build)",
                content_type="text/plain",
            )
        root = self.static_dir.resolve()
        target = (root / request.match_info["path"]).resolve()
        if target.is_file() and target.is_relative_to(root):
            return web.FileResponse(target)
        return web.FileResponse(root / "index.html")  # SPA fallback


_SECRETS = re.compile(r"([?&]token=)[^&\s\"]+|(/lambda/)[^/\s]+")


def redact(text: str) -> str:
    """A request line without ID tokens or the invoke secret."""
    return _SECRETS.sub(lambda m: (m.group(1) or m.group(2)) + "REDACTED", text)


class RedactingAccessLogger(AbstractAccessLogger):
    """aiohttp access log lines (method, path, status, size, time) with secrets redacted."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %s %.1fms',
            request.remote,
            request.method,
            redact(request.path_qs),
            response.status,
            response.body_length,
            time * 1000,
        )
