"""Forced labor: metrics over 100,000 generated detentions, computed in the database (issue 7, "Performance").

    python -m bench.forced_labor [--detentions 100000] [--runs 7] [--postgres | --sqlite]

Generates ``--detentions`` detentions under the real WRO/Finding list (and UFLPA), spread over 2021-2026, for 200
generated importers, with every outcome, by COPY on PostgreSQL (multi-row INSERTs on SQLite), in a throw-away
database at HUB_TEST_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres), then rebuilds the
metric cells (a bulk load bypasses the writes that keep them) and checks that the metrics equal the GROUP BY over the
detentions. Then it times the whole metrics call (hub.services.forced_labor_metrics.metrics: the stored cells per
order and quarter, the cells with a UFLPA deemed exclusion still ahead recomputed live, Python rows) and a plain
``SELECT count(*)`` over the same rows, ``--runs`` times each after a warm-up, and prints the medians and their
ratio from that one run (goal <= 5), with the full GROUP BY's time for reference.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bench.bonds import _admin, _insert, _postgres
from hub.db.forced_labor_tables import ForcedLaborDetention, ForcedLaborOrder
from hub.db.session import transaction
from hub.db.tables import Organization, OrgKind
from hub.domain import forced_labor as fl
from hub.runtime import open_hub
from hub.services import forced_labor_metrics as metrics
from hub.services.forced_labor_orders import import_orders, reference_records
from hub.settings import Settings


def _rows(count: int, order_ids: list[tuple[str, str]], importers: list[str], now: datetime) -> list[dict[str, Any]]:
    rng = random.Random(7)
    start = datetime(2021, 1, 1, tzinfo=UTC)
    span = (now - start).days - 1
    out = []
    for i in range(count):
        order_id, authority = rng.choice(order_ids)
        presented = start + timedelta(days=rng.randrange(span), minutes=rng.randrange(1440))
        imported = (presented - timedelta(days=rng.randrange(1, 5))).date()
        ev = fl.Events(fl.Authority(authority), imported, presented)
        window = fl.proof_due_on(imported) if authority != "UFLPA" else (presented + timedelta(days=30)).date()
        roll = rng.random()
        outcome, at = None, None
        if roll < 0.85:
            at = presented + timedelta(days=rng.randrange(1, 150))
            if at > now:
                at = None
            else:
                outcome = rng.choice(["RELEASED", "EXPORTED", "EXCLUDED", "SEIZED" if authority == "FINDING"
                                      else "RELEASED"])
        out.append({
            "id": uuid.uuid4().hex, "case_number": f"FL-BENCH-{i:07d}", "authority": authority,
            "order_id": order_id or None, "entry_number": "ABC-1234567-6", "importer_org_id": rng.choice(importers),
            "port_code": "2704", "description": "bench", "value": Decimal(rng.randrange(100_000, 50_000_000)) / 100,
            "imported_on": imported, "presented_at": presented, "detained_on": presented.date(),
            "window_ends_on": window,
            "deemed_excluded_at": presented + timedelta(days=30) if ev.authority is fl.Authority.UFLPA else None,
            "released_at": at if outcome == "RELEASED" else None,
            "exclusion_noticed_at": at if outcome == "EXCLUDED" else None, "protested_at": None,
            "exported_at": at if outcome == "EXPORTED" else None, "seized_at": at if outcome == "SEIZED" else None,
            "outcome": outcome, "resolved_on": at.date() if at else None,
            "resolution_days": fl.resolution_days(presented, at) if at else None, "decision_note": None,
            "recorded_at": presented, "recorded_by_client": "bench", "version": 1})
    return out


async def _time(hub: Any, work: Callable[[AsyncSession], Awaitable[object]], runs: int) -> float:
    times = []
    for n in range(runs + 1):
        async with hub.sessions() as session:
            await session.connection()
            started = time.perf_counter()
            await work(session)
            if n:  # the first run warms caches and is not counted
                times.append(time.perf_counter() - started)
    return statistics.median(times)


async def run(count: int, runs: int, use_postgres: bool) -> None:
    url = await _postgres() if use_postgres else None
    data = Path(tempfile.mkdtemp(prefix="hub-bench-fl-"))
    hub = await open_hub(Settings(data_dir=data, database_url=url, demo=True, issuer="https://hub.bench"))
    try:
        dialect = hub.engine.dialect.name
        print(f"database: {dialect}")
        now = datetime.now(UTC)
        async with transaction(hub.sessions) as session:
            await import_orders(session, reference_records(), now)
        async with hub.sessions() as session:
            listed = (await session.exec(select(ForcedLaborOrder.id, ForcedLaborOrder.order_type))).all()
        order_ids = [(i, str(t)) for i, t in listed] + [("", "UFLPA")] * 10
        importers = [{"id": uuid.uuid4().hex, "slug": f"bench-importer-{i}", "name": f"Bench Importer {i}",
                      "kind": OrgKind.IMPORTER, "created_at": now} for i in range(200)]
        rows = _rows(count, order_ids, [o["id"] for o in importers], now)
        started = time.perf_counter()
        tables = SQLModel.metadata.tables
        await _insert(hub, tables[str(Organization.__tablename__)], importers)
        for i in range(0, len(rows), 20_000):
            await _insert(hub, tables[str(ForcedLaborDetention.__tablename__)], rows[i:i + 20_000])
        how = "COPY" if dialect == "postgresql" else "multi-row INSERTs"
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        async with transaction(hub.sessions) as session:  # a bulk load bypasses the writes that keep the cells
            await metrics.rebuild_cells(session)
        print(f"generated {count} detentions under {len(listed)} orders + UFLPA in {loaded:.1f} s ({how}); "
              f"metric cells rebuilt in {time.perf_counter() - started:.2f} s")
        if dialect == "postgresql":
            async with hub.engine.connect() as conn:
                await conn.execute(text("ANALYZE"))
        quarter = metrics.Period.QUARTER
        plain = select(func.count()).select_from(ForcedLaborDetention)
        async with hub.sessions() as session:
            cells = await metrics.metrics(session, quarter, now)
            assert cells == await metrics.computed_metrics(session, quarter, now)  # exact: the cells equal a GROUP BY
        assert sum(c.shipments or 0 for c in cells) == count

        async def count_all(session: AsyncSession) -> object:
            return (await (await session.connection()).execute(plain)).scalar_one()

        metric_s = await _time(hub, lambda session: metrics.metrics(session, quarter, now), runs)
        count_s = await _time(hub, count_all, runs)
        group_s = await _time(hub, lambda session: metrics.computed_metrics(session, quarter, now), runs)
    finally:
        await hub.close()
        if url is not None:
            await _admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    print(f"metrics per order and quarter: {len(cells)} cells over {count} detentions ({runs} runs, medians)")
    print(f"  metrics call (stored cells, live cells recomputed) {metric_s * 1000:8.1f} ms   "
          f"plain count(*) {count_s * 1000:8.1f} ms")
    print(f"  for reference, the full GROUP BY over the detentions {group_s * 1000:8.1f} ms "
          f"({group_s / count_s:.1f}x count)")
    print(f"  ratio metrics/count = {metric_s / count_s:.2f} (goal <= 5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--detentions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true", help="PostgreSQL (the default when it answers)")
    where.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    print(f"bench.forced_labor on {os.cpu_count()} cores")
    asyncio.run(run(args.detentions, args.runs, not args.sqlite))


if __name__ == "__main__":
    main()
