"""Bearer-token protection of /graphql (RFC 6750, RFC 9068 §4, RFC 8725): every bad token is a coded 401."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from joserfc import jwt

from hub.app import create_app
from tests.auth.jwt_factory import at_header, b64url, compact, hub_claims, new_ec_key, public_jwks
from tests.conftest import ISSUER, HubHarness

QUERY = {"query": "{ viewer { clientId roles organization { name kind } } }"}
BROKER = "demo-broker-coastline"
REALM = 'Bearer realm="hub"'
# RFC 6750 §3: error_description is a quoted string of %x20-21 / %x23-5B / %x5D-7E (no '"' nor '\').
_CHALLENGE = re.compile(
    r'Bearer realm="hub", error="invalid_token"(, error_description="[\x20\x21\x23-\x5b\x5d-\x7e]*")?')


@pytest.fixture
async def http(sqlite_harness: HubHarness) -> AsyncIterator[httpx.AsyncClient]:
    """The app with raise_app_exceptions=False: a crash is seen as the 500 a real caller would get."""
    transport = httpx.ASGITransport(app=create_app(sqlite_harness.hub), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        yield client


def _claims(h: HubHarness, **extra: Any) -> dict[str, Any]:
    demo = h.demo[BROKER]
    return hub_claims(demo["organization_id"], demo["kind"], client_id=BROKER, roles=["trade"], **extra)


def _hub_signed(h: HubHarness, header: dict[str, Any] | None = None, **claims: Any) -> str:
    """Signed with the Hub's own key: only the header or claims can make it invalid."""
    key = h.hub.keys.private
    return compact(header if header is not None else at_header(key.kid), _claims(h, **claims), key)


def _attacker_signed(h: HubHarness, **header_extra: Any) -> str:
    attacker = new_ec_key()
    return compact(at_header(h.hub.keys.kid, **header_extra), _claims(h), attacker)


def _embedded_jwk(h: HubHarness) -> str:
    attacker = new_ec_key()
    jwk = public_jwks(attacker)["keys"][0]
    return compact(at_header(attacker.kid, jwk=jwk), _claims(h), attacker)


def _hmac_with_public_key(h: HubHarness, material: str) -> str:
    """Classic key confusion: HS256 with the server's public key as the HMAC secret."""
    public = h.hub.keys.private
    secret = public.as_pem(private=False) if material == "pem" else json.dumps(h.hub.keys.public_jwks()).encode()
    header = {"alg": "HS256", "typ": "at+jwt", "kid": h.hub.keys.kid}
    return compact(header, _claims(h), hmac_secret=secret)


def _alg_none(h: HubHarness) -> str:
    return compact({"alg": "none", "typ": "at+jwt", "kid": h.hub.keys.kid}, _claims(h))


def _now() -> int:
    return int(time.time())


BAD_TOKENS: dict[str, Callable[[HubHarness], str]] = {
    "expired": lambda h: _hub_signed(h, iat=_now() - 3600, exp=_now() - 1800),
    "expired-beyond-leeway": lambda h: _hub_signed(h, iat=_now() - 600, exp=_now() - 60),
    "iat-in-future": lambda h: _hub_signed(h, now=_now() + 120),
    "nbf-in-future": lambda h: _hub_signed(h, nbf=_now() + 120),
    "no-exp": lambda h: compact(at_header(h.hub.keys.kid), {
        k: v for k, v in _claims(h).items() if k != "exp"}, h.hub.keys.private),
    "wrongly-signed-same-kid": lambda h: _attacker_signed(h),
    "signature-stripped": lambda h: _hub_signed(h).rsplit(".", 1)[0] + ".",
    "alg-none": _alg_none,
    "hs256-public-key-pem": lambda h: _hmac_with_public_key(h, "pem"),
    "hs256-public-jwks": lambda h: _hmac_with_public_key(h, "jwks"),
    "wrong-issuer": lambda h: _hub_signed(h, issuer="https://evil.test"),
    "wrong-audience": lambda h: _hub_signed(h, audience="urn:someone-else"),
    "unknown-crit": lambda h: _hub_signed(h, at_header(h.hub.keys.kid, crit=["x-hub-magic"], **{"x-hub-magic": 1})),
    "embedded-jwk": _embedded_jwk,
    "embedded-jwk-hub-signed": lambda h: _hub_signed(h, at_header(
        h.hub.keys.kid, jwk=h.hub.keys.public_jwks()["keys"][0])),
    "jku": lambda h: _attacker_signed(h, jku="https://evil.test/jwks.json"),
    "jku-hub-signed": lambda h: _hub_signed(h, at_header(h.hub.keys.kid, jku=f"{ISSUER}/.well-known/jwks.json")),
    "x5u": lambda h: _attacker_signed(h, x5u="https://evil.test/cert.pem"),
    "x5u-hub-signed": lambda h: _hub_signed(h, at_header(h.hub.keys.kid, x5u="https://evil.test/cert.pem")),
    "typ-JWT": lambda h: _hub_signed(h, {"alg": "ES256", "typ": "JWT", "kid": h.hub.keys.kid}),
    "no-typ": lambda h: _hub_signed(h, {"alg": "ES256", "kid": h.hub.keys.kid}),
    "garbage": lambda h: "garbage",
    "garbage-three-parts": lambda h: "a.b.c",
    "empty-segments": lambda h: "..",
    "header-not-object": lambda h: f"{b64url(b'[]')}.{b64url(b'{}')}.",
    "payload-not-json": lambda h: _hub_signed(h).split(".")[0] + "." + b64url(b"not json") + ".AAAA",
    # Attacker-chosen header values are reflected in error_description: they must not crash the 401.
    "alg-non-latin1": lambda h: _hub_signed(h, {"alg": "\u2603", "typ": "at+jwt", "kid": h.hub.keys.kid}),
    "alg-not-a-string": lambda h: _hub_signed(h, {"alg": ["ES256"], "typ": "at+jwt", "kid": h.hub.keys.kid}),
    "alg-with-quote": lambda h: _hub_signed(h, {"alg": 'E"S256', "typ": "at+jwt", "kid": h.hub.keys.kid}),
}


