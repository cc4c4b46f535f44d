"""The token endpoint (RFC 6749 §4.4 client credentials, RFC 7523 private_key_jwt, RFC 9068 tokens).

Bad-input tests use ``http``: the app with ``raise_app_exceptions=False``, so a crash shows up as the
500 a real caller would get (and the test names the status) instead of an exception in the test.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from sqlmodel import col, select

from hub.app import create_app
from hub.auth.secrets import verify_secret
from hub.db.session import transaction
from hub.db.tables import OAuthClient, UsedAssertion
from hub.services.parties import create_client, organization_by_ref
from tests.auth.jwt_factory import (
    HUB_AUDIENCE,
    TOKEN_URL,
    client_assertion,
    compact,
    decode_unverified,
    new_ec_key,
    public_jwks,
)
from tests.conftest import ISSUER, HubHarness

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FORM = "application/x-www-form-urlencoded"
BROKER = "demo-broker-coastline"
CC = {"grant_type": "client_credentials"}


@pytest.fixture
async def http(harness: HubHarness) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(harness.hub), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        yield client


def _no_trace(response: httpx.Response) -> None:
    assert "Traceback" not in response.text
    assert 'File "' not in response.text


def _oauth_error(response: httpx.Response, statuses: tuple[int, ...], error: str) -> None:
    assert response.status_code in statuses, response.text
    assert response.json()["error"] == error, response.text
    assert "access_token" not in response.json()
    assert response.headers["cache-control"] == "no-store"
    _no_trace(response)


async def _used_rows(harness: HubHarness, client_id: str | None = None) -> list[tuple[str, str]]:
    query = select(UsedAssertion)
    if client_id is not None:
        query = query.where(col(UsedAssertion.client_id) == client_id)
    async with harness.hub.sessions() as session:
        return sorted((r.client_id, r.jti) for r in (await session.exec(query)).all())


async def _new_client(harness: HubHarness, key: ECKey | None = None) -> tuple[str, str | None]:
    """A fresh importer client: secret-based, or private_key_jwt when ``key`` is given."""
    async with transaction(harness.hub.sessions) as session:
        org = await organization_by_ref(session, "acme-home")
        issued = await create_client(session, org, ["trade"], datetime.now(UTC),
                                     client_id=f"test-{uuid.uuid4().hex[:10]}",
                                     jwks=public_jwks(key) if key is not None else None)
    assert (issued.secret is None) == (key is not None)
    return issued.client.client_id, issued.secret


async def _revoke(harness: HubHarness, client_id: str) -> None:
    async with transaction(harness.hub.sessions) as session:
        row = await session.get(OAuthClient, client_id)
        assert row is not None
        row.revoked_at = datetime.now(UTC)
        session.add(row)


async def _assert(client: httpx.AsyncClient, assertion: str) -> httpx.Response:
    return await client.post("/oauth/token", data={**CC, "client_assertion_type": ASSERTION_TYPE,
                                                   "client_assertion": assertion})


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


async def _check_access_token(harness: HubHarness, response: httpx.Response, client_id: str) -> dict[str, Any]:
    """Everything RFC 9068 and the issue require of an issued token; returns its claims."""
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"].lower() == "bearer"
    assert 0 < body["expires_in"] <= 900
    token = body["access_token"]
    header, _ = decode_unverified(token)
    assert (header["typ"], header["alg"]) == ("at+jwt", "ES256")
    published = await harness.client.get("/.well-known/jwks.json")
    keys = KeySet.import_key_set(published.json())
    assert header["kid"] in {k.kid for k in keys.keys}
    # The signature verifies with the published JWKS (ES256 only).
    claims = dict(jwt.decode(token, keys, algorithms=["ES256"]).claims)
    assert claims["iss"] == ISSUER
    assert claims["aud"] in (HUB_AUDIENCE, [HUB_AUDIENCE])
    assert claims["sub"] == claims["client_id"] == client_id
    assert isinstance(claims["iat"], int) and isinstance(claims["exp"], int)
    assert 0 < claims["exp"] - claims["iat"] <= 900
    assert abs(claims["iat"] - time.time()) < 60
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16
    return claims


# ---------------------------------------------------------------------------------- issuing tokens --

async def test_client_secret_basic_issues_rfc9068_token(harness: HubHarness) -> None:
    demo = harness.demo[BROKER]
    response = await harness.client.post("/oauth/token", data=CC, auth=(BROKER, demo["client_secret"]))
    claims = await _check_access_token(harness, response, BROKER)
    assert (claims["org"], claims["org_kind"], claims["roles"]) == (demo["organization_id"], "BROKER", ["trade"])


async def test_client_secret_post_issues_token(harness: HubHarness) -> None:
    officer = "demo-cbp-officer"
    demo = harness.demo[officer]
    response = await harness.client.post("/oauth/token", data={
        **CC, "client_id": officer, "client_secret": demo["client_secret"]})
    claims = await _check_access_token(harness, response, officer)
    assert (claims["org"], claims["org_kind"], claims["roles"]) == (demo["organization_id"], "CBP", ["officer"])


async def test_each_token_has_its_own_jti(sqlite_harness: HubHarness) -> None:
    first = decode_unverified(await sqlite_harness.token(BROKER))[1]
    second = decode_unverified(await sqlite_harness.token(BROKER))[1]
    assert first["jti"] != second["jti"]


async def test_created_client_stores_only_a_hash_and_its_secret_works(harness: HubHarness) -> None:
    # The `hub clients create` path: create_client shows the secret once and stores only its salted hash.
    client_id, secret = await _new_client(harness)
    assert secret is not None
    async with harness.hub.sessions() as session:
        row = await session.get(OAuthClient, client_id)
    assert row is not None and row.secret_hash is not None
    assert row.secret_hash.startswith("sha256$")
    assert secret not in row.secret_hash
    assert verify_secret(secret, row.secret_hash) and not verify_secret(secret + "x", row.secret_hash)
    assert sorted(row.auth_methods) == ["client_secret_basic", "client_secret_post"]
    response = await harness.client.post("/oauth/token", data=CC, auth=(client_id, secret))
    assert (await _check_access_token(harness, response, client_id))["org_kind"] == "IMPORTER"


# ---------------------------------------------------------------------------------- private_key_jwt --

async def test_private_key_jwt_issues_token_and_replay_is_rejected(harness: HubHarness,
                                                                   http: httpx.AsyncClient) -> None:
    key = new_ec_key()
    client_id, _ = await _new_client(harness, key)
    jti = uuid.uuid4().hex
    assertion = client_assertion(client_id, key, jti=jti)
    claims = await _check_access_token(harness, await _assert(http, assertion), client_id)
    assert claims["org_kind"] == "IMPORTER"
    assert await _used_rows(harness, client_id) == [(client_id, jti)]
    # RFC 7523 §3 (7): the same jti again is a replay.
    _oauth_error(await _assert(http, assertion), (400, 401), "invalid_client")
    assert await _used_rows(harness, client_id) == [(client_id, jti)]


async def test_private_key_jwt_concurrent_replay_gets_one_token(harness: HubHarness,
                                                                http: httpx.AsyncClient) -> None:
    key = new_ec_key()
    client_id, _ = await _new_client(harness, key)
    assertion = client_assertion(client_id, key)
    responses = await asyncio.gather(*(_assert(http, assertion) for _ in range(4)))
    assert [r.status_code for r in responses].count(200) == 1, [r.text for r in responses]
    for r in responses:
        if r.status_code != 200:
            _oauth_error(r, (400, 401), "invalid_client")
    assert len(await _used_rows(harness, client_id)) == 1


@pytest.mark.parametrize("case", ["other_key", "wrong_aud", "expired", "iss_not_sub", "no_jti", "unknown_kid",
                                  "alg_none", "revoked", "unknown_client", "client_without_jwks"])
async def test_private_key_jwt_bad_assertion_is_rejected_and_nothing_written(
        harness: HubHarness, http: httpx.AsyncClient, case: str) -> None:
    key = new_ec_key()
    client_id, _ = await _new_client(harness, key)
    now = int(time.time())
    claims: dict[str, Any] = {"iss": client_id, "sub": client_id, "aud": TOKEN_URL, "iat": now,
                              "exp": now + 120, "jti": uuid.uuid4().hex}
    header: dict[str, Any] = {"alg": "ES256", "typ": "JWT", "kid": key.kid}
    signer: ECKey | None = key
    if case == "other_key":
        signer = new_ec_key()  # same kid, another key
    elif case == "wrong_aud":
        claims["aud"] = "https://other.test/oauth/token"
    elif case == "expired":
        claims.update(iat=now - 3600, exp=now - 1800)
    elif case == "iss_not_sub":
        claims["iss"] = "someone-else"
    elif case == "no_jti":
        del claims["jti"]
    elif case == "unknown_kid":
        header["kid"] = "no-such-kid"
    elif case == "alg_none":
        header["alg"], signer = "none", None
    elif case == "revoked":
        await _revoke(harness, client_id)
    elif case == "unknown_client":
        claims["iss"] = claims["sub"] = "no-such-client"
    elif case == "client_without_jwks":
        # A secret-only client has no keys: its name in an assertion must not authenticate (nor crash).
        other, _ = await _new_client(harness)
        claims["iss"] = claims["sub"] = other
    before = await _used_rows(harness)
    response = await _assert(http, compact(header, claims, signer))
    _oauth_error(response, (400, 401), "invalid_client")
    assert await _used_rows(harness) == before
    if case != "revoked":  # the failure was the assertion's alone: a good one still works
        assert (await _assert(http, client_assertion(client_id, key))).status_code == 200


@pytest.mark.parametrize("case", ["overlong_jti", "far_future_exp"])
async def test_private_key_jwt_odd_but_signed_assertion_never_crashes(
        harness: HubHarness, http: httpx.AsyncClient, case: str) -> None:
    key = new_ec_key()
    client_id, _ = await _new_client(harness, key)
    now = int(time.time())
    claims: dict[str, Any] = {"iss": client_id, "sub": client_id, "aud": TOKEN_URL, "iat": now,
                              "exp": now + 120, "jti": uuid.uuid4().hex}
    if case == "overlong_jti":
        claims["jti"] = "j" * 300  # used_client_assertions.jti is VARCHAR(200)
    else:
        claims["exp"] = 10**12  # year 33658
    assertion = compact({"alg": "ES256", "kid": key.kid}, claims, key)
    response = await _assert(http, assertion)
    # Either refused as a bad assertion, or accepted with its jti recorded; the same on every backend.
    if response.status_code == 200:
        assert len(await _used_rows(harness, client_id)) == 1
        _oauth_error(await _assert(http, assertion), (400, 401), "invalid_client")
    else:
        _oauth_error(response, (400, 401), "invalid_client")
        assert await _used_rows(harness, client_id) == []


async def test_private_key_jwt_client_cannot_use_a_secret(harness: HubHarness, http: httpx.AsyncClient) -> None:
    client_id, _ = await _new_client(harness, new_ec_key())
    _oauth_error(await http.post("/oauth/token", data=CC, auth=(client_id, "anything")), (401,), "invalid_client")


# ---------------------------------------------------------------------------------------- bad input --

async def test_wrong_or_unknown_credentials_are_invalid_client(harness: HubHarness,
                                                               http: httpx.AsyncClient) -> None:
    secret = harness.demo[BROKER]["client_secret"]
    before = await _used_rows(harness)
    _oauth_error(await http.post("/oauth/token", data=CC, auth=(BROKER, secret + "x")), (401,), "invalid_client")
    _oauth_error(await http.post("/oauth/token", data=CC, auth=("no-such-client", secret)), (401,), "invalid_client")
    wrong_post = await http.post("/oauth/token", data={**CC, "client_id": BROKER, "client_secret": "wrong"})
    _oauth_error(wrong_post, (400, 401), "invalid_client")
    _oauth_error(await http.post("/oauth/token", data=CC), (400, 401), "invalid_client")
    assert await _used_rows(harness) == before


async def test_revoked_client_cannot_get_a_token(harness: HubHarness, http: httpx.AsyncClient) -> None:
    client_id, secret = await _new_client(harness)
    assert secret is not None
    assert (await http.post("/oauth/token", data=CC, auth=(client_id, secret))).status_code == 200
    await _revoke(harness, client_id)
    _oauth_error(await http.post("/oauth/token", data=CC, auth=(client_id, secret)), (401,), "invalid_client")
    post = await http.post("/oauth/token", data={**CC, "client_id": client_id, "client_secret": secret})
    _oauth_error(post, (400, 401), "invalid_client")


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        (b"grant_type=password&username=a&password=b", FORM, "unsupported_grant_type"),
        (b"grant_type=authorization_code&code=x", FORM, "unsupported_grant_type"),
        # RFC 6749 §5.2 would say invalid_request for a missing grant_type; authlib says unsupported.
        (b"grant_type=", FORM, "invalid_request|unsupported_grant_type"),
        (b"", FORM, "invalid_request|unsupported_grant_type"),
        (b'{"grant_type": "client_credentials"}', "application/json", "invalid_request"),
        (b"grant_type=client_credentials", "text/plain", "invalid_request"),
        (b"grant_type=client_credentials", None, "invalid_request"),
        (b"grant_type=client_credentials&grant_type=client_credentials", FORM, "invalid_request"),
        (b"grant_type=client_credentials&scope=a&scope=b", FORM, "invalid_request"),
        (b"grant_type=client_credentials&x=\xff\xfe", FORM, "invalid_request"),
    ],
    ids=["password-grant", "code-grant", "empty-grant", "missing-grant", "json-body", "text-plain",
         "no-content-type", "repeated-grant", "repeated-scope", "non-utf8"],
)
async def test_malformed_request_is_rejected(harness: HubHarness, http: httpx.AsyncClient, body: bytes,
                                             content_type: str | None, error: str) -> None:
    headers = {"Authorization": _basic(BROKER, harness.demo[BROKER]["client_secret"])}
    if content_type is not None:
        headers["Content-Type"] = content_type
    before = await _used_rows(harness)
    response = await http.post("/oauth/token", content=body, headers=headers)
    assert response.status_code == 400, response.text
    _oauth_error(response, (400,), response.json().get("error"))
    assert response.json()["error"] in error.split("|"), response.text
    assert await _used_rows(harness) == before


@pytest.mark.parametrize("value", [
    "Basic !!!not-base64!!!",
    "Basic " + base64.b64encode(b"\xff\xfe:secret").decode(),  # credentials that are not UTF-8
    "Basic ",  # the scheme with nothing after it
    "Basic " + base64.b64encode(b"no-colon").decode(),
    "Basic " + base64.b64encode(f"{BROKER}:".encode()).decode(),
], ids=["not-base64", "not-utf8", "empty", "no-colon", "empty-secret"])
async def test_malformed_basic_header_is_invalid_client(http: httpx.AsyncClient, value: str) -> None:
    response = await http.post("/oauth/token", data=CC, headers={"Authorization": value})
    _oauth_error(response, (400, 401), "invalid_client")


@pytest.mark.parametrize("assertion", ["garbage", "a.b.c", "e30.e30.", "W10.W10.xx"])
async def test_garbage_assertion_is_invalid_client(http: httpx.AsyncClient, assertion: str) -> None:
    _oauth_error(await _assert(http, assertion), (400, 401), "invalid_client")


async def test_oversized_body_is_413(sqlite_harness: HubHarness) -> None:
    limit = sqlite_harness.hub.settings.max_body_bytes
    headers = {"Content-Type": FORM, "Authorization": _basic(BROKER, sqlite_harness.demo[BROKER]["client_secret"])}

    async def streamed() -> AsyncIterator[bytes]:
        yield b"grant_type=client_credentials&pad="
        for _ in range(limit // 65536 + 2):
            yield b"a" * 65536

    declared = await sqlite_harness.client.post(
        "/oauth/token", content=b"grant_type=client_credentials&pad=" + b"a" * (limit + 1), headers=headers)
    chunked = await sqlite_harness.client.post("/oauth/token", content=streamed(), headers=headers)
    assert "content-length" not in chunked.request.headers
    for response in (declared, chunked):
        assert response.status_code == 413, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        _no_trace(response)


async def test_get_is_not_allowed(sqlite_harness: HubHarness) -> None:
    response = await sqlite_harness.client.get("/oauth/token", params=CC)
    assert response.status_code == 405
    _no_trace(response)


# ------------------------------------------------------------------------------------------ metadata --

async def test_authorization_server_metadata(sqlite_harness: HubHarness) -> None:
    response = await sqlite_harness.client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    meta = response.json()
    assert meta["issuer"] == ISSUER
    assert meta["token_endpoint"] == TOKEN_URL
    assert meta["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic", "client_secret_post", "private_key_jwt"}
    assert meta["grant_types_supported"] == ["client_credentials"]


async def test_jwks_publishes_only_the_public_key(sqlite_harness: HubHarness) -> None:
    response = await sqlite_harness.client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert (key["kty"], key["crv"], key["alg"]) == ("EC", "P-256", "ES256")
    assert key["kid"] == sqlite_harness.hub.keys.kid
    assert "d" not in key
