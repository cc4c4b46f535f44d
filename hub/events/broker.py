"""Fan-out of newly committed outbox events to this process's subscribers (GraphQL subscriptions).

One pump per process reads new outbox rows and hands each to every open feed; subscribers filter and
render per principal themselves. What wakes the pump depends on the database:

* PostgreSQL: a dedicated asyncpg connection LISTENs on ``hub_events``. A trigger on the outbox
  table (migration 0006) NOTIFYs in the writing transaction and PostgreSQL delivers it at commit,
  so a wake-up always finds the row committed, whichever Hub process wrote it. If the listener
  connection is lost, notifications sent while nobody listened are gone; after LISTEN is re-established
  the pump therefore reads everything above the last seq it saw, so nothing committed in the gap is lost.
* SQLite has no NOTIFY: the pump polls the outbox every ``poll_interval`` (the SQLite demo is one
  process, so it also sees events written by its in-process worker and by CLI commands).

Reading by seq alone would lose events on PostgreSQL: seq is assigned at insert but transactions commit
in any order, so seq 10 can commit after seq 11 was read. Every seq skipped over is therefore kept as a
"hole" and re-read until it shows up or is old enough to be a rolled-back insert (sequences never
reuse a value, so a rolled-back seq stays a gap forever).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # ships no type information
from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.event_tables import OutboxEvent
from hub.events.outbox import NOTIFY_CHANNEL

log = logging.getLogger("hub.events.broker")

# A transaction that inserted an event and has not committed after this long is taken for rolled back.
HOLE_TTL_SECONDS = 600.0
MAX_HOLES = 1000
BATCH = 500
# Events one feed may have waiting: a subscriber this far behind is cut off rather than buffered forever.
FEED_LIMIT = 1000


class FeedOverflow(Exception):
    """The subscriber did not keep up; events were dropped for it, so its stream must end."""


class BrokerStopped(Exception):
    """The broker shut down (the Hub is stopping): the stream ends."""


class Feed:
    """One subscriber's queue of committed events, in the order the pump read them."""

    def __init__(self, limit: int) -> None:
        self._items: deque[OutboxEvent] = deque()
        self._limit = limit
        self._ready = asyncio.Event()
        self._error: Exception | None = None

    def offer(self, event: OutboxEvent) -> None:
        if self._error is not None:
            return
        if len(self._items) >= self._limit:
            self.end(FeedOverflow("subscriber too slow: events were dropped"))
            return
        self._items.append(event)
        self._ready.set()

    def end(self, error: Exception) -> None:
        if self._error is None:
            self._error = error
            self._ready.set()

    async def get(self) -> OutboxEvent:
        """The next event; raises FeedOverflow or BrokerStopped once the feed has ended."""
        while True:
            # After an overflow the queue has a gap: stop at once rather than deliver around it.
            if isinstance(self._error, FeedOverflow):
                raise self._error
            if self._items:
                return self._items.popleft()
            if self._error is not None:
                raise self._error
            self._ready.clear()
            await self._ready.wait()


