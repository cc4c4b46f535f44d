"""The disclosure log on SQLite and PostgreSQL: appends chain, tampering is caught, concurrency cannot fork."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

import hub.audit.log as audit_log
from hub.audit.chain import CHAINED_FIELDS, GENESIS, entry_hash
from hub.audit.log import Disclosure, accesses, record, verify
from hub.db import migrate
from hub.db.audit_tables import DisclosureChannel, DisclosureEntry
from hub.db.session import count_statements, create_engine, sessionmaker, transaction
from hub.errors import InvalidInput
from tests.conftest import fresh_postgres_database

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@dataclass
class Db:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    backend: str

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.engine.begin() as conn:
            result = await conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []


async def _open(url: str, backend: str) -> AsyncIterator[Db]:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        yield Db(engine, sessionmaker(engine), backend)
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Db]:
    """A freshly migrated, empty database per test, on each backend."""
    if request.param == "sqlite":
        async for d in _open(f"sqlite+aiosqlite:///{tmp_path / 'audit.sqlite3'}", "sqlite"):
            yield d
        return
    async with fresh_postgres_database() as url:
        async for d in _open(url, "postgres"):
            yield d


def disclosure(n: int = 0, *, object_id: str = "det-1", **changes: Any) -> Disclosure:
    d = Disclosure(
        client_id=f"client-{n % 3}",
        organization_id=f"org-{n % 3}",
        object_type="Detention",
        object_id=object_id,
        item="images:UNREDACTED" if n % 2 else "importer.name",
        rule_ids=("R-DET-01", "R-DET-07"),
        policy_version="cedar-0123456789ab",
        channel=DisclosureChannel.GRAPHQL,
        at=NOW + timedelta(seconds=n),
        request_id=f"req-{n}",
    )
    return replace(d, **changes)


async def append(db: Db, *batches: list[Disclosure]) -> None:
    for batch in batches:
        async with transaction(db.sessions) as session:
            await record(session, batch)


async def filled(db: Db, n: int = 12) -> None:
    """``n`` entries in transactions of 1, 2, 3, ... disclosures."""
    batches: list[list[Disclosure]] = []
    i = 0
    while i < n:
        size = min(len(batches) + 1, n - i)
        batches.append([disclosure(i + k) for k in range(size)])
        i += size
    await append(db, *batches)


async def check(db: Db, batch: int = 5000) -> audit_log.VerifyResult:
    async with db.sessions() as session:
        return await verify(session, batch)


async def entries(db: Db) -> list[DisclosureEntry]:
    async with db.sessions() as session:
        return list((await session.exec(select(DisclosureEntry).order_by(col(DisclosureEntry.seq)))).all())


# ------------------------------------------------------------------------------------ appending --

async def test_appended_entries_form_one_verified_chain(db: Db) -> None:
    await filled(db, 12)
    rows = await entries(db)
    assert [r.seq for r in rows] == list(range(1, 13))
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert rows[3].rule_ids == "R-DET-01,R-DET-07" and rows[3].channel == "GRAPHQL"
    for batch in (5000, 5, 1):  # batch boundaries must not matter
        result = await check(db, batch)
        assert result.ok and result.entries == 12 and result.first_bad_seq is None and result.problem is None
        assert result.head_hash == rows[-1].hash


async def test_an_empty_log_verifies(db: Db) -> None:
    assert await check(db) == audit_log.VerifyResult(True, 0)


async def test_time_is_stored_as_the_same_instant_whatever_the_offset(db: Db) -> None:
    east = NOW.astimezone(timezone(timedelta(hours=5, minutes=30)))
    await append(db, [disclosure(0, at=east)])
    (row,) = await entries(db)
    stored = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)  # SQLite returns naive UTC
    assert stored == NOW
    assert (await check(db)).ok


async def test_rolled_back_appends_leave_no_entry_and_no_gap(db: Db) -> None:
    await append(db, [disclosure(0)])
    with pytest.raises(RuntimeError):
        async with transaction(db.sessions) as session:
            await record(session, [disclosure(1), disclosure(2)])
            raise RuntimeError("the request failed after disclosing")
    await append(db, [disclosure(3)])
    assert [r.seq for r in await entries(db)] == [1, 2]
    assert (await check(db)).ok


@pytest.mark.parametrize(
    "bad",
    [{"at": NOW.replace(tzinfo=None)}, {"rule_ids": ("R-1,R-2",)}, {"rule_ids": ("",)}, {"channel": "EMAIL"}],
)
async def test_invalid_disclosures_are_rejected_before_anything_is_written(db: Db, bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        await append(db, [disclosure(0), disclosure(1, **bad)])
    assert await entries(db) == []


async def test_recording_nothing_takes_no_lock(db: Db) -> None:
    statements = count_statements(db.engine)
    async with transaction(db.sessions) as session:
        await record(session, [])
    assert statements == []


# ------------------------------------------------------------------------------------ tampering --

async def test_an_edited_entry_is_found(db: Db) -> None:
    await filled(db, 12)
    await db.sql("UPDATE disclosure_log SET item = 'importer.address' WHERE seq = 5")
    result = await check(db, batch=3)
    assert not result.ok and result.first_bad_seq == 5 and result.entries == 4
    assert result.problem is not None and "edited" in result.problem


async def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(db: Db) -> None:
    await filled(db, 12)
    rows = await entries(db)
    forged = {name: getattr(rows[4], name) for name in CHAINED_FIELDS} | {"client_id": "someone-else"}
    await db.sql("UPDATE disclosure_log SET client_id = :c, hash = :h WHERE seq = 5",
                 c="someone-else", h=entry_hash(rows[4].prev_hash, forged))
    result = await check(db)
    assert not result.ok and result.first_bad_seq == 6
    assert result.problem is not None and "prev_hash" in result.problem


@pytest.mark.parametrize(("deleted", "bad_seq"), [(5, 6), (1, 2), ((5, 6, 7), 8)])
async def test_a_deleted_entry_is_found(db: Db, deleted: int | tuple[int, ...], bad_seq: int) -> None:
    await filled(db, 12)
    gone = deleted if isinstance(deleted, tuple) else (deleted,)
    for seq in gone:
        await db.sql("DELETE FROM disclosure_log WHERE seq = :s", s=seq)
    result = await check(db)
    assert not result.ok and result.first_bad_seq == bad_seq and result.entries == min(gone) - 1
    assert result.problem is not None and "missing" in result.problem


async def test_a_deleted_entry_with_renumbered_successors_is_found(db: Db) -> None:
    await filled(db, 12)
    await db.sql("DELETE FROM disclosure_log WHERE seq = 5")
    for seq in range(6, 13):  # close the gap, as a careful forger would
        await db.sql("UPDATE disclosure_log SET seq = :n WHERE seq = :s", n=seq - 1, s=seq)
    result = await check(db)
    assert not result.ok and result.first_bad_seq == 5
    assert result.problem is not None and "prev_hash" in result.problem


async def test_truncating_the_newest_entries_shows_only_in_the_head_hash(db: Db) -> None:
    """A hash chain cannot tell a shortened log from a shorter one; head_hash lets an operator compare."""
    await filled(db, 12)
    head = (await check(db)).head_hash
    await db.sql("DELETE FROM disclosure_log WHERE seq = 12")
    result = await check(db)
    assert result.ok and result.entries == 11 and result.head_hash != head


async def test_reordered_entries_are_found(db: Db) -> None:
    await filled(db, 12)
    columns = "seq, at, client_id, organization_id, object_type, object_id, item, rule_ids, policy_version, " \
              "channel, request_id, prev_hash, hash"
    three, seven = [(await db.sql(f"SELECT {columns} FROM disclosure_log WHERE seq = {s}"))[0] for s in (3, 7)]
    placeholders = ", ".join(f":{c.strip()}" for c in columns.split(","))
    async with db.engine.begin() as conn:  # swap every column but seq, in one transaction
        await conn.execute(text("DELETE FROM disclosure_log WHERE seq IN (3, 7)"))
        for seq, row in ((3, seven), (7, three)):
            values = dict(row._mapping) | {"seq": seq}
            await conn.execute(text(f"INSERT INTO disclosure_log ({columns}) VALUES ({placeholders})"), values)
    result = await check(db)
    assert not result.ok and result.first_bad_seq == 3 and result.entries == 2
    assert result.problem is not None and "reordered" in result.problem


# ---------------------------------------------------------------------------------- concurrency --

async def _appender(db: Db, n: int) -> None:
    async with transaction(db.sessions) as session:
        # A read first, as a resolver would, then yield so the transactions interleave.
        await session.exec(select(func.count()).select_from(DisclosureEntry))
        await asyncio.sleep(0)
        await record(session, [disclosure(n * 10 + k, request_id=f"tx-{n}") for k in range(3)])
        await asyncio.sleep(0.01)  # hold the lock across awaits: others must queue, not fork


async def test_concurrent_transactions_keep_one_unbroken_chain(db: Db) -> None:
    await asyncio.gather(*(_appender(db, n) for n in range(20)))
    result = await check(db)
    assert result.ok and result.entries == 60
    by_tx: dict[str, list[int]] = {}
    for row in await entries(db):
        by_tx.setdefault(row.request_id or "", []).append(row.seq)
    assert len(by_tx) == 20
    for seqs in by_tx.values():  # one record() call stays contiguous
        assert seqs == list(range(seqs[0], seqs[0] + 3))


async def test_a_second_appender_waits_for_the_first_to_commit(db: Db) -> None:
    await append(db, [disclosure(0)])
    async with transaction(db.sessions) as first:
        await record(first, [disclosure(1)])
        second = asyncio.create_task(append(db, [disclosure(2)]))
        await asyncio.sleep(0.3)
        assert not second.done(), "the second append must wait for the first transaction's lock"
    await asyncio.wait_for(second, 30)
    assert [r.request_id for r in await entries(db)] == ["req-0", "req-1", "req-2"]
    assert (await check(db)).ok


async def test_without_the_lock_appenders_collide_instead_of_forking(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    """seq is the primary key and assigned as tail + 1: a stale tail fails the insert, it never branches."""

    async def no_lock(_session: AsyncSession) -> None:
        return None

    monkeypatch.setattr(audit_log, "_lock_for_append", no_lock)

    async def racer(n: int) -> bool:
        try:
            await _appender(db, n)
        except IntegrityError:
            return False
        return True

    committed = sum(await asyncio.gather(*(racer(n) for n in range(10))))
    result = await check(db)
    assert result.ok and result.entries == 3 * committed


# ------------------------------------------------------------------------------------- accesses --

async def test_accesses_lists_an_objects_entries_in_order_with_paging(db: Db) -> None:
    await append(db, [disclosure(n, object_id="det-1" if n % 3 else "det-2") for n in range(9)])
    async with db.sessions() as session:
        mine = await accesses(session, "Detention", "det-1", first=100)
        assert [e.request_id for e in mine] == ["req-1", "req-2", "req-4", "req-5", "req-7", "req-8"]
        page1 = await accesses(session, "Detention", "det-1", first=4)
        page2 = await accesses(session, "Detention", "det-1", first=4, after_seq=page1[-1].seq)
        assert [e.seq for e in page1 + page2] == [e.seq for e in mine]
        assert await accesses(session, "Entry", "det-1") == []
        assert {e.client_id for e in mine} == {"client-1", "client-2"}
        for bad in (0, 1001):
            with pytest.raises(InvalidInput):
                await accesses(session, "Detention", "det-1", first=bad)
