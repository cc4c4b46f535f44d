"""GraphQL over WebSocket (graphql-transport-ws): who is connected, and when the connection must end.

The bearer token arrives in the ``connection_init`` payload (browsers cannot set headers on a
WebSocket). A connection outlives the checks an HTTP request gets once, so it is watched: it closes
with 4401 when its token expires and with 4403 when its OAuth client is revoked (checked on every
event and every ``REVOCATION_CHECK_SECONDS``). Only subscriptions run over the socket: the HTTP
endpoint records the disclosures of queries and mutations, and the socket path does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from sqlmodel import col, select
from starlette.websockets import WebSocketDisconnect
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage, SubscribeMessage

from hub.auth.principal import Principal
from hub.auth.tokens import TokenRejected
from hub.db.tables import OAuthClient
from hub.events.broker import EventBroker
from hub.graphql.context import HubContext
from hub.runtime import Hub

log = logging.getLogger("hub.graphql.ws")

UNAUTHORIZED = 4401
FORBIDDEN = 4403
REVOCATION_CHECK_SECONDS = 30.0


class SocketRejected(Exception):
    """Close the connection with ``code`` instead of acknowledging it."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class SocketContext:
    """The context of every operation on one WebSocket; the principal is known after connection_init."""

    hub: Hub
    broker: EventBroker
    connection_params: dict[str, Any] = field(default_factory=dict)
    principal: Principal | None = None
    # Set once the connection is being closed: a subscription that asked for the close waits for it.
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    handler: HubTransportWSHandler | None = None

    def request_close(self, code: int, reason: str) -> None:
        if self.handler is None:
            raise RuntimeError("socket context has no connection handler")
        self.handler.request_close(code, reason)


def bearer_token(params: dict[str, Any]) -> str | None:
    """The token of ``{"Authorization": "Bearer ..."}`` (header names are case-insensitive)."""
    values = [v for k, v in params.items() if isinstance(k, str) and k.lower() == "authorization"]
    if len(values) != 1 or not isinstance(values[0], str):
        return None
    scheme, _, token = values[0].partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def authenticate_socket(hub: Hub, params: dict[str, Any], now: datetime) -> Principal:
    token = bearer_token(params)
    if token is None:
        raise SocketRejected(UNAUTHORIZED, "Unauthorized")
    try:
        principal = hub.validator.validate(token, now)
    except TokenRejected as exc:
        # Descriptions never echo token content (hub.auth.tokens), so they may go into the close reason.
        raise SocketRejected(UNAUTHORIZED, f"Unauthorized: {exc.description}") from exc
    problem = await access_problem(hub, principal, now)
    if problem is not None:
        raise SocketRejected(*problem)
    return principal


async def client_revoked(hub: Hub, principal: Principal) -> bool:
    # oauth_clients holds the Hub's own clients; an external issuer revokes its clients by no longer
    # issuing them tokens, and its client ids are not ours to look up.
    if principal.issuer != hub.settings.issuer:
        return False
    async with hub.sessions() as session:
        revoked_at = (await session.exec(select(col(OAuthClient.revoked_at))
                                         .where(col(OAuthClient.client_id) == principal.client_id))).first()
    return revoked_at is not None


async def access_problem(hub: Hub, principal: Principal, now: datetime) -> tuple[int, str] | None:
    """Why this connection may no longer receive anything (close code and reason), or None."""
    if principal.expires_at is not None and now >= principal.expires_at:
        return UNAUTHORIZED, "token expired"
    if await client_revoked(hub, principal):
        return FORBIDDEN, "client revoked"
    return None


def is_subscription(query: str | None, operation_name: str | None) -> bool | None:
    """Whether the operation is a subscription; None when the document cannot tell (strawberry reports it)."""
    # Most documents never mention the word: skip the parse (the schema's parser cache is not reachable here).
    if not isinstance(query, str) or "subscription" not in query:
        return False if isinstance(query, str) else None
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except (GraphQLError, TypeError):
        return None
    return None if operation is None else operation.operation is OperationType.SUBSCRIPTION


class HubTransportWSHandler(BaseGraphQLTransportWSHandler[HubContext | SocketContext, None]):
    _watchdog: asyncio.Task[None] | None = None
    _closer: asyncio.Task[None] | None = None
    _closing = False

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except SocketRejected as exc:
            log.info("websocket rejected", extra={"event": "ws.rejected", "code": exc.code, "reason": exc.reason})
            await self._close(exc.code, exc.reason)
            return
        context = self.context
        if self.connection_acknowledged and isinstance(context, SocketContext) and self._watchdog is None:
            context.handler = self
            self._watchdog = asyncio.create_task(self._watch(context), name="hub-ws-watchdog")

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self._closing:
            return
        payload = message["payload"]
        if self.connection_acknowledged and is_subscription(payload["query"], payload.get("operationName")) is False:
            await self.send_message({"id": message["id"], "type": "error", "payload": [{
                "message": "only subscriptions run over WebSocket: send queries and mutations to POST /graphql",
                "extensions": {"code": "SUBSCRIPTIONS_ONLY"}}]})
            return
        await super().handle_subscribe(message)

    def request_close(self, code: int, reason: str) -> None:
        """Close from inside an operation: another task does it, since the close cancels the operation."""
        if self._closer is None:
            self._closer = asyncio.create_task(self._close(code, reason), name="hub-ws-close")

    async def _watch(self, context: SocketContext) -> None:
        principal = context.principal
        assert principal is not None
        while True:
            now = datetime.now(UTC)
            try:
                problem = await access_problem(context.hub, principal, now)
            except Exception as exc:
                # The database is unreachable: no event can be rendered either; check again later.
                log.warning("revocation check failed", extra={"event": "ws.check_failed", "error": repr(exc)})
                problem = None
            if problem is not None:
                await self._close(*problem)
                return
            wait = REVOCATION_CHECK_SECONDS
            if principal.expires_at is not None:
                # Wake exactly at expiry (plus a hair, so the check sees now >= expires_at).
                wait = min(wait, max((principal.expires_at - now).total_seconds(), 0.0) + 0.01)
            await asyncio.sleep(wait)

    async def _close(self, code: int, reason: str) -> None:
        if self._closing:
            return
        self._closing = True
        log.info("websocket closed by the hub", extra={"event": "ws.closed", "code": code, "reason": reason})
        # Operations first: a subscription must not send into a socket that is already closed.
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        if isinstance(self.context, SocketContext):
            self.context.closed.set()
        # The client may be gone already; there is nobody left to tell.
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self.websocket.close(code=code, reason=reason)

    async def shutdown(self) -> None:
        current = asyncio.current_task()
        for task in (self._watchdog, self._closer):
            if task is not None and task is not current and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if isinstance(self.context, SocketContext):
            self.context.closed.set()
        await super().shutdown()
