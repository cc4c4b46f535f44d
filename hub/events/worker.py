"""The events worker: scheduler, fan-out and webhook delivery in one loop (``hub worker``).

Any number may run at once, in separate processes or inside ``hub serve --demo``: every step is safe
to run concurrently (see hub/events/dispatcher.py). The loop wakes on a timer, when a delivery ends
(a slot is free), and on PostgreSQL when an event commits (LISTEN hub_events, sent by the outbox's
pg_notify); the timer alone is enough for correctness, the rest only cuts latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from hub.events.dispatcher import Clock, Dispatcher, fan_out_all, utc_now
from hub.events.outbox import NOTIFY_CHANNEL
from hub.events.scheduler import scan
from hub.runtime import Hub

log = logging.getLogger("hub.events")

ERROR_BACKOFF_SECONDS = 5.0


@dataclass(frozen=True)
class PassResult:
    scheduled: int  # time-driven events emitted
    fanned_out: int  # outbox events turned into deliveries
    attempted: int  # delivery attempts made


async def run_once(hub: Hub, now: Clock = utc_now, transport: httpx.AsyncBaseTransport | None = None,
                   owner: str | None = None) -> PassResult:
    """One pass: scan the clocks, fan out, and attempt every delivery due now (``hub worker --once``)."""
    dispatcher = Dispatcher(hub, owner=owner, now=now, transport=transport)
    try:
        scheduled = await scan(hub, now())
        fanned = await fan_out_all(hub, now())
        attempted = await dispatcher.run_due()
    finally:
        await dispatcher.close()
    return PassResult(scheduled, fanned, attempted)


async def _listen(hub: Hub, wake: asyncio.Event) -> Callable[[], Awaitable[None]] | None:
    """On PostgreSQL, wake the loop when an event commits; returns the closer (None on SQLite)."""
    if hub.engine.dialect.name != "postgresql":
        return None
    connection = await hub.engine.connect()
    try:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection  # the asyncpg connection; SQLAlchemy has no LISTEN API

        def notified(*_args: object) -> None:
            wake.set()

        assert driver is not None
        await driver.add_listener(NOTIFY_CHANNEL, notified)
    except BaseException:
        await connection.close()
        raise

    async def close() -> None:
        with contextlib.suppress(Exception):
            await driver.remove_listener(NOTIFY_CHANNEL, notified)
        await connection.close()

    return close


async def run_worker(hub: Hub, stop: asyncio.Event, *, now: Clock = utc_now, owner: str | None = None,
                     transport: httpx.AsyncBaseTransport | None = None, poll_seconds: float | None = None,
                     grace_seconds: float | None = None) -> None:
    """Run until ``stop`` is set; then let in-flight attempts finish (up to the HTTP timeout).

    Cancelled instead (a killed worker): in-flight attempts are cancelled too and their rows are sent
    again once their leases lapse, with the same webhook-id.
    """
    settings = hub.settings
    poll = poll_seconds if poll_seconds is not None else settings.worker_poll_seconds
    grace = grace_seconds if grace_seconds is not None else settings.webhook_timeout_seconds
    dispatcher = Dispatcher(hub, owner=owner, now=now, transport=transport)
    wake = dispatcher.finished  # a finished delivery, a NOTIFY and a stop all wake the loop
    stopper = asyncio.create_task(_relay(stop, wake))
    close_listener: Callable[[], Awaitable[None]] | None = None
    graceful = False
    try:
        try:
            close_listener = await _listen(hub, wake)
        except Exception:
            log.warning("LISTEN unavailable; polling only", exc_info=True, extra={"event": "worker.listen"})
        next_scan = 0.0
        while not stop.is_set():
            wake.clear()
            delay = poll
            try:
                if time.monotonic() >= next_scan:
                    await scan(hub, now())
                    next_scan = time.monotonic() + settings.scheduler_interval_seconds
                await fan_out_all(hub, now())
                await dispatcher.pump()
            except Exception:
                # The database may be restarting: keep the loop alive and try again a little later.
                log.exception("worker pass failed", extra={"event": "worker.error"})
                delay = max(poll, ERROR_BACKOFF_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), delay)
        graceful = True
    finally:
        stopper.cancel()
        await dispatcher.close(grace if graceful else 0.0)
        if close_listener is not None:
            await close_listener()


async def _relay(stop: asyncio.Event, wake: asyncio.Event) -> None:
    await stop.wait()
    wake.set()
