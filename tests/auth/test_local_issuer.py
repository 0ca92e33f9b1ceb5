"""The local Cognito-compatible issuer: API behaviour, persistence, CORS, and SDK compatibility."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import stat
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest

from calledit.auth.tokens import InvalidToken
from calledit.local.issuer import KEY_FILE, USERS_FILE, load_signing_key, mint_id_token

PASSWORD = "correct horse"


def error_of(status: int, body: dict[str, Any]) -> tuple[int, str]:
    assert isinstance(body.get("message"), str)
    return status, body["__type"]


# --- keys and persistence ----------------------------------------------------------------------


async def test_jwks_publishes_the_key_like_cognito(issuer: Any) -> None:
    async with issuer.session.get(issuer.jwks_url) as resp:
        assert resp.status == 200
        (jwk,) = (await resp.json())["keys"]

    assert (jwk["kty"], jwk["alg"], jwk["use"], jwk["e"]) == ("RSA", "RS256", "sig", "AQAB")
    n = base64.urlsafe_b64decode(jwk["n"] + "=" * (-len(jwk["n"]) % 4))
    assert len(n) * 8 == 2048
    # kid is the RFC 7638 thumbprint: stable for the key, independent of the instance.
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    expected_kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    assert jwk["kid"] == expected_kid
    assert "d" not in jwk and "p" not in jwk  # public part only


async def test_key_is_generated_once_private_and_reused_across_instances(serve: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "idp"
    async with serve(data_dir) as first:
        key_file = data_dir / KEY_FILE
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert key_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
        pem = key_file.read_bytes()
        sub = (await first.sign_up("grace@example.com"))["UserSub"]
        status, body = await first.sign_in("grace@example.com")
        assert status == 200
        token = body["AuthenticationResult"]["IdToken"]
        first_issuer = first.issuer_url

    # A second instance (another port, same data_dir and issuer URL) serves the same key and users.
    async with serve(data_dir, issuer_url=first_issuer) as second:
        assert key_file.read_bytes() == pem
        identity = await asyncio.to_thread(second.verifier().verify, token)
        assert identity.sub == sub
        status, body = await second.sign_in("grace@example.com")
        assert status == 200
        again = await asyncio.to_thread(second.verifier().verify, body["AuthenticationResult"]["IdToken"])
        assert again.sub == sub  # sub is stable per user


async def test_users_file_holds_hashes_not_passwords(issuer: Any) -> None:
    await issuer.sign_up("hash@example.com", "s3cret-passphrase")

    users_file = issuer.data_dir / USERS_FILE
    text = users_file.read_text()
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    assert "s3cret-passphrase" not in text
    (record,) = json.loads(text)["users"].values()
    assert record["email"] == "hash@example.com"
    assert len(base64.b64decode(record["salt"])) == 16 and len(base64.b64decode(record["hash"])) == 32
    assert not list(issuer.data_dir.glob(".tmp-*"))  # atomic writes leave no temp files


async def test_same_password_gets_different_salts(issuer: Any) -> None:
    await issuer.sign_up("one@example.com")
    await issuer.sign_up("two@example.com")

    records = json.loads((issuer.data_dir / USERS_FILE).read_text())["users"].values()
    assert len({r["salt"] for r in records}) == 2 and len({r["hash"] for r in records}) == 2


def test_mint_id_token_without_http(tmp_path: Path) -> None:
    token = mint_id_token(
        tmp_path, "http://127.0.0.1:3001/cognito/", "local-client", "sub-1", "a@b.c", ttl_s=60
    )

    key = load_signing_key(tmp_path)
    claims = jwt.decode(
        token,
        key.private_key.public_key(),
        algorithms=["RS256"],
        audience="local-client",
        issuer="http://127.0.0.1:3001/cognito",
    )
    assert jwt.get_unverified_header(token)["kid"] == key.kid
    assert (claims["sub"], claims["email"], claims["token_use"]) == ("sub-1", "a@b.c", "id")
    assert claims["exp"] - claims["iat"] == 60


# --- SignUp / ConfirmSignUp --------------------------------------------------------------------


async def test_sign_up_returns_a_confirmed_uuid_sub(issuer: Any) -> None:
    body = await issuer.sign_up("new@example.com")

    assert body["UserConfirmed"] is True
    assert uuid.UUID(body["UserSub"]).version == 4


@pytest.mark.parametrize("again", ["dup@example.com", "DUP@example.com", " dup@example.com "])
async def test_duplicate_sign_up(issuer: Any, again: str) -> None:
    await issuer.sign_up("dup@example.com")

    status, body = await issuer.call(
        "SignUp", {"ClientId": issuer.client_id, "Username": again, "Password": PASSWORD}
    )

    assert error_of(status, body) == (400, "UsernameExistsException")


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("short", "InvalidPasswordException"),
        ("1234567", "InvalidPasswordException"),
        ("eleven char", "InvalidPasswordException"),
        (" leading-space", "InvalidParameterException"),
        ("trailing-space ", "InvalidParameterException"),
        ("x" * 257, "InvalidParameterException"),
    ],
)
async def test_password_policy(issuer: Any, password: str, error: str) -> None:
    status, body = await issuer.call(
        "SignUp", {"ClientId": issuer.client_id, "Username": "p@example.com", "Password": password}
    )

    assert error_of(status, body) == (400, error)
    assert (await issuer.sign_in("p@example.com", password))[0] == 400  # nothing was created


async def test_eight_characters_is_enough(issuer: Any) -> None:
    await issuer.sign_up("eight@example.com", "twelve chars")

    assert (await issuer.sign_in("eight@example.com", "twelve chars"))[0] == 200


@pytest.mark.parametrize(
    "body",
    [
        {"Username": "x@example.com", "Password": PASSWORD},  # no ClientId
        {"ClientId": "local-client", "Password": PASSWORD},
        {"ClientId": "local-client", "Username": "x@example.com"},
        {"ClientId": "local-client", "Username": "not-an-email", "Password": PASSWORD},
        {"ClientId": "local-client", "Username": "x@example.com", "Password": 12345678},
        {
            "ClientId": "local-client",
            "Username": "x@example.com",
            "Password": PASSWORD,
            "UserAttributes": "x",
        },
        {
            "ClientId": "local-client",
            "Username": "x@example.com",
            "Password": PASSWORD,
            "UserAttributes": [{"Name": "email", "Value": "other@example.com"}],
        },
    ],
)
async def test_sign_up_parameter_errors(issuer: Any, body: dict[str, Any]) -> None:
    assert error_of(*await issuer.call("SignUp", body)) == (400, "InvalidParameterException")


async def test_wrong_client_id(issuer: Any) -> None:
    signup = {"ClientId": "nope", "Username": "c@example.com", "Password": PASSWORD}
    auth = {
        "AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": "nope",
        "AuthParameters": {"USERNAME": "c@example.com", "PASSWORD": PASSWORD},
    }

    assert error_of(*await issuer.call("SignUp", signup)) == (400, "ResourceNotFoundException")
    assert error_of(*await issuer.call("InitiateAuth", auth)) == (400, "ResourceNotFoundException")


async def test_confirm_sign_up_accepts_any_code_for_a_known_user(issuer: Any) -> None:
    await issuer.sign_up("conf@example.com")
    confirm = {"ClientId": issuer.client_id, "Username": "conf@example.com", "ConfirmationCode": "000000"}

    assert await issuer.call("ConfirmSignUp", confirm) == (200, {})
    unknown = dict(confirm, Username="ghost@example.com")
    assert error_of(*await issuer.call("ConfirmSignUp", unknown)) == (400, "CodeMismatchException")


# --- InitiateAuth ------------------------------------------------------------------------------


async def test_wrong_password_and_unknown_user_look_the_same(issuer: Any) -> None:
    await issuer.sign_up("known@example.com")

    wrong = await issuer.sign_in("known@example.com", "wrong password")
    unknown = await issuer.sign_in("ghost@example.com", "wrong password")

    assert (
        wrong
        == unknown
        == (400, {"__type": "NotAuthorizedException", "message": "Incorrect username or password."})
    )


async def test_sign_in_is_case_insensitive_and_accepts_the_sub(issuer: Any) -> None:
    sub = (await issuer.sign_up("Case@Example.com"))["UserSub"]

    for username in ("case@example.com", "CASE@EXAMPLE.COM", sub):
        status, body = await issuer.sign_in(username)
        assert status == 200, username
        claims = jwt.decode(body["AuthenticationResult"]["IdToken"], options={"verify_signature": False})
        assert claims["sub"] == sub


async def test_access_token_claims(issuer: Any, signed_in: Any) -> None:
    sub, result = await signed_in()

    claims = jwt.decode(result["AccessToken"], options={"verify_signature": False})

    assert claims["token_use"] == "access"
    assert claims["client_id"] == issuer.client_id
    assert "aud" not in claims
    assert (claims["sub"], claims["iss"]) == (sub, issuer.issuer_url)
    header = jwt.get_unverified_header(result["AccessToken"])
    assert (header["alg"], header["kid"]) == ("RS256", load_signing_key(issuer.data_dir).kid)


async def test_refresh_flow(issuer: Any, signed_in: Any) -> None:
    sub, first = await signed_in()
    first_claims = jwt.decode(first["IdToken"], options={"verify_signature": False})

    status, body = await issuer.call(
        "InitiateAuth",
        {
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "ClientId": issuer.client_id,
            "AuthParameters": {"REFRESH_TOKEN": first["RefreshToken"]},
        },
    )

    assert status == 200, body
    result = body["AuthenticationResult"]
    assert "RefreshToken" not in result  # Cognito keeps the original refresh token
    identity = await asyncio.to_thread(issuer.verifier().verify, result["IdToken"])
    assert identity.sub == sub
    assert identity.claims["auth_time"] == first_claims["auth_time"]  # still the original sign-in
    assert identity.claims["jti"] != first_claims["jti"]  # a newly minted token
    access = jwt.decode(result["AccessToken"], options={"verify_signature": False})
    assert (access["token_use"], access["sub"]) == ("access", sub)


@pytest.mark.parametrize("refresh_token", ["not-a-refresh-token", ""])
async def test_bad_refresh_token(issuer: Any, refresh_token: str) -> None:
    status, body = await issuer.call(
        "InitiateAuth",
        {
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "ClientId": issuer.client_id,
            "AuthParameters": {"REFRESH_TOKEN": refresh_token},
        },
    )

    expected = "NotAuthorizedException" if refresh_token else "InvalidParameterException"
    assert error_of(status, body) == (400, expected)


async def test_id_token_is_not_a_refresh_token(issuer: Any, signed_in: Any) -> None:
    _, result = await signed_in()

    status, body = await issuer.call(
        "InitiateAuth",
        {
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "ClientId": issuer.client_id,
            "AuthParameters": {"REFRESH_TOKEN": result["IdToken"]},
        },
    )

    assert error_of(status, body) == (400, "NotAuthorizedException")


@pytest.mark.parametrize(
    "body",
    [
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": "local-client",
            "AuthParameters": {"USERNAME": "a@b.c"},
        },
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": "local-client",
            "AuthParameters": {"PASSWORD": PASSWORD},
        },
        {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "local-client"},
        {"AuthFlow": "USER_SRP_AUTH", "ClientId": "local-client", "AuthParameters": {"USERNAME": "a@b.c"}},
        {"ClientId": "local-client", "AuthParameters": {"USERNAME": "a@b.c", "PASSWORD": PASSWORD}},
    ],
)
async def test_initiate_auth_parameter_errors(issuer: Any, body: dict[str, Any]) -> None:
    assert error_of(*await issuer.call("InitiateAuth", body)) == (400, "InvalidParameterException")


# --- protocol errors ---------------------------------------------------------------------------


async def test_unknown_or_missing_target(issuer: Any) -> None:
    for target in (
        "AWSCognitoIdentityProviderService.AdminDeleteUser",
        "SignUp",
        "SomethingElse.SignUp",
        "",
    ):
        status, body = await issuer.call("", {"ClientId": issuer.client_id}, target=target)
        assert error_of(status, body) == (400, "InvalidParameterException"), target


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe", b""])
async def test_bad_json(issuer: Any, raw: bytes) -> None:
    assert error_of(*await issuer.call("SignUp", raw=raw)) == (400, "SerializationException")


async def test_plain_json_content_type_is_accepted(issuer: Any) -> None:
    status, body = await issuer.call(
        "SignUp",
        {"ClientId": issuer.client_id, "Username": "json@example.com", "Password": PASSWORD},
        content_type="application/json",
    )

    assert status == 200 and body["UserConfirmed"] is True


async def test_form_content_type_is_refused(issuer: Any) -> None:
    signup = {"ClientId": issuer.client_id, "Username": "form@example.com", "Password": PASSWORD}

    status, body = await issuer.call("SignUp", signup, content_type="text/plain")

    assert error_of(status, body) == (400, "SerializationException")


async def test_oversized_body(issuer: Any) -> None:
    raw = json.dumps({"ClientId": issuer.client_id, "Pad": "x" * 100_000}).encode()

    assert error_of(*await issuer.call("SignUp", raw=raw)) == (400, "SerializationException")


async def test_endpoint_without_trailing_slash(issuer: Any) -> None:
    # amazon-cognito-identity-js posts to the configured endpoint exactly as written.
    headers = {
        "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp",
        "Content-Type": "application/x-amz-json-1.1",
    }
    payload = {"ClientId": issuer.client_id, "Username": "slash@example.com", "Password": PASSWORD}

    async with issuer.session.post(issuer.endpoint.rstrip("/"), json=payload, headers=headers) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/x-amz-json-1.1"
        assert (await resp.json(content_type=None))["UserConfirmed"] is True


# --- CORS --------------------------------------------------------------------------------------

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-user-agent,amz-sdk-invocation-id",
}


async def test_preflight_from_an_allowed_origin(issuer: Any) -> None:
    async with issuer.session.options(
        issuer.endpoint, headers={"Origin": "http://localhost:5173", **PREFLIGHT}
    ) as resp:
        assert resp.status == 204
        assert resp.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
        assert "POST" in resp.headers["Access-Control-Allow-Methods"]
        allowed = {h.strip() for h in resp.headers["Access-Control-Allow-Headers"].split(",")}
        assert {"content-type", "x-amz-target", "amz-sdk-invocation-id"} <= allowed
        assert "Origin" in resp.headers.getall("Vary")


async def test_preflight_from_another_origin_is_refused(issuer: Any) -> None:
    async with issuer.session.options(
        issuer.endpoint, headers={"Origin": "https://evil.example", **PREFLIGHT}
    ) as resp:
        assert resp.status == 403
        assert "Access-Control-Allow-Origin" not in resp.headers


async def test_requests_from_allowed_origins_get_cors_headers(issuer: Any) -> None:
    for origin in ("http://localhost:5173", issuer.base_url):  # configured, and the issuer's own origin
        status, _ = await issuer.call(
            "SignUp",
            {"ClientId": issuer.client_id, "Username": f"o{len(origin)}@example.com", "Password": PASSWORD},
            headers={"Origin": origin},
        )
        assert status == 200
    async with issuer.session.get(issuer.jwks_url, headers={"Origin": "http://localhost:5173"}) as resp:
        assert resp.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"


async def test_requests_from_other_origins_do_nothing(issuer: Any) -> None:
    signup = {"ClientId": issuer.client_id, "Username": "csrf@example.com", "Password": PASSWORD}

    status, body = await issuer.call("SignUp", signup, headers={"Origin": "https://evil.example"})

    assert error_of(status, body) == (403, "AccessDeniedException")
    assert (await issuer.sign_in("csrf@example.com"))[0] == 400  # no account was created


# --- a real AWS SDK client ---------------------------------------------------------------------


async def test_boto3_cognito_client_works_against_the_issuer(issuer: Any) -> None:
    """botocore's own serialisation and error parsing: what the AWS SDKs send and expect."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.exceptions import ClientError

    def flow() -> tuple[str, dict[str, Any], str]:
        client = boto3.client(
            "cognito-idp",
            endpoint_url=issuer.endpoint,
            region_name="us-east-1",
            config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
        )
        signed_up = client.sign_up(
            ClientId=issuer.client_id,
            Username="sdk@example.com",
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "sdk@example.com"}],
        )
        client.confirm_sign_up(
            ClientId=issuer.client_id, Username="sdk@example.com", ConfirmationCode="123456"
        )
        auth = client.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=issuer.client_id,
            AuthParameters={"USERNAME": "sdk@example.com", "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        try:
            client.initiate_auth(
                AuthFlow="USER_PASSWORD_AUTH",
                ClientId=issuer.client_id,
                AuthParameters={"USERNAME": "sdk@example.com", "PASSWORD": "wrong password"},
            )
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
        else:
            code = "no error"
        return signed_up["UserSub"], auth, code

    sub, auth, code = await asyncio.to_thread(flow)

    assert code == "NotAuthorizedException"
    identity = await asyncio.to_thread(issuer.verifier().verify, auth["IdToken"])
    assert identity.sub == sub and identity.email == "sdk@example.com"
    assert auth["ExpiresIn"] == 3600


async def test_tokens_from_another_data_dir_are_refused(issuer: Any, tmp_path: Path) -> None:
    stranger = mint_id_token(tmp_path / "other", issuer.issuer_url, issuer.client_id, "u", None)

    with pytest.raises(InvalidToken):
        await asyncio.to_thread(issuer.verifier(refresh_cooldown_s=0).verify, stranger)
