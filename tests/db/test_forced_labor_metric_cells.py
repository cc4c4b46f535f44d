"""The stored forced-labor metric cells (fl_metric_cells) equal a from-scratch recomputation (issue 7, item 5 and
"Performance"): after the demo's writes, after new detentions and CBP steps in one transaction, after
``rebuild_cells``, at any ``now`` (UFLPA deemed exclusions still ahead are recomputed live) and with any filter.
Runs on SQLite and PostgreSQL (the ``harness`` fixture); the new writes are rolled back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.forced_labor_tables import ForcedLaborDetention, ForcedLaborMetricCell, ForcedLaborOrder
from hub.db.tables import Organization, OrgKind
from hub.services import forced_labor
from hub.services import forced_labor_metrics as m
from tests.conftest import HubHarness

FAR = datetime(9999, 1, 1, tzinfo=UTC)  # every UFLPA deemed exclusion has come: nothing recomputed live


async def _same(session: AsyncSession, now: datetime, since: date | None = None, until: date | None = None,
                order_id: str | None = None) -> int:
    cells = 0
    for period in m.Period:
        got = await m.metrics(session, period, now, since, until, order_id)
        assert got == await m.computed_metrics(session, period, now, since, until, order_id), (period, now)
        cells += len(got)
    return cells


async def _stored(session: AsyncSession) -> list[ForcedLaborMetricCell]:
    rows = (await session.exec(select(ForcedLaborMetricCell))).all()
    return sorted((ForcedLaborMetricCell.model_validate(r) for r in rows),
                  key=lambda c: (c.period_kind, c.period, c.order_key))


async def _tops_match_python(session: AsyncSession) -> int:
    """The disclosure columns (largest importer's detentions and value per cell, migration 0011) equal a plain
    Python grouping of the detentions: an independent check of the SQL, not only stored == recomputed."""
    per: dict[tuple[str, str, str], dict[str, list[int]]] = {}
    for d in (await session.exec(select(ForcedLaborDetention))).all():
        for period in m.Period:
            cell = per.setdefault((period.value, m.period_key(d.detained_on, period), d.order_id or ""), {})
            mine = cell.setdefault(d.importer_org_id, [0, 0])
            mine[0] += 1
            mine[1] += int(d.value * 100)
    stored = await _stored(session)
    assert {(c.period_kind, c.period, c.order_key) for c in stored} == set(per)
    for c in stored:
        importers = per[(c.period_kind, c.period, c.order_key)]
        assert c.importers == len(importers)
        assert c.top_importer_shipments == max(n for n, _ in importers.values())
        assert c.top_importer_value_cents == max(v for _, v in importers.values())
    return len(stored)


async def test_cells_kept_by_the_demo_writes_equal_a_recomputation(harness: HubHarness) -> None:
    now = datetime.now(UTC)
    async with harness.hub.sessions() as session:
        assert await _same(session, FAR) > 0  # the stored cells alone
        assert await _tops_match_python(session) > 0
        for at in (now, now - timedelta(days=20), now - timedelta(days=400), now + timedelta(days=40)):
            await _same(session, at)
        year = now.year
        await _same(session, now, date(year - 1, 1, 1), date(year, 12, 31))  # whole periods: stored cells
        await _same(session, now, date(year - 1, 2, 15), date(year, 3, 3))  # cut periods: recomputed
        some = (await session.exec(select(ForcedLaborDetention.order_id).where(
            col(ForcedLaborDetention.order_id).is_not(None)))).first()
        await _same(session, now, order_id=some)


async def test_cells_follow_every_write_in_its_transaction_and_equal_a_rebuild(harness: HubHarness) -> None:
    hub, now = harness.hub, datetime.now(UTC)
    async with hub.sessions() as session:
        importers = (await session.exec(select(Organization.id).where(
            Organization.kind == OrgKind.IMPORTER).order_by(Organization.id))).all()
        order = (await session.exec(select(ForcedLaborOrder).where(
            ForcedLaborOrder.order_type == "WRO", ForcedLaborOrder.status == "ACTIVE").order_by(
            ForcedLaborOrder.effective_on))).first()
        assert order is not None and len(importers) >= 2

        async def detain(authority: str, days_ago: int, importer: str, value: str) -> str:
            presented = now - timedelta(days=days_ago)
            spec = forced_labor.NewDetention(
                authority=authority, order_id=order.id if authority == "WRO" else None,
                entry_number="ABC-1234567-6", importer_org_id=importer, port_code="2704", description="cells test",
                value=value, imported_on=(presented - timedelta(days=1)).date(), presented_at=presented)
            row = await forced_labor.prepare_detention(session, spec, hub.calendar, now)
            return (await forced_labor.record_detention(session, row, "test", now)).id

        try:
            wro = [await detain("WRO", 200, importers[i % 2], f"{1000 + i}.{i:02d}") for i in range(5)]
            uflpa = [await detain("UFLPA", days, importers[0], "99.99") for days in (400, 45, 10)]
            await _same(session, now)
            steps = [(wro[0], "RELEASE", 30), (wro[1], "EXCLUDE", 100), (wro[1], "EXPORT", 130),
                     (wro[2], "RELEASE", 120), (uflpa[1], "RELEASE", 5)]
            for detention, action, after in steps:
                row = await session.get(ForcedLaborDetention, detention)
                assert row is not None
                await forced_labor.record_action(session, detention, action, row.presented_at + timedelta(days=after),
                                                 hub.calendar, now)
                await _same(session, now)
            for at in (FAR, now - timedelta(days=30), now + timedelta(days=60)):
                await _same(session, at)
            await _tops_match_python(session)
            kept = await _stored(session)
            await m.rebuild_cells(session)
            assert [c.model_dump() for c in await _stored(session)] == [c.model_dump() for c in kept]
        finally:
            await session.rollback()


async def test_migration_0011_fills_the_disclosure_columns_like_the_writes(harness: HubHarness) -> None:
    """Migration 0011's self-contained UPDATE gives the cells already stored the same largest-importer figures as
    ``refresh_cells`` (checked on the demo's cells and this session's; rolled back)."""
    import importlib

    from sqlalchemy import text, update
    migration = importlib.import_module("hub.db.migrations.versions.0011_metric_cell_disclosure")
    async with harness.hub.sessions() as session:
        try:
            kept = [c.model_dump() for c in await _stored(session)]
            assert any(c["top_importer_shipments"] for c in kept)
            await session.exec(update(ForcedLaborMetricCell).values(top_importer_shipments=0,
                                                                    top_importer_value_cents=0))
            connection = await session.connection()
            for period in m.Period:
                await connection.execute(text(migration.fill_sql(connection.dialect.name, period.value)))
            assert [c.model_dump() for c in await _stored(session)] == kept
        finally:
            await session.rollback()
