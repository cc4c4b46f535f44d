"""Entries: bulk import of generated entry lines against a bare Core bulk insert, and its memory (issue 6).

    python -m bench.entries [--lines 100000] [--batch 2000] [--seed 6]
    python -m bench.entries --postgres          # a temporary database on HUB_TEST_POSTGRES_URL's server

1. Generates a CSV of ``--lines`` entry lines (1 to 5 lines per entry, about a third of them with an AD/CVD case
   number from the real orders list, some in ACE company form ``A570067000``, a few cases given cash deposit
   rates) for an importer of record the bench creates, filed by a filer code the Hub does not know.
2. Imports it with hub.services.entry_import.import_entries (validation, lookups, outbox events, one
   transaction per ``--batch`` lines) and prints lines/s.
3. Reads the stored entries and lines back, empties the two tables, and inserts the same rows (same column
   values) with a bare SQLAlchemy Core ``insert()`` executemany, one transaction per ``--batch`` lines; prints
   lines/s and the ratio import/bare (goal >= 0.5).
4. Imports the first 25% of the file and then the whole file again (tables emptied before each) under
   tracemalloc and prints both peaks and their ratio (goal: flat, the file is streamed).

Everything runs in one process; the temporary database and files are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import os
import random
import re
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col, select

from hub.db.adcvd_tables import AdcvdCase, AdcvdCompanyRate, Entry, EntryLine
from hub.db.session import transaction
from hub.db.tables import Organization, OrgKind
from hub.domain.identifiers import entry_check_digit
from hub.domain.reference import csv_rows
from hub.runtime import Hub, open_hub
from hub.services.adcvd_cases import ORDERS_FILE, load_packaged
from hub.services.demo import seed_parties
from hub.services.entry_import import COLUMNS, import_entries
from hub.services.parties import organization_by_ref
from hub.settings import Settings

PG_ADMIN_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
IOR = "99-1234567AB"  # the bench importer's (well-formed, not a demo party's)
FILER = "BN7"  # not a Hub member: filer_org_id stays empty, as for most real filers
RATED = 12  # cases given an all-others cash deposit rate, so deposit amounts are computed
CASE_RE = re.compile(r"[AC]-\d{3}-\d{3}")
PORTS = ("2704", "1001", "4601", "3901", "5301")


def real_cases() -> list[str]:
    """Well-formed case numbers of the real orders list (the source's flagged errors left out)."""
    return sorted({r["case_number"] for r in csv_rows(ORDERS_FILE)
                   if CASE_RE.fullmatch(r["case_number"]) and not r["data_quality_note"]})


def rows(lines: int, cases: list[str], seed: int) -> Iterator[dict[str, str]]:
    """``lines`` entry lines, whole entries of 1 to 5 lines; deterministic, so a smaller run is a prefix."""
    rng = random.Random(seed)
    written, serial = 0, 0
    while written < lines:
        serial += 1
        base = f"{FILER}{serial:07d}"
        number = f"{FILER}-{serial:07d}-{entry_check_digit(base)}"
        entry_date = date(2024, 1, 1) + timedelta(days=rng.randrange(700))
        head = {"entry_number": number, "entry_type": "03", "importer_ior": IOR, "filer_code": FILER,
                "port_code": rng.choice(PORTS), "entry_date": entry_date.isoformat(), "bond_number": "",
                "liquidation_date": (entry_date + timedelta(days=314)).isoformat() if rng.random() < 0.2 else ""}
        for line in range(1, min(rng.randint(1, 5), lines - written) + 1):
            case = ""
            if rng.random() < 0.35:
                case = rng.choice(cases)
                if rng.random() < 0.3:
                    case = case.replace("-", "") + "000"  # the ACE company form
            yield head | {"line_number": str(line), "hts_number": f"{rng.randrange(1000, 9999)}.{rng.randrange(10, 99)}"
                          f".{rng.randrange(1000, 9999)}", "country_of_origin": rng.choice(("CN", "VN", "IN", "MX")),
                          "entered_value": f"{rng.randrange(100, 2_000_000) / 100:.2f}", "adcvd_case_number": case}
            written += 1


def write_csv(path: Path, lines: int, cases: list[str], seed: int) -> int:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows(lines, cases, seed))
    return path.stat().st_size


