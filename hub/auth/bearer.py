"""RFC 6750 bearer authentication for every protected HTTP route (GraphQL and files alike)."""

from __future__ import annotations

import logging
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hub.auth.principal import Principal
from hub.auth.tokens import AccessTokenValidator, TokenRejected

log = logging.getLogger("hub.auth")
REALM = 'Bearer realm="hub"'


def coded_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status, headers=headers)


def _unauthorized(code: str, description: str | None) -> JSONResponse:
    # RFC 6750 §3: the resource server MUST include a WWW-Authenticate header; a request that carried
    # no credentials SHOULD NOT get an error code in it (§3.1).
    header = REALM if description is None else f'{REALM}, error="invalid_token", error_description="{description}"'
    return coded_error(401, code, description or "authentication required", {"WWW-Authenticate": header})


def authenticate(validator: AccessTokenValidator, request: Request, now: datetime) -> Principal | Response:
    """The request's principal, or the 401/400 response to send instead (logged once)."""
    outcome = _authenticate(validator, request, now)
    if isinstance(outcome, Response):
        log.info("request not authenticated", extra={"event": "auth.rejected", "status": outcome.status_code})
    return outcome


def _authenticate(validator: AccessTokenValidator, request: Request, now: datetime) -> Principal | Response:
    values = request.headers.getlist("authorization")
    if len(values) > 1:
        return coded_error(400, "INVALID_REQUEST", "more than one Authorization header",
                           {"WWW-Authenticate": f'{REALM}, error="invalid_request"'})
    if not values:
        return _unauthorized("UNAUTHENTICATED", None)
    scheme, _, token = values[0].partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized("UNAUTHENTICATED", None)
    try:
        return validator.validate(token.strip(), now)
    except TokenRejected as exc:
        return _unauthorized("INVALID_TOKEN", exc.description)
