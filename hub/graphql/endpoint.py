"""The /graphql endpoint: bearer-token authentication (RFC 6750), then Strawberry.

A request without a valid token never reaches GraphQL: it gets a 401 with a WWW-Authenticate
header that says why, and no body beyond a coded error. The one exception is a token-less query of the public
WRO/Finding list only (R-FL-01; hub/graphql/public_access.py), rate-limited per client address.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from hub.audit.log import record
from hub.auth.bearer import authenticate, coded_error
from hub.auth.principal import Principal
from hub.db.session import transaction
from hub.events.broker import EventBroker
from hub.graphql.context import HubContext
from hub.graphql.loaders import Loaders
from hub.graphql.public_access import TokenBuckets, public_query_of
from hub.graphql.schema import build_schema
from hub.graphql.websocket import HubTransportWSHandler, SocketContext, authenticate_socket, is_subscription
from hub.policy.forced_labor_facts import ANONYMOUS_PRINCIPAL
from hub.runtime import Hub

log = logging.getLogger("hub.graphql")

_HTTP_CODES = {
    "Unsupported content type": "UNSUPPORTED_CONTENT_TYPE",
    "Unable to parse request body as JSON": "BAD_JSON",
    "No GraphQL query found in the request": "NO_QUERY",
    "GraphQL only supports GET and POST requests.": "METHOD_NOT_ALLOWED",
}
_SUBSCRIPTION_OVER_HTTP = "Subscriptions are served over WebSocket (graphql-transport-ws) at /graphql"
_HTTP_CODES[_SUBSCRIPTION_OVER_HTTP] = "SUBSCRIPTION_TRANSPORT"


class HubGraphQL(GraphQL[HubContext | SocketContext, None]):
    # Authentication, expiry and revocation closes for subscriptions (hub/graphql/websocket.py).
    graphql_transport_ws_handler_class = HubTransportWSHandler

    def __init__(self, hub: Hub, broker: EventBroker) -> None:
        settings = hub.settings
        super().__init__(
            build_schema(settings.graphql_max_depth, settings.graphql_max_aliases),
            graphql_ide="graphiql" if settings.demo else None,
            multipart_uploads_enabled=True,
            # Only graphql-transport-ws: the legacy graphql-ws handler knows none of the closes above.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            # An unauthenticated socket holds a connection slot: it gets 10 s to send connection_init.
            connection_init_wait_timeout=timedelta(seconds=10),
            # Browser pages on the CORS origins may subscribe too; the token is in connection_init, not
            # a cookie, so an origin gains nothing it could not do with the token anyway.
            allowed_origins=settings.cors_origins,
        )
        self.hub = hub
        self.broker = broker
        self.public_buckets = TokenBuckets(settings.public_rate_per_minute, settings.public_rate_burst)

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
        outcome: Principal | Response
        if not request.headers.getlist("authorization") and await public_query_of(request):
            # R-FL-01: the public WRO list needs no token; rate-limited per client address instead.
            wait = self.public_buckets.take(request.client.host if request.client else "unknown")
            outcome = ANONYMOUS_PRINCIPAL if not wait else coded_error(
                429, "RATE_LIMITED", "too many requests without a token from this address; retry later",
                {"Retry-After": str(max(1, round(wait)))})
        else:
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
        finally:
            # Multipart uploads are spooled to temporary files: close them whatever the outcome, also when
            # validation refused the document before any resolver could read them.
            await request.close()
        context: HubContext | None = getattr(request.state, "hub_context", None)
        disclosures = context.disclosures() if context is not None else []
        if disclosures:
            # Restricted data leaves only once its disclosure is in the log: if the append fails, the
            # caller gets an error instead of the data.
            async with transaction(self.hub.sessions) as session:
                await record(session, disclosures)
        await response(scope, receive, send)

    async def execute_single(
        self, request: Request, request_adapter: AsyncHTTPRequestAdapter, sub_response: Response,
        context: HubContext | SocketContext, root_value: None, request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # Strawberry runs a subscription sent by plain POST as if it were a query, which fails deep in
        # execution; refuse it up front with a code that says where subscriptions live.
        if is_subscription(request_data.query, request_data.operation_name):
            raise HTTPException(400, _SUBSCRIPTION_OVER_HTTP)
        return await super().execute_single(request, request_adapter, sub_response, context, root_value,
                                            request_data)

    def _is_ide_page(self, request: Request) -> bool:
        return (
            self.graphql_ide is not None
            and request.method == "GET"
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> HubContext | SocketContext:
        if isinstance(request, WebSocket):
            # Created before connection_init: the principal is set by on_ws_connect.
            return SocketContext(hub=self.hub, broker=self.broker)
        principal: Principal = request.state.principal
        context = HubContext(
            request=request,
            response=response if isinstance(response, Response) else None,
            hub=self.hub,
            principal=principal,
            now=request.state.now,
            loaders=Loaders(self.hub.sessions, principal.organization_id, self.hub.org_cache),
        )
        request.state.hub_context = context
        return context

    async def on_ws_connect(self, context: HubContext | SocketContext) -> UnsetType | dict[str, object] | None:
        # Raises SocketRejected (closed with 4401/4403 by HubTransportWSHandler) instead of acknowledging.
        if isinstance(context, SocketContext):
            context.principal = await authenticate_socket(self.hub, context.connection_params, datetime.now(UTC))
        return UnsetType()  # a plain connection_ack, without payload

    async def get_root_value(self, request: Any) -> None:
        return None
