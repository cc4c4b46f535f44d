"""Several workers at once deliver each event exactly once per endpoint to a healthy receiver.

PostgreSQL: fan-out and claims use FOR UPDATE SKIP LOCKED. SQLite: the claiming UPDATE re-checks
"due and not leased" under the write lock. Both run here, with fan-out racing too.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from hub.events.dispatcher import Dispatcher, fan_out_all, utc_now
from hub.events.worker import run_worker
from tests.conftest import HubHarness
from tests.events.webhook_support import (
    Receiver,
    drain,
    endpoint,
    receiver_fixture,  # noqa: F401 (the "receiver" fixture)
    rows_of,
    wait_for,
)
from tests.graphql.detention_helpers import OFFICER, record

EVENTS = 24


async def test_two_workers_deliver_each_event_once(harness: HubHarness, receiver: Receiver) -> None:
    await drain(harness.hub)
    path = f"pair-{harness.backend}"
    async with endpoint(harness, OFFICER, receiver, path, ["detention.recorded"]) as ep:
        for _ in range(EVENTS):
            await record(harness)
        stop = asyncio.Event()
        workers = [asyncio.create_task(run_worker(harness.hub, stop, owner=f"w{i}", poll_seconds=0.02))
                   for i in range(2)]
        try:
            await wait_for(lambda: len(receiver.of(path)) >= EVENTS, within=30)
            await asyncio.sleep(0.5)  # room for a duplicate to show up, if there were one
        finally:
            stop.set()
            await asyncio.gather(*workers)
        counts = Counter(r.headers["webhook-id"] for r in receiver.of(path))
        assert len(counts) == EVENTS and set(counts.values()) == {1}, counts
        rows = await rows_of(harness.hub, ep.pk)
        assert len(rows) == EVENTS and {r.status for r in rows} == {"DELIVERED"}
        assert {r.attempts for r in rows} == {1}


async def test_racing_fan_outs_and_claims_make_one_delivery_per_event(harness: HubHarness,
                                                                     receiver: Receiver) -> None:
    await drain(harness.hub)
    path = f"race-{harness.backend}"
    async with endpoint(harness, OFFICER, receiver, path, ["detention.recorded"]) as ep:
        for _ in range(8):
            await record(harness)
        now = utc_now()
        await asyncio.gather(*(fan_out_all(harness.hub, now) for _ in range(4)))
        assert len(await rows_of(harness.hub, ep.pk)) == 8  # (endpoint_id, event_id) is unique
        dispatchers = [Dispatcher(harness.hub, owner=f"d{i}") for i in range(3)]
        try:
            claims = await asyncio.gather(*(d.claim() for d in dispatchers))
        finally:
            for d in dispatchers:
                await d.close()
        claimed = [job.delivery.id for jobs in claims for job in jobs]
        assert claimed and len(claimed) == len(set(claimed)), "a delivery was claimed by two workers"
