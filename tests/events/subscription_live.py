"""A real Hub server in-process (uvicorn on 127.0.0.1) and a graphql-transport-ws client spoken by hand.

The protocol messages (connection_init, connection_ack, subscribe, next, error, complete) are written
out here rather than taken from a GraphQL client library, so the tests pin the wire format itself.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from hub.app import create_app
from hub.events.broker import EventBroker
from hub.graphql.relay import to_global_id
from hub.runtime import Hub
from tests.auth.jwt_factory import at_header, compact, decode_unverified
from tests.conftest import HubHarness

PROTOCOL = "graphql-transport-ws"
OFFICER = "demo-cbp-officer"
ACME = "demo-importer-acme"
NORTHWIND = "demo-ipowner-northwind"
SURETY = "demo-surety-liberty"

EVENTS = """subscription($types: [String!]) { events(types: $types) { id type timestamp objectId data } }"""


@asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[str]:
    """Run ``app`` under uvicorn (lifespan on, so its event broker starts) on a free port: host:port."""
    # log_config=None: uvicorn must not reconfigure the test process's logging.
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_config=None, log_level="warning",
                            ws="websockets-sansio")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Live:
    harness: HubHarness
    app: Starlette
    address: str

    @property
    def hub(self) -> Hub:
        return self.harness.hub

    @property
    def broker(self) -> EventBroker:
        broker: EventBroker = self.app.state.broker
        return broker

    @property
    def ws_url(self) -> str:
        return f"ws://{self.address}/graphql"


@asynccontextmanager
async def live_server(harness: HubHarness, hub: Hub | None = None) -> AsyncIterator[Live]:
    app = create_app(hub or harness.hub)
    async with serve(app) as address:
        yield Live(harness, app, address)


async def until(condition: Callable[[], bool], within: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class GqlSocket:
    """One graphql-transport-ws connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def recv(self, within: float = 10.0) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), within))
        return message

    async def init(self, payload: dict[str, Any] | None) -> dict[str, Any]:
        await self.send({"type": "connection_init", **({} if payload is None else {"payload": payload})})
        return await self.recv()

    async def subscribe(self, query: str = EVENTS, variables: dict[str, Any] | None = None,
                        op_id: str = "1") -> None:
        await self.send({"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})

    async def next_event(self, within: float = 10.0) -> dict[str, Any]:
        """The next ``next`` message's event (pings are answered on the way)."""
        while True:
            message = await self.recv(within)
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            event: dict[str, Any] = message["payload"]["data"]["events"]
            return event

    async def silent_for(self, seconds: float) -> None:
        """Nothing but pings arrives for ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await self.recv(left)
            except TimeoutError:
                return
            assert message["type"] == "ping", f"expected silence, got {message}"

    async def closed(self, within: float = 10.0) -> tuple[int, str]:
        """Wait for the server to close the connection: its close code and reason."""
        try:
            while True:
                message = await self.recv(within)
                assert message["type"] in ("ping", "complete"), f"expected a close, got {message}"
        except ConnectionClosed as exc:
            assert exc.rcvd is not None, "connection dropped without a close frame"
            return exc.rcvd.code, exc.rcvd.reason


@asynccontextmanager
async def socket(live: Live) -> AsyncIterator[GqlSocket]:
    async with connect(live.ws_url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == PROTOCOL
        yield GqlSocket(ws)


@asynccontextmanager
async def subscribed(live: Live, token: str, types: list[str] | None = None) -> AsyncIterator[GqlSocket]:
    """Connected, acknowledged and subscribed: the broker has the subscriber when this yields."""
    before = live.broker.subscriber_count
    async with socket(live) as sock:
        ack = await sock.init({"Authorization": f"Bearer {token}"})
        assert ack == {"type": "connection_ack"}, ack
        await sock.subscribe(variables={"types": types})
        # graphql-transport-ws has no "subscribed" message: wait until the broker has the feed, so an
        # event committed next cannot be missed by the test.
        await until(lambda: live.broker.subscriber_count > before, what="the subscription to register")
        yield sock


def short_lived_token(hub: Hub, real_token: str, seconds: int) -> str:
    """The same claims as ``real_token``, re-signed with the Hub's key to expire in ``seconds``."""
    _, claims = decode_unverified(real_token)
    now = int(time.time())
    claims.update(iat=now, exp=now + seconds, jti=uuid.uuid4().hex)
    return compact(at_header(hub.keys.kid), claims, hub.keys.private)


# ------------------------------------------------------------------------------ detention steps --

def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


async def gql(harness: HubHarness, client_id: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = await harness.graphql(client_id, query, variables)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


RECORD = "mutation($input: RecordDetentionInput!) { recordDetention(input: $input) { id } }"


async def record_case(harness: HubHarness, presented_days_ago: float = 2.0) -> tuple[str, str]:
    """CBP records a detention case for the importer Acme naming Northwind's recordation: (global id, pk)."""
    presented = _ago(presented_days_ago)
    spec = {
        "caseNumber": f"EV-{uuid.uuid4().hex[:12].upper()}", "regime": "COUNTERFEIT_TRADEMARK",
        "conveyance": "CARGO", "portCode": "2704",
        "importerId": to_global_id("Organization", harness.demo[ACME]["organization_id"]),
        "manufacturerName": "Event Mfg Co.", "manufacturerAddress": "1 Factory Rd, Ningbo, CN",
        "exporterName": "Event Export Co.", "exporterAddress": "2 Port Rd, Ningbo, CN",
        "dateOfImportation": (presented - timedelta(days=1)).date().isoformat(),
        "description": "athletic apparel bearing NORTHWIND marks", "quantity": 240, "countryOfOrigin": "CN",
        "presentedAt": _iso(presented), "recordationNumbers": ["TMK 21-00412"], "entryNumber": "CZ4-6110316-8",
        "declaredValue": "18500.00",
    }
    node_id = (await gql(harness, OFFICER, RECORD, {"input": spec}))["recordDetention"]["id"]
    return node_id, decode_pk(node_id)


def decode_pk(global_id: str) -> str:
    from hub.graphql.relay import from_global_id

    return from_global_id(global_id)[1]


async def cbp_step(harness: HubHarness, mutation: str, node_id: str, at: datetime | None = None,
                   **extra: Any) -> None:
    args = "".join(f", {k}: {json.dumps(v)}" for k, v in extra.items())
    query = f"mutation($id: ID!, $at: DateTime) {{ {mutation}(id: $id, at: $at{args}) {{ id }} }}"
    await gql(harness, OFFICER, query, {"id": node_id, "at": _iso(at) if at else None})


async def detain_and_notify(harness: HubHarness, node_id: str) -> None:
    await cbp_step(harness, "detainGoods", node_id, _ago(1.5))
    await cbp_step(harness, "sendNoticeOfDetention", node_id, _ago(1))


async def seize(harness: HubHarness, node_id: str) -> None:
    now = datetime.now(UTC)
    await cbp_step(harness, "seizeGoods", node_id, now - timedelta(minutes=2),
                   noticeOfSeizureAt=_iso(now - timedelta(minutes=1)), description="counterfeit NORTHWIND tees",
                   quantity=200)