def _assert_401(response: httpx.Response, *, token_sent: bool) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers.get("www-authenticate", "")
    assert challenge.startswith(REALM), challenge
    if token_sent:
        assert 'error="invalid_token"' in challenge, challenge
        assert _CHALLENGE.fullmatch(challenge), f"not an RFC 6750 challenge (quoted-string charset): {challenge}"
    else:
        # RFC 6750 §3.1: no error code when the request carried no (bearer) credentials.
        assert challenge == REALM, challenge
    body = response.json()
    code = body["errors"][0]["extensions"]["code"]
    assert code == ("INVALID_TOKEN" if token_sent else "UNAUTHENTICATED"), body
    assert "data" not in body
    assert "Traceback" not in response.text and 'File "' not in response.text


async def test_valid_token_gets_200(sqlite_harness: HubHarness, http: httpx.AsyncClient) -> None:
    token = await sqlite_harness.token(BROKER)
    response = await http.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    viewer = response.json()["data"]["viewer"]
    assert viewer["clientId"] == BROKER
    assert viewer["roles"] == ["trade"]
    assert viewer["organization"] == {"name": "Coastline Customs Brokerage LLC", "kind": "BROKER"}


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_bearer_scheme_is_case_insensitive(sqlite_harness: HubHarness, http: httpx.AsyncClient,
                                                 scheme: str) -> None:
    token = await sqlite_harness.token(BROKER)
    response = await http.post("/graphql", json=QUERY, headers={"Authorization": f"{scheme} {token}"})
    assert response.status_code == 200, response.text


async def test_forged_but_hub_signed_token_is_accepted(sqlite_harness: HubHarness, http: httpx.AsyncClient) -> None:
    # Control for the forgeries below: the forging helpers make tokens the validator does accept, so each
    # rejection is due to the one thing that case changes. Also: 20 s of clock skew is tolerated.
    for token in (_hub_signed(sqlite_harness), _hub_signed(sqlite_harness, now=_now() + 20)):
        response = await http.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        assert response.json()["data"]["viewer"]["clientId"] == BROKER


async def test_missing_token_is_401_without_error_code(http: httpx.AsyncClient) -> None:
    _assert_401(await http.post("/graphql", json=QUERY), token_sent=False)


@pytest.mark.parametrize("value", ["Basic ZGVtbzpzZWNyZXQ=", "Token abc", "Bearer", "Bearer    "])
async def test_non_bearer_or_empty_credentials_are_401(http: httpx.AsyncClient, value: str) -> None:
    _assert_401(await http.post("/graphql", json=QUERY, headers={"Authorization": value}), token_sent=False)


@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_bad_token_is_401_invalid_token(sqlite_harness: HubHarness, http: httpx.AsyncClient,
                                              case: str) -> None:
    token = BAD_TOKENS[case](sqlite_harness)
    response = await http.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"})
    _assert_401(response, token_sent=True)


async def test_bad_token_on_get_is_401(sqlite_harness: HubHarness, http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params=QUERY, headers={"Authorization": "Bearer garbage"})
    _assert_401(response, token_sent=True)


async def test_two_authorization_headers_are_rejected(sqlite_harness: HubHarness, http: httpx.AsyncClient) -> None:
    token = await sqlite_harness.token(BROKER)
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    response = await http.post("/graphql", json=QUERY, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["www-authenticate"].startswith(REALM)
    assert 'error="invalid_request"' in response.headers["www-authenticate"]
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_REQUEST"


async def test_issued_token_verifies_only_with_the_hub_key(sqlite_harness: HubHarness) -> None:
    # The forging helpers' premise: a token signed by another key with the Hub's kid does not verify.
    from joserfc.errors import BadSignatureError
    from joserfc.jwk import KeySet

    keys = KeySet.import_key_set(sqlite_harness.hub.keys.public_jwks())  # type: ignore[arg-type]
    jwt.decode(await sqlite_harness.token(BROKER), keys, algorithms=["ES256"])
    with pytest.raises(BadSignatureError):
        jwt.decode(_attacker_signed(sqlite_harness), keys, algorithms=["ES256"])
