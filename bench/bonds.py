"""Bonds: a surety with 10,000 bonds pages through all of them (issue 5, "Performance").

    python -m bench.bonds [--bonds 10000] [--page 100] [--passes 3] [--sqlite]

Generates ``--bonds`` continuous bonds written by the demo surety (457), each for its own generated importer,
with a notice on every 10th bond (INSUFFICIENT) and two secured entries on every 4th (exposure), by multi-row
COPY on PostgreSQL (multi-row INSERTs of 1,000 rows on SQLite). Uses the PostgreSQL at HUB_TEST_POSTGRES_URL (default
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) in a throw-away database when it answers, else SQLite.
Then the surety's client pages through every bond over GraphQL (whole ASGI app in-process, keyset cursors)
``--passes`` times and prints: the first and the last page's median time and their ratio (goal <= 1.5), and the
SQL statements per page (goal: bounded, the same on every page).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from hub.app import create_app
from hub.db.bond_tables import Bond, BondInsufficiencyNotice, BondSecuredEntry
from hub.db.session import count_statements, transaction
from hub.db.tables import Organization, OrgKind
from hub.runtime import Hub, open_hub
from hub.services.demo import demo_clients, seed_parties
from hub.services.parties import organization_by_ref
from hub.settings import Settings

PG_ADMIN_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
SURETY = "demo-surety-liberty"
CHUNK = 1000
PAGE = """query Page($first: Int!, $after: String) { bonds(first: $first, after: $after) {
  edges { node { number status amount requiredAmount shortfall openExposure securedEntryCount
                 principal { id name } surety { code name } } }
  pageInfo { hasNextPage endCursor } } }"""


async def _admin(sql: str) -> None:
    engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def _postgres() -> str | None:
    name = f"hub_bench_{uuid.uuid4().hex[:10]}"
    try:
        await asyncio.wait_for(_admin(f'CREATE DATABASE "{name}"'), 5)
    except Exception as exc:
        print(f"PostgreSQL not reachable ({type(exc).__name__}); using SQLite")
        return None
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def _insert(hub: Hub, table: Any, rows: list[dict[str, Any]]) -> None:
    async with transaction(hub.sessions) as session:
        connection = await session.connection()
        if hub.engine.dialect.name == "postgresql":
            # PostgreSQL: COPY through asyncpg (DESIGN.md "Bulk loads use PostgreSQL COPY").
            raw: Any = (await connection.get_raw_connection()).driver_connection
            columns = list(rows[0])
            records = [tuple(_copy_value(r[c]) for c in columns) for r in rows]
            await raw.copy_records_to_table(table.name, records=records, columns=columns)
            return
        for i in range(0, len(rows), CHUNK):
            await connection.execute(insert(table).values(rows[i:i + CHUNK]))  # one multi-row INSERT each


def _copy_value(value: Any) -> Any:
    if isinstance(value, OrgKind):
        return value.value
    if isinstance(value, list):
        return json.dumps(value)
    return value


async def generate(hub: Hub, count: int, now: datetime) -> None:
    async with hub.sessions() as session:
        surety_id = (await organization_by_ref(session, "457")).id
    importers = [{"id": uuid.uuid4().hex, "slug": f"bench-importer-{i}", "name": f"Bench Importer {i:05d} Inc.",
                  "kind": OrgKind.IMPORTER, "created_at": now} for i in range(count)]
    bonds, notices, entries = [], [], []
    for i, org in enumerate(importers):
        bond_id = uuid.uuid4().hex
        bonds.append({
            "id": bond_id, "number": f"B{i:08d}", "type": "CONTINUOUS", "purpose": "GENERAL", "activity_code": "1",
            "principal_org_id": org["id"], "principal_name": org["name"], "surety_org_id": surety_id,
            "co_surety_org_id": None, "filed_by_org_id": surety_id, "amount": Decimal(50_000 + (i % 20) * 10_000),
            "effective_on": date(2025, 1, 1), "terminates_on": None, "riders": [],
            "dtf": Decimal(300_000 + (i * 7919) % 2_000_000), "entered_value": None, "pga_regulated": False,
            "adcvd_rate_percent": None, "adcvd_subject_value": None, "sites": 1, "supersedes_bond_id": None,
            "filed_at": now, "filed_by_client": "bench", "version": 1})
        if i % 10 == 0:
            notices.append({"id": uuid.uuid4().hex, "bond_id": bond_id, "noticed_at": now - timedelta(days=20),
                            "reason": "AMOUNT_BELOW_REQUIRED", "required_amount": None, "note": None,
                            "recorded_at": now, "recorded_by_client": "bench", "superseded_by_bond_id": None,
                            "superseded_at": None})
        if i % 4 == 0:
            for k in range(2):
                entries.append({"id": uuid.uuid4().hex, "bond_id": bond_id, "entry_number": f"ZZ8{i:07d}{k}",
                                "entry_date": (now - timedelta(days=30 + k)).date(),
                                "entered_value": Decimal("10000.00"), "dtf": Decimal("500.00"),
                                "adcvd_bonded": k == 1, "adcvd_open": Decimal("250.00") * k,
                                "surety_code": "457" if k == 1 else None, "secured_at": now,
                                "secured_by_client": "bench"})
    start = time.perf_counter()
    tables = SQLModel.metadata.tables
    for model, rows in ((Organization, importers), (Bond, bonds), (BondInsufficiencyNotice, notices),
                        (BondSecuredEntry, entries)):
        await _insert(hub, tables[str(model.__tablename__)], rows)
    how = "COPY" if hub.engine.dialect.name == "postgresql" else f"multi-row INSERTs of {CHUNK}"
    print(f"generated {count} importers, {len(bonds)} bonds, {len(notices)} notices, {len(entries)} secured "
          f"entries in {time.perf_counter() - start:.1f} s ({how})")


async def run(count: int, page: int, passes: int, use_sqlite: bool) -> None:
    url = None if use_sqlite else await _postgres()
    data = Path(tempfile.mkdtemp(prefix="hub-bench-bonds-"))
    hub = await open_hub(Settings(data_dir=data, database_url=url, demo=True, issuer="https://hub.bench"))
    try:
        print(f"database: {hub.engine.dialect.name}")
        now = datetime.now(UTC)
        await seed_parties(hub.sessions, now)
        await generate(hub, count, now)
        if hub.engine.dialect.name == "postgresql":
            async with hub.engine.connect() as conn:
                await conn.execute(text("ANALYZE"))
        async with hub.sessions() as session:
            secret = {c["client_id"]: c for c in await demo_clients(session)}[SURETY]["client_secret"]
        statements = count_statements(hub.engine)
        transport = httpx.ASGITransport(app=create_app(hub))
        async with httpx.AsyncClient(transport=transport, base_url="https://hub.bench", timeout=60) as c:
            token = (await c.post("/oauth/token", data={"grant_type": "client_credentials"},
                                  auth=(SURETY, secret))).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            timings: list[list[float]] = []
            per_page: list[int] = []
            for n in range(passes + 1):  # the first pass warms caches and is not counted
                after, times, seen = None, [], 0
                while True:
                    before = len(statements)
                    started = time.perf_counter()
                    response = await c.post("/graphql", headers=headers,
                                            json={"query": PAGE, "variables": {"first": page, "after": after}})
                    elapsed = time.perf_counter() - started
                    body = response.json()
                    assert response.status_code == 200 and "errors" not in body, body
                    per_page.append(len(statements) - before)
                    times.append(elapsed)
                    result = body["data"]["bonds"]
                    seen += len(result["edges"])
                    if not result["pageInfo"]["hasNextPage"]:
                        break
                    after = result["pageInfo"]["endCursor"]
                assert seen >= count, seen
                if n:
                    timings.append(times)
    finally:
        await hub.close()
        if url is not None:
            await _admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    first = statistics.median(t[0] for t in timings)
    last = statistics.median(t[-1] for t in timings)
    middle = statistics.median(statistics.median(t) for t in timings)
    pages = len(timings[0])
    print(f"surety {SURETY} pages through {seen} bonds: {pages} pages of {page}, {passes} passes (medians)")
    print(f"  first page {first * 1000:7.1f} ms   median page {middle * 1000:7.1f} ms   "
          f"last page {last * 1000:7.1f} ms")
    print(f"  SQL statements per page: min {min(per_page)}, max {max(per_page)} (goal: bounded)")
    print(f"  ratio last/first = {last / first:.2f} (goal <= 1.5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bonds", type=int, default=10_000)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true", help="skip PostgreSQL even when it answers")
    args = parser.parse_args()
    print(f"bench.bonds on {os.cpu_count()} cores; client and server share them")
    asyncio.run(run(args.bonds, args.page, args.passes, args.sqlite))


if __name__ == "__main__":
    main()