async def prepare(hub: Hub, cases: list[str], now: datetime) -> str:
    """Demo parties, the real orders list, a few rates, the bench importer; returns the recorder (CBP) id."""
    await seed_parties(hub.sessions, now)
    async with transaction(hub.sessions) as session:
        await load_packaged(session, now)
        rated = (await session.exec(select(AdcvdCase).where(col(AdcvdCase.number).in_(cases[::len(cases) // RATED]))
                                    )).all()
        for n, case in enumerate(rated):
            session.add(AdcvdCompanyRate(case_id=case.id, company_suffix="000", company_name="All others (bench)",
                                         rate_percent=Decimal(f"{10 + 7 * n}.25"), effective_from=date(2000, 1, 1)))
        session.add(Organization(slug="bench-importer", name="Bench Importer Inc.", kind=OrgKind.IMPORTER,
                                 ior_number=IOR, ior_kind="IRS", created_at=now))
        return (await organization_by_ref(session, "cbp-port-la")).id


async def empty(hub: Hub) -> None:
    async with hub.engine.begin() as conn:
        if hub.engine.dialect.name == "postgresql":
            await conn.execute(text("TRUNCATE entry_lines, entries"))
        else:
            await conn.execute(text("DELETE FROM entry_lines"))
            await conn.execute(text("DELETE FROM entries"))
        await conn.execute(text("DELETE FROM outbox_events WHERE type = 'adcvd.entry_recorded'"))
    if hub.engine.dialect.name == "postgresql":
        async with hub.engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
                text("VACUUM ANALYZE entries, entry_lines, outbox_events"))


async def stored_rows(hub: Hub) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Every stored entry with its lines, as column dicts, in entry-number order."""
    entry_cols = list(Entry.__table__.columns)  # type: ignore[attr-defined]
    line_cols = list(EntryLine.__table__.columns)  # type: ignore[attr-defined]
    async with hub.engine.connect() as conn:
        entries = [dict(r._mapping) for r in await conn.execute(
            select(*entry_cols).order_by(entry_cols[[c.name for c in entry_cols].index("number")]))]
        by_entry: dict[str, list[dict[str, Any]]] = {}
        for r in await conn.execute(select(*line_cols)):
            by_entry.setdefault(r.entry_id, []).append(dict(r._mapping))
    return [(e, sorted(by_entry[e["id"]], key=lambda ln: ln["line_number"])) for e in entries]


async def bare_insert(hub: Hub, data: list[tuple[dict[str, Any], list[dict[str, Any]]]], batch: int) -> float:
    """The same rows by Core insert() executemany, one transaction per ``batch`` lines; returns seconds."""
    entries_t, lines_t = Entry.__table__, EntryLine.__table__  # type: ignore[attr-defined]
    start = time.perf_counter()
    pending_e: list[dict[str, Any]] = []
    pending_l: list[dict[str, Any]] = []
    for entry, lines in data:
        pending_e.append(entry)
        pending_l += lines
        if len(pending_l) >= batch:
            async with hub.engine.begin() as conn:
                await conn.execute(insert(entries_t), pending_e)
                await conn.execute(insert(lines_t), pending_l)
            pending_e, pending_l = [], []
    if pending_e:
        async with hub.engine.begin() as conn:
            await conn.execute(insert(entries_t), pending_e)
            await conn.execute(insert(lines_t), pending_l)
    return time.perf_counter() - start


async def peak_memory(hub: Hub, path: Path, recorder: str, batch: int) -> tuple[int, int]:
    """(tracemalloc peak bytes during one import of ``path``, lines accepted), tables emptied first."""
    await empty(hub)
    gc.collect()
    tracemalloc.start()
    try:
        report = await import_entries(hub.sessions, path, recorder, "bench", datetime.now(UTC), batch_lines=batch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not report.rejected, report.rejected[:3]
    return peak, report.accepted


async def _admin(sql: str) -> None:
    engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace) -> None:
    name = f"hub_bench_{uuid.uuid4().hex[:10]}"
    url = None
    if args.postgres:
        await _admin(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    data = Path(tempfile.mkdtemp(prefix="hub-bench-entries-"))
    hub = await open_hub(Settings(data_dir=data, database_url=url, demo=True, issuer="https://hub.bench"))
    try:
        print(f"database: {hub.engine.dialect.name}")
        now = datetime.now(UTC)
        cases = real_cases()
        recorder = await prepare(hub, cases, now)
        full, quarter = data / "entries.csv", data / "entries-25.csv"
        size = write_csv(full, args.lines, cases, args.seed)
        write_csv(quarter, args.lines // 4, cases, args.seed)
        print(f"generated {args.lines} lines ({size / 1e6:.1f} MB), {len(cases)} real case numbers in use")

        await empty(hub)
        start = time.perf_counter()
        report = await import_entries(hub.sessions, full, recorder, "bench", now, batch_lines=args.batch)
        took = time.perf_counter() - start
        assert report.accepted == args.lines and not report.rejected, report.rejected[:3]
        imported = report.accepted / took
        print(f"import_entries: {report.accepted} lines in {report.entries} entries, {took:.1f} s, "
              f"{imported:,.0f} lines/s (batches of {args.batch} lines)")

        data_rows = await stored_rows(hub)
        with_case = sum(1 for _, ls in data_rows for ln in ls if ln["case_id"])
        with_deposit = sum(1 for _, ls in data_rows for ln in ls if ln["deposit_amount"] is not None)
        await empty(hub)
        bare_s = await bare_insert(hub, data_rows, args.batch)
        bare = args.lines / bare_s
        print(f"bare Core insert() executemany: the same {len(data_rows)} entries and {args.lines} lines "
              f"({with_case} with a case, {with_deposit} with a deposit), {bare_s:.1f} s, {bare:,.0f} lines/s")
        del data_rows
        print(f"ratio import/bare = {imported / bare:.2f} (goal >= 0.5)")

        small_peak, small_lines = await peak_memory(hub, quarter, recorder, args.batch)
        big_peak, big_lines = await peak_memory(hub, full, recorder, args.batch)
        print(f"tracemalloc peak: {small_lines} lines {small_peak / 2**20:.1f} MiB, {big_lines} lines "
              f"{big_peak / 2**20:.1f} MiB, ratio 100%/25% = {big_peak / small_peak:.2f} (goal: flat, ~1)")
    finally:
        await hub.close()
        if args.postgres:
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000, help="lines per transaction (import_entries' default)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    print(f"bench.entries on {os.cpu_count()} cores; the database shares them")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
