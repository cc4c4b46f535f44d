"""Helpers to forge JWTs for auth tests: valid ones, and the classic attacks a validator must refuse.

joserfc refuses to produce some headers itself (``crit`` it does not understand, ``alg: none``), so
``compact`` builds the ``header.payload.signature`` string by hand and signs it with the raw algorithm.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from joserfc.jwk import ECKey
from joserfc.jws import JWSRegistry

from tests.conftest import ISSUER

HUB_AUDIENCE = "urn:cbp-hub:graphql"
TOKEN_URL = f"{ISSUER}/oauth/token"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _segment(obj: dict[str, Any]) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def new_ec_key() -> ECKey:
    return ECKey.generate_key("P-256", auto_kid=True)


def public_jwks(key: ECKey, kid: str | None = None) -> dict[str, Any]:
    public = key.as_dict(private=False)
    public.update({"use": "sig", "alg": "ES256"})
    if kid is not None:
        public["kid"] = kid
    return {"keys": [public]}


def compact(header: dict[str, Any], claims: dict[str, Any], key: ECKey | None = None,
            hmac_secret: bytes | None = None) -> str:
    """Build a compact JWS by hand: ES256 with ``key``, HS256 with ``hmac_secret``, or no signature."""
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    if key is not None:
        signature = JWSRegistry.algorithms["ES256"].sign(signing_input.encode(), key)
    elif hmac_secret is not None:
        signature = hmac.new(hmac_secret, signing_input.encode(), hashlib.sha256).digest()
    else:
        signature = b""
    return f"{signing_input}.{b64url(signature)}"


def at_header(kid: str, **extra: Any) -> dict[str, Any]:
    return {"alg": "ES256", "typ": "at+jwt", "kid": kid, **extra}


def hub_claims(org_id: str, org_kind: str, *, client_id: str = "forged-client", issuer: str = ISSUER,
               audience: str = HUB_AUDIENCE, roles: list[str] | None = None, lifetime: int = 300,
               now: int | None = None, **extra: Any) -> dict[str, Any]:
    """Claims shaped like a Hub access token (RFC 9068 plus org/org_kind/roles)."""
    iat = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": client_id,
        "client_id": client_id,
        "iat": iat,
        "exp": iat + lifetime,
        "jti": uuid.uuid4().hex,
        "org": org_id,
        "org_kind": org_kind,
        "roles": roles if roles is not None else ["trade"],
    }
    claims.update(extra)
    return claims


def client_assertion(client_id: str, key: ECKey, *, audience: str = TOKEN_URL, jti: str | None = None,
                     lifetime: int = 120) -> str:
    """An RFC 7523 client assertion for private_key_jwt."""
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + lifetime,
              "jti": jti or uuid.uuid4().hex}
    return compact({"alg": "ES256", "typ": "JWT", "kid": key.kid}, claims, key)


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))
