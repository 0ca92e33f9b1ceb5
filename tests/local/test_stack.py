"""The local stack end to end with real clients: WebSocket, boto3 management API, REST, DynamoDB Local."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from calledit.local.dynamodb import free_port
from calledit.local.stack import LocalStack

from .conftest import Client

PROMPT = "The S&P 500 will close above 7000 by March 2027"


def makecall(request_id: str, prompt: str = PROMPT) -> dict[str, Any]:
    return {"action": "makecall", "prompt": prompt, "timezone": "Europe/Paris", "request_id": request_id}


@pytest.mark.parametrize("token", [None, "", "not-a-jwt"])
async def test_connect_without_a_valid_token_is_refused(client: Client, token: str | None) -> None:
    url = client.stack.ws_url + (f"?token={token}" if token is not None else "")
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await client.session.ws_connect(url)
    assert info.value.status == 401


async def test_stream_a_call_save_it_and_list_it(client: Client) -> None:
    token = await client.sign_in()
    async with client.session.ws_connect(f"{client.stack.ws_url}?token={token}") as ws:
        await ws.send_json(makecall("req-1"))
        frames = await client.frames_until_done(ws, "req-1")
    acks = [f for f in frames if f["seq"] == 0]
    stream = [f for f in frames if f["seq"] > 0]
    assert acks[0]["status"] == "accepted"
    assert [f["seq"] for f in stream] == list(range(1, len(stream) + 1))  # nothing lost, nothing reordered
    tools = [(f["name"], f["phase"]) for f in stream if f["type"] == "tool"]
    assert tools == [
        ("current_time", "start"),
        ("current_time", "end"),
        ("parse_date_with_timezone", "start"),
        ("parse_date_with_timezone", "end"),
    ]
    complete = stream[-1]
    assert complete["type"] == "complete" and complete["model"] == "offline-heuristic"
    assert json.loads(complete["content"]) == complete["prediction"]

    body = {
        "request_id": "req-1",
        "prediction": complete["prediction"],
        "model": complete["model"],
        "timezone": "Europe/Paris",
    }
    status, saved = await client.rest("POST", "/predictions", token, body)
    assert status == 201 and saved["prediction_statement"] == PROMPT
    status, page = await client.rest("GET", "/predictions", token)
    assert status == 200 and [p["prediction_id"] for p in page["items"]] == [saved["prediction_id"]]
    other = await client.sign_in()
    status, page = await client.rest("GET", "/predictions", other)
    assert status == 200 and page["items"] == []
    assert (await client.rest("GET", "/predictions", None))[0] == 401


async def test_bad_frames_get_error_frames_and_oversized_messages_close(client: Client) -> None:
    token = await client.sign_in()
    async with client.session.ws_connect(f"{client.stack.ws_url}?token={token}") as ws:
        for raw, code in [
            ("{oops", "bad_request"),
            ('{"action": "fly"}', "unknown_action"),
            (json.dumps(makecall("r2", prompt=" ")), "bad_request"),
            ("[" * 4096, "bad_request"),
            (json.dumps({"action": "resume", "request_id": "r", "after_seq": 10**40}), "bad_request"),
            (json.dumps({"action": "$disconnect"}), "unknown_action"),
            (json.dumps({"action": "$connect"}), "unknown_action"),
            # Over one 32 KB frame but under the 128 KB message limit: API Gateway delivers it.
            ("x" * (100 * 1024), "too_large"),
        ]:
            await ws.send_str(raw)
            frame = json.loads((await ws.receive(timeout=10)).data)
            assert frame["type"] == "error" and frame["code"] == code
        await ws.send_bytes(b"\x00\x01binary")
        frame = json.loads((await ws.receive(timeout=10)).data)
        assert frame["code"] == "bad_request" and "Binary" in frame["message"]
        # Every refusal left the connection usable...
        await ws.send_json({"action": "ping"})
        assert json.loads((await ws.receive(timeout=10)).data)["status"] == "pong"
        assert len(client.stack.gateway.connections) == 1  # type: ignore[union-attr]
        # ...and only a message over API Gateway's 128 KB limit closes it.
        await ws.send_str("x" * (129 * 1024))
        msg = await ws.receive(timeout=10)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 1009


async def test_management_api_through_unchanged_boto3(client: Client) -> None:
    import boto3

    token = await client.sign_in()
    async with client.session.ws_connect(f"{client.stack.ws_url}?token={token}") as ws:
        cid = next(iter(client.stack.gateway.connections))  # type: ignore[union-attr]
        mgmt = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=client.stack.ws_url.replace("ws://", "http://"),
            region_name="us-east-1",
        )
        await asyncio.to_thread(mgmt.post_to_connection, ConnectionId=cid, Data=b'{"hello":1}')
        assert json.loads((await ws.receive(timeout=5)).data) == {"hello": 1}
        info = await asyncio.to_thread(mgmt.get_connection, ConnectionId=cid)
        assert "ConnectedAt" in info and info["Identity"]["SourceIp"] == "127.0.0.1"
        with pytest.raises(mgmt.exceptions.PayloadTooLargeException):
            await asyncio.to_thread(mgmt.post_to_connection, ConnectionId=cid, Data=b"x" * (129 * 1024))
        # ids with '=', '+' and '/' route correctly (URL-encoded by boto3)
        for weird in ("AbC+dEf/gHi=", "a/b/c=="):
            with pytest.raises(mgmt.exceptions.GoneException):
                await asyncio.to_thread(mgmt.post_to_connection, ConnectionId=weird, Data=b"{}")
        await asyncio.to_thread(mgmt.delete_connection, ConnectionId=cid)
        msg = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    with pytest.raises(mgmt.exceptions.GoneException):
        await asyncio.to_thread(mgmt.post_to_connection, ConnectionId=cid, Data=b"{}")


async def test_ids_with_plus_slash_and_equals_reach_their_socket(client: Client) -> None:
    import boto3

    token = await client.sign_in()
    async with client.session.ws_connect(f"{client.stack.ws_url}?token={token}") as ws:
        gateway = client.stack.gateway
        assert gateway is not None
        cid = next(iter(gateway.connections))
        special = "Zs+Hq/7dUvIAMC=="
        gateway.connections[special] = gateway.connections.pop(
            cid
        )  # same socket under an id API Gateway could issue
        mgmt = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=client.stack.ws_url.replace("ws://", "http://"),
            region_name="us-east-1",
        )
        await asyncio.to_thread(mgmt.post_to_connection, ConnectionId=special, Data=b'{"ok":true}')
        assert json.loads((await ws.receive(timeout=5)).data) == {"ok": True}


async def test_saved_predictions_survive_a_full_restart(tmp_path: Path) -> None:
    """Stop everything (DynamoDB Local included) and start again on the same data directory."""
    port = free_port()

    def new_stack() -> LocalStack:
        return LocalStack(port=0, data_dir=tmp_path, dynamodb_port=port, static_dir=None)

    async with aiohttp.ClientSession() as session:
        async with new_stack() as stack:
            client = Client(stack, session)
            token = await client.sign_in("keeper@example.com")
            body = {"request_id": "keep-1", "prediction": _prediction()}
            assert (await client.rest("POST", "/predictions", token, body))[0] == 201
        async with new_stack() as stack:
            client = Client(stack, session)
            result = await client.cognito(
                "InitiateAuth",
                {
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": "local-client",
                    "AuthParameters": {"USERNAME": "keeper@example.com", "PASSWORD": "correct horse battery"},
                },
            )
            token = result["AuthenticationResult"]["IdToken"]
            status, page = await client.rest("GET", "/predictions", token)
            assert status == 200 and [p["request_id"] for p in page["items"]] == ["keep-1"]


def _prediction() -> dict[str, Any]:
    return {
        "prediction_statement": f"Snow in Oslo {uuid.uuid4().hex[:4]}",
        "verification_date": "2027-12-25T22:59:59Z",
        "date_reasoning": "Christmas Day ends at midnight in Oslo.",
        "verification_method": {"source": ["Met Norway"], "criteria": ["Snow recorded"], "steps": ["Check"]},
        "verifiable_category": "api_tool_verifiable",
        "category_reasoning": "Weather observations are needed.",
    }


async def test_concurrent_rest_requests_from_different_users_never_cross(client: Client) -> None:
    """Found by bench/load_rest.py: Powertools keeps the current event process-wide; the local runtime
    runs each REST function one request at a time, like one Lambda environment."""
    tokens = [await client.sign_in() for _ in range(4)]
    users = [jwt_sub(token) for token in tokens]

    async def save(i: int) -> tuple[str, str]:
        body = {"request_id": f"cross-{i}", "prediction": _prediction()}
        status, saved = await client.rest("POST", "/predictions", tokens[i % 4], body)
        assert status == 201
        return users[i % 4], saved["user_id"]

    results = await asyncio.gather(*(save(i) for i in range(40)))
    assert all(expected == got for expected, got in results)


def jwt_sub(token: str) -> str:
    import jwt

    return str(jwt.decode(token, options={"verify_signature": False})["sub"])
