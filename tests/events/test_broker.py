"""The event broker: committed outbox events reach every feed, in order, and none is lost.

On PostgreSQL the broker LISTENs; its listener connection is killed here (pg_terminate_backend) to
show the catch-up after reconnecting, and two transactions commit out of seq order to show that a
skipped seq is re-read. On SQLite the broker polls.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from hub.db.event_tables import OutboxEvent
from hub.db.session import transaction
from hub.events.broker import BrokerStopped, EventBroker, Feed, FeedOverflow
from hub.events.outbox import emit
from hub.runtime import Hub
from tests.conftest import PG_ADMIN_URL, HubHarness
from tests.events.subscription_live import until


def _event(n: int) -> OutboxEvent:
    now = datetime.now(UTC)
    return OutboxEvent(seq=n, type="detention.recorded", object_type="Detention", object_id=f"d{n}",
                       occurred_at=now, recorded_at=now)


async def test_feed_keeps_order_and_drains_before_reporting_a_stop() -> None:
    feed = Feed(limit=10)
    for n in (1, 2):
        feed.offer(_event(n))
    feed.end(BrokerStopped("stopping"))
    assert [(await feed.get()).seq for _ in range(2)] == [1, 2]
    with pytest.raises(BrokerStopped):
        await feed.get()


async def test_feed_overflow_ends_the_stream_at_once() -> None:
    # A subscriber that fell behind must learn it lost events, not receive the rest with a silent gap.
    feed = Feed(limit=2)
    for n in (1, 2, 3, 4):
        feed.offer(_event(n))
    with pytest.raises(FeedOverflow):
        await feed.get()


async def test_a_waiting_feed_wakes_on_stop() -> None:
    feed = Feed(limit=2)
    waiter = asyncio.create_task(feed.get())
    await asyncio.sleep(0.05)
    feed.end(BrokerStopped("stopping"))
    with pytest.raises(BrokerStopped):
        await asyncio.wait_for(waiter, 2)


async def _emit(hub: Hub, object_id: str, type_: str = "detention.recorded") -> str:
    now = datetime.now(UTC)
    async with transaction(hub.sessions) as session:
        event = await emit(session, type_, "Detention", object_id, now, now)
    return event.id


@pytest.fixture
async def broker(harness: HubHarness) -> AsyncIterator[EventBroker]:
    # Notifications only on PostgreSQL: a 60 s safety poll there shows that nothing below relies on it.
    broker = EventBroker(harness.hub.engine, harness.hub.sessions, safety_interval=60.0, reconnect_delay=1.0)
    await broker.start()
    if harness.backend == "postgres":
        await asyncio.wait_for(broker.listening.wait(), 10)
    try:
        yield broker
    finally:
        await broker.stop()


async def _objects(feed: Feed, count: int) -> list[str]:
    return [(await asyncio.wait_for(feed.get(), 10)).object_id for _ in range(count)]


async def test_committed_events_reach_every_feed_in_commit_order(harness: HubHarness, broker: EventBroker) -> None:
    tag = uuid.uuid4().hex[:8]
    with broker.subscribe() as first, broker.subscribe() as second:
        now = datetime.now(UTC)
        async with transaction(harness.hub.sessions) as session:
            for n in range(3):
                await emit(session, "detention.recorded", "Detention", f"{tag}-{n}", now, now)
        await _emit(harness.hub, f"{tag}-3")
        expected = [f"{tag}-{n}" for n in range(4)]
        assert await _objects(first, 4) == expected
        assert await _objects(second, 4) == expected


async def test_a_rolled_back_event_is_never_delivered(harness: HubHarness, broker: EventBroker) -> None:
    tag = uuid.uuid4().hex[:8]
    with broker.subscribe() as feed:
        now = datetime.now(UTC)
        with pytest.raises(RuntimeError):
            async with transaction(harness.hub.sessions) as session:
                await emit(session, "detention.recorded", "Detention", f"{tag}-rolled-back", now, now)
                raise RuntimeError("the state change failed")
        await _emit(harness.hub, f"{tag}-kept")
        assert await _objects(feed, 1) == [f"{tag}-kept"]


async def test_an_event_committed_after_a_later_seq_is_still_delivered(harness: HubHarness,
                                                                       broker: EventBroker) -> None:
    if harness.backend != "postgres":
        pytest.skip("SQLite serializes writers: seq order is commit order")
    tag = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    with broker.subscribe() as feed:
        async with harness.hub.sessions() as slow:
            await slow.begin()
            await emit(slow, "detention.recorded", "Detention", f"{tag}-slow", now, now)  # the lower seq
            await _emit(harness.hub, f"{tag}-fast")  # a higher seq, committed first
            assert await _objects(feed, 1) == [f"{tag}-fast"]
            await slow.commit()
        assert await _objects(feed, 1) == [f"{tag}-slow"]


async def test_an_event_in_flight_when_the_broker_starts_is_delivered(harness: HubHarness) -> None:
    if harness.backend != "postgres":
        pytest.skip("SQLite serializes writers: nothing is in flight while the broker reads the outbox")
    tag = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    async with harness.hub.sessions() as slow:
        await slow.begin()
        await emit(slow, "detention.recorded", "Detention", f"{tag}-in-flight", now, now)
        await _emit(harness.hub, f"{tag}-committed")  # the top seq when the broker starts
        broker = EventBroker(harness.hub.engine, harness.hub.sessions, safety_interval=60.0)
        await broker.start()
        try:
            await asyncio.wait_for(broker.listening.wait(), 10)
            with broker.subscribe() as feed:
                await slow.commit()
                assert await _objects(feed, 1) == [f"{tag}-in-flight"]
        finally:
            await broker.stop()


async def test_listener_killed_then_event_committed_still_arrives(harness: HubHarness, broker: EventBroker) -> None:
    if harness.backend != "postgres":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    tag = uuid.uuid4().hex[:8]
    old_pid = broker.listener_pid
    assert old_pid is not None
    admin = create_async_engine(PG_ADMIN_URL)
    try:
        async with admin.connect() as conn:
            assert (await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": old_pid})).scalar()
    finally:
        await admin.dispose()
    await until(lambda: not broker.listening.is_set(), what="the broker to notice the lost connection")
    with broker.subscribe() as feed:
        await _emit(harness.hub, f"{tag}-in-the-gap")
        # Nobody listened at commit: this event's notification went nowhere (reconnect waits 1 s).
        assert not broker.listening.is_set()
        assert await _objects(feed, 1) == [f"{tag}-in-the-gap"]
        assert broker.listening.is_set() and broker.listener_pid not in (None, old_pid)
        await _emit(harness.hub, f"{tag}-after")  # and the new connection listens
        assert await _objects(feed, 1) == [f"{tag}-after"]


async def test_stop_ends_open_feeds(harness: HubHarness) -> None:
    broker = EventBroker(harness.hub.engine, harness.hub.sessions)
    await broker.start()
    with broker.subscribe() as feed:
        waiter = asyncio.create_task(feed.get())
        await asyncio.sleep(0.05)
        await broker.stop()
        with pytest.raises(BrokerStopped):
            await asyncio.wait_for(waiter, 5)
    assert broker.subscriber_count == 0
