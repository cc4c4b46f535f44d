"""Faults (issue 4, item 5): a receiver down then up, a worker killed mid-delivery, slow and failing
receivers beside a healthy one, redirects, and 24 hours of failures ending in the dead-letter list.

Time is injected (``now``) where the test needs hours to pass; the receiver is a real HTTP server.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import timedelta
from typing import Any

import pytest

from hub.events.dispatcher import utc_now
from hub.events.outcomes import attempts_since_replay, backoff_ceiling
from hub.events.worker import run_worker
from tests.conftest import HubHarness
from tests.events.webhook_support import (
    Receiver,
    deliver,
    drain,
    endpoint,
    receiver_fixture,  # noqa: F401 (the "receiver" fixture)
    rows_of,
    running_receiver,
    signature_ok,
    wait_for,
)
from tests.graphql.detention_helpers import ACME, OFFICER, code, gql, record

RECORDED = ["detention.recorded"]
DEAD_LETTERS = """query { deadLetters(first: 10) {
  id webhookId status attempts attemptsLog { outcome statusCode } } }"""
REPLAY = "mutation($id: ID!) { replayWebhookDelivery(id: $id) { id status webhookId } }"


async def test_receiver_down_then_up_gets_every_event(harness: HubHarness) -> None:
    await drain(harness.hub)
    async with running_receiver() as receiver:
        port = receiver.port
    receiver = Receiver(port=port)  # same address, nobody listening: connections are refused
    path = f"down-{harness.backend}"
    async with endpoint(harness, OFFICER, receiver, path, RECORDED) as ep:
        cases = {(await record(harness))["caseNumber"] for _ in range(3)}
        t0 = utc_now()
        for hours in (0, 0.2):
            await deliver(harness.hub, now=lambda h=hours: t0 + timedelta(hours=h))
        rows = await rows_of(harness.hub, ep.pk)
        assert [(r.status, r.attempts) for r in rows] == [("RETRYING", 2)] * 3
        assert all("ConnectError" in (r.last_error or "") for r in rows)

        await receiver.start()
        try:
            # Past the 1-hour backoff cap, so every retry is due.
            await deliver(harness.hub, now=lambda: t0 + timedelta(hours=2))
        finally:
            await receiver.stop()
        got = receiver.of(path)
        assert {r.json["data"]["detention"]["caseNumber"] for r in got} == cases  # none lost
        assert {r.headers["webhook-id"] for r in got} == {r.id for r in rows}
        assert all(signature_ok(ep.secret, r) for r in got)
        assert [r.status for r in await rows_of(harness.hub, ep.pk)] == ["DELIVERED"] * 3


async def test_worker_killed_mid_delivery_redelivers_with_the_same_webhook_id(
    harness: HubHarness, receiver: Receiver
) -> None:
    await drain(harness.hub)
    path = f"killed-{harness.backend}"
    receiver.answer(path, delay=5.0)  # the POST arrives; the answer does not come before the kill
    async with endpoint(harness, OFFICER, receiver, path, RECORDED) as ep:
        await record(harness)
        worker = asyncio.create_task(run_worker(harness.hub, asyncio.Event(), poll_seconds=0.05))
        await wait_for(lambda: len(receiver.of(path)) == 1)
        worker.cancel()  # killed after sending, before marking the row delivered
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        [row] = await rows_of(harness.hub, ep.pk)
        assert row.status == "PENDING" and row.lease_owner is not None and row.attempts == 0

        receiver.answer(path)
        # A restarted worker takes the row once the dead worker's lease has lapsed.
        lapsed = utc_now() + timedelta(seconds=harness.hub.settings.webhook_lease_seconds + 30)
        assert await deliver(harness.hub, now=lambda: lapsed) == 1
        first, second = receiver.of(path)
        assert first.headers["webhook-id"] == second.headers["webhook-id"] == row.id  # receivers de-duplicate
        [done] = await rows_of(harness.hub, ep.pk)
        assert (done.status, done.attempts) == ("DELIVERED", 1)


async def test_slow_and_failing_receivers_do_not_hold_back_a_healthy_one(
    harness: HubHarness, receiver: Receiver
) -> None:
    await drain(harness.hub)
    slow, failing, healthy = (f"{name}-{harness.backend}" for name in ("slow", "failing", "healthy"))
    receiver.answer(slow, delay=6.0)
    receiver.answer(failing, status=500)
    async with endpoint(harness, OFFICER, receiver, slow, RECORDED), \
            endpoint(harness, OFFICER, receiver, failing, RECORDED), \
            endpoint(harness, OFFICER, receiver, healthy, RECORDED):
        for _ in range(6):  # more than one endpoint's concurrency share (4)
            await record(harness)
        stop = asyncio.Event()
        started = time.monotonic()
        worker = asyncio.create_task(run_worker(harness.hub, stop, poll_seconds=0.05, grace_seconds=0))
        try:
            await wait_for(lambda: len(receiver.of(healthy)) == 6, within=5.0)
            elapsed = time.monotonic() - started
            # Every healthy delivery arrived while the slow receiver was still sitting on its first requests.
            assert elapsed < 5.0, elapsed
            assert len(receiver.of(slow)) >= 1 and all(
                r.at - started < 6.0 for r in receiver.of(healthy))
            await wait_for(lambda: len(receiver.of(failing)) >= 6, within=5.0)
        finally:
            stop.set()
            await worker


async def test_redirects_are_not_followed(harness: HubHarness, receiver: Receiver) -> None:
    await drain(harness.hub)
    path, target = f"redirect-{harness.backend}", f"target-{harness.backend}"
    receiver.answer(path, status=302, headers={"location": receiver.url(target)})
    async with endpoint(harness, OFFICER, receiver, path, RECORDED) as ep:
        await record(harness)
        await deliver(harness.hub)
        assert len(receiver.of(path)) == 1 and receiver.of(target) == []
        [row] = await rows_of(harness.hub, ep.pk)
        assert (row.status, row.last_status_code) == ("RETRYING", 302)
        assert "redirect not followed" in (row.last_error or "")


async def test_24_hours_of_failures_park_the_delivery_then_replay_delivers(
    harness: HubHarness, receiver: Receiver
) -> None:
    await drain(harness.hub)
    path = f"dead-{harness.backend}"
    receiver.answer(path, status=500)
    async with endpoint(harness, OFFICER, receiver, path, RECORDED) as ep:
        await record(harness)
        t0 = utc_now()
        ceiling = lambda c: c  # noqa: E731 (no jitter: the backoff ceiling itself)
        await deliver(harness.hub, now=lambda: t0, jitter=ceiling)
        [row] = await rows_of(harness.hub, ep.pk)
        assert row.status == "RETRYING" and row.next_attempt_at == t0 + timedelta(seconds=5)  # base 5 s
        await deliver(harness.hub, now=lambda: t0 + timedelta(seconds=5), jitter=ceiling)
        [row] = await rows_of(harness.hub, ep.pk)
        assert row.next_attempt_at == t0 + timedelta(seconds=5 + 10)  # doubling
        await deliver(harness.hub, now=lambda: t0 + timedelta(hours=23), jitter=ceiling)
        [row] = await rows_of(harness.hub, ep.pk)
        assert row.status == "RETRYING"
        assert row.next_attempt_at == t0 + timedelta(hours=23, seconds=20)
        await deliver(harness.hub, now=lambda: t0 + timedelta(hours=24, seconds=1))
        [row] = await rows_of(harness.hub, ep.pk)
        assert (row.status, row.attempts) == ("DEAD", 4)

        dead = (await gql(harness, OFFICER, DEAD_LETTERS))["data"]["deadLetters"]
        [letter] = [d for d in dead if d["webhookId"] == row.id]
        assert letter["status"] == "DEAD" and [a["statusCode"] for a in letter["attemptsLog"]] == [500] * 4
        assert code(await gql(harness, ACME, REPLAY, {"id": letter["id"]})) == "UNKNOWN_WEBHOOK_DELIVERY"

        receiver.answer(path)
        replayed = await gql(harness, OFFICER, REPLAY, {"id": letter["id"]})
        assert replayed["data"]["replayWebhookDelivery"]["status"] == "PENDING"
        assert code(await gql(harness, OFFICER, REPLAY, {"id": letter["id"]})) == "DELIVERY_NOT_DEAD"
        await deliver(harness.hub)
        [row] = await rows_of(harness.hub, ep.pk)
        assert (row.status, row.attempts) == ("DELIVERED", 5)
        assert receiver.of(path)[-1].headers["webhook-id"] == row.id
        still_dead = (await gql(harness, OFFICER, DEAD_LETTERS))["data"]["deadLetters"]
        assert row.id not in {d["webhookId"] for d in still_dead}


def test_backoff_doubles_from_5_seconds_up_to_one_hour() -> None:
    assert [backoff_ceiling(n, 5, 3600) for n in range(1, 12)] == [
        5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]
    assert backoff_ceiling(500, 5, 3600) == 3600


@pytest.mark.parametrize("failures", [1, 3])
def test_a_replay_starts_a_fresh_retry_window(failures: int) -> None:
    log: list[dict[str, Any]] = [{"at": "2026-01-01T00:00:00+00:00", "outcome": "RETRYING"}] * failures
    log += [{"at": "2026-01-02T00:00:00+00:00", "replayedBy": "x"}]
    assert attempts_since_replay(log) == []
    later = {"at": "2026-01-02T00:00:05+00:00", "outcome": "RETRYING"}
    assert attempts_since_replay([*log, later]) == [later]
