"""HTTP endpoints of the authorization server: token, JWKS and RFC 8414 metadata."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from authlib.oauth2.rfc6749.errors import InsecureTransportError
from joserfc import jws
from joserfc.errors import JoseError
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.auth.server import AUTH_METHODS, HubOAuth2Request, Prefetched, jti_expiry
from hub.db.session import transaction
from hub.db.tables import OAuthClient, Organization, UsedAssertion

if TYPE_CHECKING:
    from hub.runtime import Hub

log = logging.getLogger("hub.oauth")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(status: int, error: str, description: str, **extra: str) -> JSONResponse:
    log.info("token request rejected", extra={"event": "oauth.rejected", "error": error, **extra})
    return JSONResponse({"error": error, "error_description": description}, status, headers=_NO_STORE)


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def token(request: Request) -> Response:
    hub = _hub(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    # RFC 6749 §4.4.2: parameters use the application/x-www-form-urlencoded format.
    if content_type != "application/x-www-form-urlencoded":
        return _oauth_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        return _oauth_error(400, "invalid_request", "body is not UTF-8")
    form: dict[str, str] = {}
    for key, value in pairs:
        # RFC 6749 §3.2: request parameters MUST NOT be included more than once.
        if key in form:
            return _oauth_error(400, "invalid_request", f"parameter {key!r} repeated")
        form[key] = value
    headers = {k.title(): v for k, v in request.headers.items()}
    if headers.get("Authorization", "").lower().startswith("basic") and _basic_client_id(headers) is None:
        # RFC 6749 §5.2: failed client authentication via Authorization is 401 invalid_client.
        return _oauth_error(401, "invalid_client", "malformed Basic credentials")
    prefetched = await _prefetch(hub, headers, form)
    try:
        oauth_request = HubOAuth2Request(hub.auth_server.token_url, headers, form)
    except InsecureTransportError:
        # RFC 6749 §3.2: the token endpoint MUST use TLS; only loopback issuers may use http.
        return _oauth_error(400, "invalid_request", "the issuer must be https (or a loopback address)")
    status, body, response_headers = hub.auth_server.issue(oauth_request, prefetched)
    if status == 200 and prefetched.new_jti:
        try:
            async with transaction(hub.sessions) as session:
                # Expired assertions can never be replayed (exp is checked first): forget them.
                await session.exec(delete(UsedAssertion).where(col(UsedAssertion.expires_at) < datetime.now(UTC)))
                for client_id, jti, exp in prefetched.new_jti:
                    session.add(UsedAssertion(client_id=client_id, jti=jti, expires_at=jti_expiry(exp)))
        except IntegrityError:
            return _oauth_error(400, "invalid_client", "JWT ID is used before.")
    if status != 200:
        log.info(
            "token request rejected",
            extra={"event": "oauth.rejected", "error": body.get("error"), "client_id": _client_hint(form)},
        )
    else:
        log.info("token issued", extra={"event": "oauth.issued", "client_id": _client_hint(form, headers)})
    merged = dict(response_headers)
    merged.update(_NO_STORE)
    return JSONResponse(body, status, headers=merged)


async def _prefetch(hub: Hub, headers: dict[str, str], form: dict[str, str]) -> Prefetched:
    candidates = {c for c in (_basic_client_id(headers), form.get("client_id"), _assertion_sub(form)) if c}
    assertion_jti = _assertion_jti(form)
    clients: dict[str, OAuthClient] = {}
    kinds: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    if candidates:
        async with hub.sessions() as session:
            rows = (await session.exec(select(OAuthClient).where(col(OAuthClient.client_id).in_(candidates)))).all()
            clients = {r.client_id: r for r in rows}
            org_ids = {r.organization_id for r in rows}
            if org_ids:
                orgs = (await session.exec(select(Organization).where(col(Organization.id).in_(org_ids)))).all()
                kinds = {o.id: o.kind.value for o in orgs}
            if assertion_jti is not None:
                used = await session.get(UsedAssertion, (assertion_jti[0], assertion_jti[1]))
                if used is not None:
                    seen.add(assertion_jti)
    return Prefetched(clients=clients, org_kinds=kinds, seen_jtis=seen)


def _basic_client_id(headers: dict[str, str]) -> str | None:
    auth = headers.get("Authorization", "")
    if not auth.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, _ = decoded.partition(":")
    if not colon:
        return None
    # RFC 6749 §2.3.1: the client id is form-urlencoded before it is put in the Basic header.
    return unquote(client_id) or None


def _assertion_claims(form: dict[str, str]) -> dict[str, Any]:
    assertion = form.get("client_assertion")
    if not assertion:
        return {}
    try:
        claims = json.loads(jws.extract_compact(assertion.encode()).payload)
    except (JoseError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _assertion_sub(form: dict[str, str]) -> str | None:
    sub = _assertion_claims(form).get("sub")
    return sub if isinstance(sub, str) else None


def _assertion_jti(form: dict[str, str]) -> tuple[str, str] | None:
    claims = _assertion_claims(form)
    sub, jti = claims.get("sub"), claims.get("jti")
    if isinstance(sub, str) and isinstance(jti, str):
        return sub, jti
    return None


def _client_hint(form: dict[str, str], headers: dict[str, str] | None = None) -> str:
    return form.get("client_id") or _assertion_sub(form) or _basic_client_id(headers or {}) or ""


async def jwks(request: Request) -> Response:
    return JSONResponse(_hub(request).keys.public_jwks(), headers={"Cache-Control": "public, max-age=300"})


async def metadata(request: Request) -> Response:
    settings = _hub(request).settings
    # RFC 8414 §2: authorization server metadata.
    return JSONResponse(
        {
            "issuer": settings.issuer,
            "token_endpoint": f"{settings.issuer}/oauth/token",
            "jwks_uri": f"{settings.issuer}/.well-known/jwks.json",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "EdDSA"],
            "response_types_supported": [],
            "scopes_supported": [],
        }
    )


routes = [
    Route("/oauth/token", token, methods=["POST"]),
    Route("/.well-known/jwks.json", jwks, methods=["GET"]),
    Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
]
