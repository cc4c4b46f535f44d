"""Appending to, verifying and reading the disclosure log.

Appends run in the caller's transaction, so a disclosure is logged exactly when the work that made it
commits. Two transactions appending at once must not fork the chain; each append therefore takes a
write lock *before* it reads the tail:

* PostgreSQL: ``pg_advisory_xact_lock(AUDIT_LOCK_KEY)``, held until the caller commits or rolls back.
  Under READ COMMITTED the tail is read by a statement that starts after the lock is granted, so it
  sees the previous appender's committed entries.
* SQLite: writers are serialized by the database lock, but the pysqlite/aiosqlite driver opens a
  (deferred) transaction only at the first INSERT/UPDATE/DELETE; earlier SELECTs run outside any
  transaction. A tail read before our first write could be stale by the time we insert. So record()
  first runs an UPDATE that matches no row: it opens the transaction and takes SQLite's write lock
  (waiting out the busy timeout) without changing anything, and the tail read that follows sees the
  latest commit. If the caller already wrote, its transaction already holds that lock.

Whatever the isolation level, a fork cannot be stored: ``seq`` is assigned as tail + 1 and is the
primary key, so a stale tail makes the insert fail rather than branch the chain.

Because the lock is held to commit, call record() as the last step of a transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import false, func, update
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.audit.chain import CHAINED_FIELDS, GENESIS, entry_hash
from hub.db.audit_tables import DisclosureChannel, DisclosureEntry
from hub.errors import InvalidInput

# "HUBAUDIT" in ASCII: one application-wide key, so every appender in every process queues on it.
AUDIT_LOCK_KEY = 0x4855_4241_5544_4954

MAX_PAGE = 1000

_SEQ = col(DisclosureEntry.seq)
_COLUMNS = tuple(col(getattr(DisclosureEntry, name)) for name in (*CHAINED_FIELDS, "hash"))


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One item of restricted data handed to one principal, and the policy decision that allowed it."""

    client_id: str
    organization_id: str
    object_type: str
    object_id: str
    item: str
    rule_ids: tuple[str, ...]
    policy_version: str
    channel: DisclosureChannel
    at: datetime
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str | None = None
    # Hash of the last intact entry. A chain cannot reveal that its newest entries were cut off;
    # comparing this with a head recorded elsewhere can.
    head_hash: str | None = None


def _row(d: Disclosure) -> dict[str, Any]:
    """The chained fields of one disclosure, minus seq and prev_hash (known only under the lock)."""
    if d.at.tzinfo is None:
        raise ValueError("Disclosure.at must be timezone-aware")
    if any("," in r or not r for r in d.rule_ids):
        raise ValueError(f"rule ids must be non-empty and contain no comma: {d.rule_ids!r}")
    return {
        # UTC before storing: SQLite keeps the wall-clock time and drops the offset.
        "at": d.at.astimezone(UTC),
        "client_id": d.client_id,
        "organization_id": d.organization_id,
        "object_type": d.object_type,
        "object_id": d.object_id,
        "item": d.item,
        "rule_ids": ",".join(d.rule_ids),
        "policy_version": d.policy_version,
        "channel": DisclosureChannel(d.channel).value,
        "request_id": d.request_id,
    }


async def _lock_for_append(session: AsyncSession) -> None:
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(core_select(func.pg_advisory_xact_lock(AUDIT_LOCK_KEY)))
    else:
        # Matches no row; executed only for the write lock it takes (see the module docstring).
        await connection.execute(update(DisclosureEntry).where(false()).values(seq=_SEQ))


async def record(session: AsyncSession, disclosures: Sequence[Disclosure]) -> None:
    """Append one entry per disclosure, in order, in the session's current transaction."""
    if not disclosures:
        return
    rows = [_row(d) for d in disclosures]  # validate before taking the lock
    await _lock_for_append(session)
    last = select(_SEQ, col(DisclosureEntry.hash)).order_by(_SEQ.desc()).limit(1)
    tail = (await session.exec(last)).first()
    seq, prev = (tail[0], tail[1]) if tail is not None else (0, GENESIS)
    values: list[dict[str, Any]] = []
    for row in rows:
        seq += 1
        fields = {**row, "seq": seq, "prev_hash": prev}
        prev = entry_hash(prev, fields)
        values.append({**fields, "hash": prev})
    # Core executemany: one statement for the whole batch (the ORM bulk path issued one per row here).
    connection = await session.connection()
    await connection.execute(DisclosureEntry.__table__.insert(), values)  # type: ignore[attr-defined]


async def verify(session: AsyncSession, batch: int = 5000) -> VerifyResult:
    """Recompute the chain from the first entry, ``batch`` rows at a time, stopping at the first break.

    ``entries`` counts the intact entries before the break (all of them when ``ok``). Entries appended
    while this runs are verified too: appends only extend the tail.
    """
    if batch < 1:
        raise InvalidInput("batch must be at least 1", code="INVALID_BATCH")
    # Core rows, not ORM objects: the whole log may be read, and nothing here needs identity tracking.
    connection = await session.connection()
    prev, expected_seq, checked = GENESIS, 1, 0
    while True:
        query = core_select(*_COLUMNS).where(_SEQ >= expected_seq).order_by(_SEQ).limit(batch)
        rows = (await connection.execute(query)).all()
        for row in rows:
            entry = dict(row._mapping)
            seq = entry["seq"]
            problem = _check(entry, expected_seq, prev)
            if problem is not None:
                return VerifyResult(False, checked, seq, problem, prev if checked else None)
            prev, expected_seq, checked = entry["hash"], seq + 1, checked + 1
        if len(rows) < batch:
            return VerifyResult(True, checked, head_hash=prev if checked else None)


def _check(entry: dict[str, Any], expected_seq: int, prev: str) -> str | None:
    seq = entry["seq"]
    if seq != expected_seq:
        missing = f"entry {expected_seq}" if seq == expected_seq + 1 else f"entries {expected_seq}-{seq - 1}"
        return f"{missing} missing (deleted)"
    if entry["prev_hash"] != prev:
        before = "the genesis value" if seq == 1 else f"the hash of entry {seq - 1}"
        return f"prev_hash does not match {before} (entry deleted, inserted or reordered)"
    fields = {name: entry[name] for name in CHAINED_FIELDS}
    if entry_hash(entry["prev_hash"], fields) != entry["hash"]:
        return "hash does not match the entry's contents (entry edited)"
    return None


async def accesses(
    session: AsyncSession, object_type: str, object_id: str, first: int = 100, after_seq: int | None = None
) -> list[DisclosureEntry]:
    """Who was given this object's restricted data: its entries in chain order, ``first`` after ``after_seq``.

    Callers decide who may ask (CBP, the object's parties); this only reads.
    """
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}", code="INVALID_PAGE_SIZE")
    query = select(DisclosureEntry).where(
        col(DisclosureEntry.object_type) == object_type, col(DisclosureEntry.object_id) == object_id
    )
    if after_seq is not None:
        query = query.where(_SEQ > after_seq)
    return list((await session.exec(query.order_by(_SEQ).limit(first))).all())
