"""The /graphql endpoint: bearer-token authentication (RFC 6750), then Strawberry.

A request without a valid token never reaches GraphQL: it gets a 401 with a WWW-Authenticate
header that says why, and no body beyond a coded error.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from hub.audit.log import record
from hub.auth.bearer import authenticate, coded_error
from hub.auth.principal import Principal
from hub.db.session import transaction
from hub.graphql.context import HubContext
from hub.graphql.loaders import Loaders
from hub.graphql.schema import build_schema
from hub.runtime import Hub

log = logging.getLogger("hub.graphql")

_HTTP_CODES = {
    "Unsupported content type": "UNSUPPORTED_CONTENT_TYPE",
    "Unable to parse request body as JSON": "BAD_JSON",
    "No GraphQL query found in the request": "NO_QUERY",
    "GraphQL only supports GET and POST requests.": "METHOD_NOT_ALLOWED",
}


class HubGraphQL(GraphQL[HubContext, None]):
    def __init__(self, hub: Hub) -> None:
        settings = hub.settings
        super().__init__(
            build_schema(settings.graphql_max_depth, settings.graphql_max_aliases),
            graphql_ide="graphiql" if settings.demo else None,
            multipart_uploads_enabled=True,
        )
        self.hub = hub

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        if self._is_ide_page(request):
            await (await self.render_graphql_ide(request))(scope, receive, send)
            return
        now = datetime.now(UTC)
        outcome = authenticate(self.hub.validator, request, now)
        if isinstance(outcome, Response):
            await outcome(scope, receive, send)
            return
        scope.setdefault("state", {}).update(principal=outcome, now=now)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            code = _HTTP_CODES.get(exc.reason, "BAD_REQUEST")
            log.info("graphql request malformed", extra={"event": "graphql.bad_request", "code": code})
            response = coded_error(exc.status_code, code, exc.reason)
        context: HubContext | None = getattr(request.state, "hub_context", None)
        disclosures = context.disclosures() if context is not None else []
        if disclosures:
            # Restricted data leaves only once its disclosure is in the log: if the append fails, the
            # caller gets an error instead of the data.
            async with transaction(self.hub.sessions) as session:
                await record(session, disclosures)
        await response(scope, receive, send)

    def _is_ide_page(self, request: Request) -> bool:
        return (
            self.graphql_ide is not None
            and request.method == "GET"
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> HubContext:
        principal: Principal = request.state.principal
        context = HubContext(
            request=request,  # type: ignore[arg-type]
            response=response if isinstance(response, Response) else None,
            hub=self.hub,
            principal=principal,
            now=request.state.now,
            loaders=Loaders(self.hub.sessions, principal.organization_id, self.hub.org_cache),
        )
        request.state.hub_context = context
        return context

    async def get_root_value(self, request: Any) -> None:
        return None
