"""The clock scheduler: each time-driven event once, across repeated and concurrent scans (restarts keep
nothing in memory, so a second scan is what a restarted worker does)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from hub.db.event_tables import OutboxEvent
from hub.events.dispatcher import utc_now
from hub.events.outbox import TIME_EVENTS
from hub.events.scheduler import scan
from hub.graphql.relay import from_global_id
from tests.conftest import HubHarness
from tests.graphql.detention_helpers import days_ago, record, step


async def _time_events(harness: HubHarness, pk: str) -> Counter[str]:
    async with harness.hub.sessions() as session:
        rows = (await session.exec(select(OutboxEvent).where(col(OutboxEvent.object_id) == pk,
                                                             col(OutboxEvent.type).in_(TIME_EVENTS)))).all()
    return Counter(r.dedupe_key or f"(no key) {r.type}" for r in rows)


async def test_lapsed_window_and_missed_deadlines_are_emitted_once(harness: HubHarness) -> None:
    node = await record(harness, presented_at=days_ago(20))
    pk = from_global_id(node["id"])[1]
    assert "errors" not in await step(harness, "detainGoods", node["id"], at=days_ago(19.9))
    assert "errors" not in await step(harness, "sendNoticeOfDetention", node["id"], at=days_ago(19))
    assert await _time_events(harness, pk) == Counter()

    now = utc_now()
    await scan(harness.hub, now)
    first = await _time_events(harness, pk)
    # § 133.21(b)(2)(i)(B): the 7 business days after the notice have passed;
    # R-IPR-03: limited information was due with the notice and was never released.
    assert [k.split(":")[0] for k in first.elements()].count("detention.window_lapsed") == 1
    assert any(k.startswith(f"detention.deadline_missed:{pk}:LIMITED_INFORMATION:") for k in first)
    assert set(first.values()) == {1}

    await scan(harness.hub, now)  # a second scan, as after a restart
    await asyncio.gather(scan(harness.hub, now + timedelta(minutes=1)), scan(harness.hub, now + timedelta(minutes=1)))
    assert await _time_events(harness, pk) == first


async def test_deemed_exclusion_after_30_days_is_emitted_once(harness: HubHarness) -> None:
    node = await record(harness, presented_at=days_ago(31))
    pk = from_global_id(node["id"])[1]
    now = utc_now()
    for _ in range(2):
        await scan(harness.hub, now)
    events = await _time_events(harness, pk)
    # R-IPR-11, § 133.21(b)(1): not released within 30 days of presentation.
    deemed = [k for k in events if k.startswith("detention.deemed_excluded:")]
    assert len(deemed) == 1 and events[deemed[0]] == 1
    async with harness.hub.sessions() as session:
        event = (await session.exec(select(OutboxEvent).where(
            col(OutboxEvent.object_id) == pk, col(OutboxEvent.type) == "detention.deemed_excluded"))).one()
    presented = datetime.fromisoformat(node["presentedAt"]).astimezone(UTC)
    assert event.occurred_at == presented + timedelta(days=30)  # the instant it happened, not the scan's
