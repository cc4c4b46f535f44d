"""Webhook test support: a real HTTP receiver (uvicorn in-process), endpoint helpers, one delivery pass.

The receiver is a real server on 127.0.0.1 so that the fault tests exercise real connections: a
refused connection while it is down, a slow answer that holds a socket, a 500, a redirect.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
import uvicorn
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.db.event_tables import WebhookDelivery, WebhookEndpoint
from hub.db.session import transaction
from hub.events.dispatcher import Dispatcher, fan_out_all, utc_now
from hub.graphql.relay import from_global_id
from hub.runtime import Hub
from tests.conftest import HubHarness
from tests.graphql.detention_helpers import gql

CREATE = """mutation($url: String!, $types: [String!]!) {
  createWebhookEndpoint(url: $url, eventTypes: $types) { endpoint { id url eventTypes } secret } }"""
DELIVERIES = """query($id: ID!, $first: Int) { webhookDeliveries(endpointId: $id, first: $first) {
  id webhookId eventType status attempts lastStatusCode lastError attemptsLog { at outcome statusCode error } } }"""


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic()

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    """Records every request (before answering), then answers per path: status, delay, extra headers."""

    requests: list[Received] = field(default_factory=list)
    behaviour: dict[str, tuple[int, float, dict[str, str]]] = field(default_factory=dict)
    port: int = 0
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def answer(self, path: str, status: int = 200, delay: float = 0.0, headers: dict[str, str] | None = None) -> None:
        self.behaviour[path] = (status, delay, headers or {})

    def of(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def _handle(self, request: Request) -> Response:
        path = request.path_params["path"]
        self.requests.append(Received(path, dict(request.headers), await request.body(), time.monotonic()))
        status, delay, headers = self.behaviour.get(path, (200, 0.0, {}))
        if delay:
            await asyncio.sleep(delay)
        return Response(status_code=status, headers=headers)

    async def start(self) -> None:
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, lifespan="off", log_config=None,
                                log_level="warning", http="h11", ws="none", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("receiver did not start")
            await asyncio.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None


@asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


@pytest.fixture(scope="module", name="receiver")
async def receiver_fixture() -> AsyncIterator[Receiver]:
    async with running_receiver() as receiver:
        yield receiver


@dataclass
class Endpoint:
    gid: str
    pk: str
    secret: str
    path: str


@asynccontextmanager
async def endpoint(harness: HubHarness, client_id: str, receiver: Receiver, path: str, types: list[str]
                   ) -> AsyncIterator[Endpoint]:
    """An endpoint registered through GraphQL, disabled afterwards so later tests' events skip it."""
    body = await gql(harness, client_id, CREATE, {"url": receiver.url(path), "types": types})
    assert "errors" not in body, body
    created = body["data"]["createWebhookEndpoint"]
    gid = created["endpoint"]["id"]
    try:
        yield Endpoint(gid, from_global_id(gid)[1], created["secret"], path)
    finally:
        async with transaction(harness.hub.sessions) as session:
            row = await session.get(WebhookEndpoint, from_global_id(gid)[1])
            assert row is not None
            row.disabled_at = utc_now()
            session.add(row)


async def drain(hub: Hub) -> None:
    """Fan out other tests' events before this test's endpoints exist, so none of them is delivered here."""
    await fan_out_all(hub, utc_now())


async def deliver(hub: Hub, now: Callable[[], datetime] = utc_now, owner: str | None = None,
                  jitter: Callable[[float], float] | None = None) -> int:
    """One pass without the scheduler: fan out, then every attempt due at ``now()``."""
    await fan_out_all(hub, now())
    dispatcher = Dispatcher(hub, owner=owner, now=now, jitter=jitter)
    try:
        return await dispatcher.run_due()
    finally:
        await dispatcher.close()


async def rows_of(hub: Hub, endpoint_pk: str) -> list[WebhookDelivery]:
    async with hub.sessions() as session:
        query = select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint_pk)
        return list((await session.exec(query.order_by(col(WebhookDelivery.created_at)))).all())


def signature_ok(secret: str, received: Received) -> bool:
    """Standard Webhooks verification, recomputed here independently of hub.events.secrets."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in received.headers["webhook-signature"].split() if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, s) for s in offered)


async def wait_for(condition: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
