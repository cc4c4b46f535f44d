"""Access tokens: RFC 9068 JWTs, issued by the Hub and validated at the resource (GraphQL) side.

Validation quotes the MUSTs it enforces next to each check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from hub.auth.keys import ALGORITHM, SigningKeys
from hub.auth.principal import Principal
from hub.settings import Settings, TrustedIssuer

# Keys come only from configured JWKS: a token naming its own key is an attack (CVE class "embedded jwk").
_EMBEDDED_KEY_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c"})
_ASYMMETRIC = frozenset({"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "EdDSA"})
_LEEWAY_SECONDS = 30


class TokenRejected(Exception):
    """The bearer token is not acceptable; becomes a 401 with an RFC 6750 WWW-Authenticate header."""

    def __init__(self, description: str, error: str = "invalid_token") -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class _Issuer:
    issuer: str
    audience: str
    keys: KeySet
    algorithms: frozenset[str]
    require_at_jwt: bool
    org_claim: str
    roles_claim: str
    org_map: dict[str, str] | None  # None: the Hub's own tokens carry Hub organization ids
    kind_claim: str | None


class AccessTokenValidator:
    def __init__(self, settings: Settings, keys: SigningKeys, org_kinds: dict[str, str] | None = None) -> None:
        own = _Issuer(
            issuer=settings.issuer,
            audience=settings.audience,
            keys=keys.public_key_set(),
            algorithms=frozenset({ALGORITHM}),
            require_at_jwt=True,
            org_claim="org",
            roles_claim="roles",
            org_map=None,
            kind_claim="org_kind",
        )
        self._issuers = {own.issuer: own}
        for trusted in settings.trusted_issuers:
            self._issuers[trusted.issuer] = _external(trusted)
        # Kinds of the organizations external issuers map to (external tokens do not carry Hub kinds).
        self.org_kinds = org_kinds or {}

    def validate(self, token: str, now: datetime) -> Principal:
        try:
            compact = jws.extract_compact(token.encode())
        except (JoseError, ValueError, UnicodeError) as exc:
            raise TokenRejected("malformed token") from exc
        header = compact.headers()
        alg = header.get("alg")
        # RFC 8725 §3.1: libraries MUST let the caller specify allowed algorithms; "none" and HMAC
        # with a public key are the classic confusions, so only asymmetric algorithms pass.
        # (Descriptions never echo token content: they go into a response header.)
        if not isinstance(alg, str) or alg not in _ASYMMETRIC:
            raise TokenRejected("algorithm not accepted")
        if _EMBEDDED_KEY_HEADERS & header.keys():
            raise TokenRejected("tokens must not carry their own key (jwk/jku/x5u/x5c)")
        # RFC 7515 §4.1.11: if any listed extension is not understood, the JWS MUST be rejected.
        if "crit" in header:
            raise TokenRejected("unsupported critical header")
        try:
            unverified = json.loads(compact.payload)
        except ValueError as exc:
            raise TokenRejected("malformed token") from exc
        if not isinstance(unverified, dict):
            raise TokenRejected("malformed token")
        # RFC 9068 §4: iss MUST exactly match the issuer identifier (no normalization).
        issuer = self._issuers.get(str(unverified.get("iss", "")))
        if issuer is None:
            raise TokenRejected("untrusted issuer")
        if alg not in issuer.algorithms:
            raise TokenRejected("algorithm not accepted for this issuer")
        # RFC 9068 §4: resource servers MUST verify that the typ header is "at+jwt"
        # (or "application/at+jwt"), so an ID token cannot be replayed as an access token.
        typ = header.get("typ")
        if issuer.require_at_jwt and (not isinstance(typ, str) or typ.lower() not in ("at+jwt", "application/at+jwt")):
            raise TokenRejected("not an access token (typ must be at+jwt)")
        try:
            decoded = jwt.decode(token, issuer.keys, algorithms=list(issuer.algorithms))
        except JoseError as exc:
            raise TokenRejected("bad signature") from exc
        claims: dict[str, Any] = dict(decoded.claims)
        registry = jwt.JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=_LEEWAY_SECONDS,
            iss={"essential": True, "value": unverified["iss"]},
            # RFC 9068 §4: the resource server MUST validate that aud contains its own identifier.
            aud={"essential": True, "value": issuer.audience},
            exp={"essential": True},
            iat={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise TokenRejected(_claim_error(exc)) from exc
        except (TypeError, ValueError, OverflowError) as exc:
            raise TokenRejected("invalid claims") from exc
        return self._principal(issuer, claims)

    def _principal(self, issuer: _Issuer, claims: dict[str, Any]) -> Principal:
        raw_org = claims.get(issuer.org_claim)
        if not isinstance(raw_org, str) or not raw_org:
            raise TokenRejected("token names no organization")
        org_id = raw_org if issuer.org_map is None else issuer.org_map.get(raw_org)
        if org_id is None:
            raise TokenRejected("organization is not mapped for this issuer")
        kind = claims.get(issuer.kind_claim) if issuer.kind_claim else self.org_kinds.get(org_id)
        if not isinstance(kind, str):
            raise TokenRejected("organization kind unknown")
        roles = claims.get(issuer.roles_claim, [])
        if isinstance(roles, str):
            roles = roles.split()
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise TokenRejected("roles claim must be a list of strings or a space-separated string")
        client_id = claims.get("client_id") or claims.get("sub") or ""
        if not isinstance(client_id, str):
            raise TokenRejected("client_id claim must be a string")
        try:
            expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        except (TypeError, ValueError, OverflowError, OSError) as exc:
            raise TokenRejected("invalid exp claim") from exc
        return Principal(
            client_id=client_id,
            organization_id=org_id,
            org_kind=kind,
            roles=frozenset(roles),
            issuer=issuer.issuer,
            token_id=str(claims.get("jti", "")),
            expires_at=expires_at,
        )


def _external(trusted: TrustedIssuer) -> _Issuer:
    data = trusted.jwks
    if data is None and trusted.jwks_path is not None:
        data = json.loads(trusted.jwks_path.read_text())
    if data is None:
        raise ValueError(f"trusted issuer {trusted.issuer} has no JWKS")
    return _Issuer(
        issuer=trusted.issuer,
        audience=trusted.audience,
        keys=KeySet.import_key_set(data),  # type: ignore[arg-type]
        algorithms=frozenset(trusted.algorithms) & _ASYMMETRIC,
        require_at_jwt=trusted.require_at_jwt,
        org_claim=trusted.organization_claim,
        roles_claim=trusted.roles_claim,
        org_map=trusted.organization_map,
        kind_claim=None,
    )


def _claim_error(exc: JoseError) -> str:
    text = (exc.description or exc.error or "").lower()
    if "expired" in text or "exp" in text:
        return "token expired"
    if "nbf" in text or "not valid yet" in text or "iat" in text:
        return "token not yet valid"
    if "aud" in text:
        return "wrong audience"
    if "iss" in text:
        return "wrong issuer"
    return "invalid claims"
