"""Events: webhook throughput and latency with one worker, and what the outbox costs the mutations.

    python -m bench.events [--events 400] [--latency-events 200] [--steps 90] [--rounds 10] [--poll 0.1]
    python -m bench.events --postgres          # a temporary database on HUB_TEST_POSTGRES_URL's server

1. Throughput: ``--events`` detentions are recorded (one committed event each) while no worker runs;
   then one worker (hub.events.worker.run_worker) delivers them to a local receiver (uvicorn on
   127.0.0.1, answering 204). Prints events per second from the worker's start to the last receipt.
2. Latency: with the worker running, ``--latency-events`` detentions are recorded one every 20 ms;
   prints the delay from each commit to its webhook's receipt, p50 and p99. On SQLite the worker
   polls every ``--poll`` seconds; on PostgreSQL LISTEN/NOTIFY wakes it at commit.
3. Outbox cost: ``--steps`` detention steps (record, detain, send notice: one transaction each, as the
   services run them, without the GraphQL layer, so the ratio is the harshest one) timed with the
   outbox write and with ``emit`` patched to a no-op, in ``--rounds`` pairs run in alternating order;
   prints the medians and the median of the paired ratios (goal: <= 1.20). No worker runs meanwhile.

Everything runs in one process on 127.0.0.1 and is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import orjson
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.auth.principal import Principal
from hub.db.session import transaction
from hub.events import webhooks
from hub.events.dispatcher import fan_out_all
from hub.events.secrets import SecretBox
from hub.events.worker import run_worker
from hub.graphql.relay import to_global_id
from hub.runtime import Hub, open_hub
from hub.services import detentions
from hub.services.demo import demo_clients, seed_parties
from hub.services.parties import organization_by_ref
from hub.settings import Settings

PG_ADMIN_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
SUBSCRIBER = "demo-cbp-officer"  # CBP reads every detention: every event is delivered


class Receiver:
    """Notes the receipt time of each object's first webhook (one event per detention); answers 204."""

    def __init__(self) -> None:
        self.received: dict[str, float] = {}
        self.arrived = asyncio.Event()
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task[None] | None = None
        self.port = 0

    async def _hook(self, request: Request) -> Response:
        at = time.perf_counter()
        payload = orjson.loads(await request.body())
        self.received.setdefault(payload["data"]["objectId"], at)
        self.arrived.set()
        return Response(status_code=204)

    async def start(self) -> None:
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None,
                                log_level="warning", http="h11", ws="none")
        self.server = uvicorn.Server(config)
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                raise RuntimeError("the receiver did not start")
            await asyncio.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None and self.task is not None
        self.server.should_exit = True
        await self.task

    async def until(self, count: int, limit: float = 120.0) -> None:
        deadline = time.perf_counter() + limit
        while len(self.received) < count:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"only {len(self.received)} of {count} webhooks arrived in {limit} s")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), 1.0)


class Producer:
    """Records detentions and takes their first steps through the services, one transaction each."""

    def __init__(self, hub: Hub, importer_id: str) -> None:
        self.hub, self.importer_id = hub, importer_id

    async def record(self) -> tuple[str, float]:
        """One detention (one event); returns its global id and the commit instant."""
        now = datetime.now(UTC)
        async with transaction(self.hub.sessions) as session:
            row = await detentions.record_detention(session, detentions.NewDetention(
                case_number=f"BENCH-{uuid.uuid4().hex[:12].upper()}", regime="COUNTERFEIT_TRADEMARK",
                conveyance="CARGO", port_code="2704", importer_org_id=self.importer_id, manufacturer_name="Maker Co.",
                manufacturer_address="1 Road, CN", exporter_name="Exporter Co.", exporter_address="2 Road, CN",
                date_of_importation=(now - timedelta(days=1)).date(), description="apparel", quantity=10,
                country_of_origin="CN", presented_at=now - timedelta(minutes=5),
                recordation_numbers=["TMK 21-00412"]), now, "bench", self.hub.settings.expedited_value_threshold)
        return row.id, time.perf_counter()

    async def three_steps(self) -> None:
        now = datetime.now(UTC)
        row_id, _ = await self.record()
        for step, minutes in (("DETAINED", 4), ("NOTICE_SENT", 3)):
            async with transaction(self.hub.sessions) as session:
                await detentions.cbp_step(session, row_id, step, now - timedelta(minutes=minutes), now, "bench",
                                          self.hub.calendar)


async def _subscribe(hub: Hub, url: str) -> None:
    async with hub.sessions() as session:
        client = {c["client_id"]: c for c in await demo_clients(session)}[SUBSCRIBER]
    principal = Principal(client_id=SUBSCRIBER, organization_id=client["organization_id"], org_kind="CBP",
                          roles=frozenset(client["roles"]))
    async with transaction(hub.sessions) as session:
        await webhooks.create_endpoint(session, SecretBox(hub.keys), principal, url, ["detention.recorded"],
                                       hub.settings, datetime.now(UTC))