class EventBroker:
    def __init__(self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], *,
                 poll_interval: float = 0.2, safety_interval: float = 30.0, keepalive: float = 15.0,
                 reconnect_delay: float = 0.1) -> None:
        self._engine = engine
        self._sessions = sessions
        self._postgres = engine.dialect.name == "postgresql"
        # On PostgreSQL notifications wake the pump; the slow poll only covers a listener connection
        # that died without anyone noticing (its keepalive ping will, within ``keepalive``).
        self._interval = safety_interval if self._postgres else poll_interval
        self._keepalive = keepalive
        self._reconnect_delay = reconnect_delay
        self._feeds: set[Feed] = set()
        self._wake = asyncio.Event()
        self._last_seq = 0
        self._holes: dict[int, float] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._connection: Any | None = None
        # Set while a LISTEN is active (tests wait on it before committing events).
        self.listening = asyncio.Event()
        self.started = False

    @property
    def subscriber_count(self) -> int:
        return len(self._feeds)

    @property
    def listener_pid(self) -> int | None:
        """The PostgreSQL backend of the LISTEN connection (tests terminate it)."""
        return self._connection.get_server_pid() if self._connection is not None else None

    async def start(self) -> None:
        if self.started:
            return
        async with self._sessions() as session:
            # Subscribers get events committed after they subscribe, never the history.
            self._last_seq = (await session.exec(select(func.max(col(OutboxEvent.seq))))).one() or 0
            # Seqs missing just below the top may be transactions still in flight (another Hub process
            # writing): they are holes like any other, delivered if they commit.
            floor = max(self._last_seq - MAX_HOLES, 0)
            present = set((await session.exec(select(col(OutboxEvent.seq)).where(
                col(OutboxEvent.seq) > floor))).all())
        now = time.monotonic()
        self._holes = {seq: now for seq in range(floor + 1, self._last_seq) if seq not in present}
        self.started = True
        self._tasks.append(asyncio.create_task(self._pump(), name="hub-broker-pump"))
        if self._postgres:
            self._tasks.append(asyncio.create_task(self._listen(), name="hub-broker-listen"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self.started = False
        for feed in list(self._feeds):
            feed.end(BrokerStopped("the Hub is shutting down"))

    @contextlib.contextmanager
    def subscribe(self, limit: int = FEED_LIMIT) -> Iterator[Feed]:
        feed = Feed(limit)
        self._feeds.add(feed)
        try:
            yield feed
        finally:
            self._feeds.discard(feed)

    def wake(self) -> None:
        """Read the outbox now (notification received, or a test that cannot wait for the poll)."""
        self._wake.set()

    async def _pump(self) -> None:
        failures = 0
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that lands
            # as the event is set, and stop() would then wait forever for this task.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self._drain()
                failures = 0
            except Exception as exc:
                # The database may be restarting: keep the pump alive and retry with a growing pause.
                failures += 1
                log.warning("outbox read failed", extra={"event": "broker.read_failed", "error": repr(exc)})
                await asyncio.sleep(min(0.2 * 2 ** failures, 5.0))
                self._wake.set()

    async def _drain(self) -> None:
        while True:
            self._expire_holes()
            holes = list(self._holes)
            condition = col(OutboxEvent.seq) > self._last_seq
            if holes:
                condition = or_(condition, col(OutboxEvent.seq).in_(holes))
            async with self._sessions() as session:
                rows = list((await session.exec(
                    select(OutboxEvent).where(condition).order_by(col(OutboxEvent.seq)).limit(BATCH))).all())
            for row in rows:
                self._note(row)
                for feed in list(self._feeds):
                    feed.offer(row)
            if len(rows) < BATCH:
                return

    def _note(self, row: OutboxEvent) -> None:
        seq = int(row.seq or 0)
        if self._holes.pop(seq, None) is not None:
            return
        if seq > self._last_seq:
            now = time.monotonic()
            for missing in range(max(self._last_seq + 1, seq - MAX_HOLES), seq):
                self._holes[missing] = now
            self._last_seq = seq

    def _expire_holes(self) -> None:
        cutoff = time.monotonic() - HOLE_TTL_SECONDS
        for seq in [s for s, seen in self._holes.items() if seen < cutoff]:
            del self._holes[seq]
        while len(self._holes) > MAX_HOLES:
            del self._holes[min(self._holes)]

    # ----------------------------------------------------------------------------- PostgreSQL --

    def _dsn(self) -> str:
        # asyncpg wants a plain libpq URL, not SQLAlchemy's "postgresql+asyncpg://".
        return self._engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def _listen(self) -> None:
        delay = self._reconnect_delay
        while True:
            try:
                await self._listen_once()
            except Exception as exc:
                log.warning("event listener connection lost", extra={"event": "broker.listen_lost",
                                                                      "error": repr(exc)})
            finally:
                # A connection that did listen starts the backoff over; repeated failures to connect grow it.
                delay = self._reconnect_delay if self.listening.is_set() else min(delay * 2, 5.0)
                self.listening.clear()
                connection, self._connection = self._connection, None
                if connection is not None and not connection.is_closed():
                    connection.terminate()
            await asyncio.sleep(delay)

    async def _listen_once(self) -> None:
        connection: Any = await asyncpg.connect(self._dsn(), timeout=10)
        self._connection = connection
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _conn: lost.set())
        await connection.add_listener(NOTIFY_CHANNEL, self._notified)
        self.listening.set()
        # Whatever committed while no LISTEN was active sent its notification to nobody: read it now.
        self._wake.set()
        log.info("listening for events", extra={"event": "broker.listening"})
        while not lost.is_set():
            try:
                async with asyncio.timeout(self._keepalive):
                    await lost.wait()
            except TimeoutError:
                # A half-open TCP connection delivers no notification and no error: a ping finds it.
                await connection.execute("SELECT 1", timeout=self._keepalive)
        raise ConnectionError("listener connection closed")

    def _notified(self, _connection: Any, _pid: int, _channel: str, _payload: str) -> None:
        # The payload (an event id) is not needed: the pump reads every new row in seq order.
        self._wake.set()