@contextlib.asynccontextmanager
async def _worker(hub: Hub, poll: float) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(hub, stop, poll_seconds=poll))
    try:
        yield
    finally:
        stop.set()
        await task


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def throughput_and_latency(hub: Hub, producer: Producer, receiver: Receiver, args: argparse.Namespace) -> None:
    await fan_out_all(hub, datetime.now(UTC))  # nothing left over from seeding
    await producer.record()  # warm up: the payload schema, the calendar, the connections
    async with _worker(hub, args.poll):
        await receiver.until(1)
    receiver.received.clear()
    for _ in range(args.events):
        await producer.record()
    start, cpu = time.perf_counter(), time.process_time()
    async with _worker(hub, args.poll):
        await receiver.until(args.events)
        elapsed, cpu = max(receiver.received.values()) - start, time.process_time() - cpu
        print(f"throughput: {args.events} events delivered by one worker in {elapsed:.2f} s = "
              f"{args.events / elapsed:.0f} events/s ({cpu / args.events * 1000:.1f} ms CPU per event, "
              f"receiver included; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
        commits: dict[str, float] = {}
        for _ in range(args.latency_events):
            row_id, at = await producer.record()
            commits[to_global_id("Detention", row_id)] = at
            await asyncio.sleep(0.02)
        await receiver.until(args.events + args.latency_events)
    delays = [(receiver.received[e] - at) * 1000 for e, at in commits.items()]
    wake = "LISTEN/NOTIFY" if hub.engine.dialect.name == "postgresql" else f"polling every {args.poll} s"
    print(f"latency commit -> webhook receipt ({len(delays)} events, {wake}): "
          f"p50 {_pct(delays, 50):.1f} ms, p99 {_pct(delays, 99):.1f} ms")


@contextlib.contextmanager
def _no_outbox() -> Iterator[None]:
    async def skip(*_args: Any, **_kwargs: Any) -> None:
        return None

    with mock.patch("hub.services.detentions.emit", skip):
        yield


async def outbox_cost(producer: Producer, steps: int, rounds: int) -> None:
    async def batch(outbox: bool) -> float:
        with contextlib.nullcontext() if outbox else _no_outbox():
            start = time.perf_counter()
            for _ in range(steps // 3):
                await producer.three_steps()
            return time.perf_counter() - start

    await batch(True)  # warm up both paths
    await batch(False)
    with_outbox, without, ratios = [], [], []
    for i in range(rounds):
        # Paired and in alternating order (ABBA): drift in the machine's load or the tables' size
        # falls on both sides of each pair instead of on one side of the comparison.
        first_with = i % 2 == 0
        a = await batch(first_with)
        b = await batch(not first_with)
        w, n = (a, b) if first_with else (b, a)
        with_outbox.append(w)
        without.append(n)
        ratios.append(w / n)
    w, n, count = statistics.median(with_outbox), statistics.median(without), steps // 3 * 3
    print(f"outbox cost: {count} detention steps per round, {rounds} paired rounds, medians: with outbox "
          f"{w * 1000:.0f} ms ({w / count * 1000:.2f} ms/step), emit patched to a no-op {n * 1000:.0f} ms "
          f"({n / count * 1000:.2f} ms/step)")
    print(f"ratio with/without outbox = {statistics.median(ratios):.2f} (median of paired rounds; "
          f"range {min(ratios):.2f}-{max(ratios):.2f}; goal <= 1.20)")


async def _admin(sql: str) -> None:
    engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace) -> None:
    data = Path(tempfile.mkdtemp(prefix="hub-bench-events-"))
    database_url, name = None, f"hub_bench_{uuid.uuid4().hex[:8]}"
    if args.postgres:
        await _admin(f'CREATE DATABASE "{name}"')
        database_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    hub = await open_hub(Settings(data_dir=data, database_url=database_url, demo=True, issuer="https://hub.bench"))
    receiver = Receiver()
    try:
        await seed_parties(hub.sessions, datetime.now(UTC))
        async with hub.sessions() as session:
            importer = await organization_by_ref(session, "acme-home")
        producer = Producer(hub, importer.id)
        await receiver.start()
        await _subscribe(hub, f"http://127.0.0.1:{receiver.port}/hook")
        print(f"database: {hub.engine.dialect.name}")
        await throughput_and_latency(hub, producer, receiver, args)
        await outbox_cost(producer, args.steps, args.rounds)
    finally:
        with contextlib.suppress(Exception):
            await receiver.stop()
        await hub.close()
        if args.postgres:
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--latency-events", type=int, default=200)
    parser.add_argument("--steps", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--poll", type=float, default=0.1, help="worker poll interval (SQLite has no NOTIFY)")
    parser.add_argument("--postgres", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
