"""Time-driven bond events: ``bond.insufficient`` once a notice's 15 days ran out unsuperseded (R-BOND-03).

Nothing writes to a bond when its insufficiency takes effect (status is computed), so a scan emits the event,
once per notice: the dedupe key names the notice and its due instant (hub.events.outbox.emit_once), as the
detention scheduler does (hub/events/scheduler.py, which should call ``scan`` beside its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.bond_tables import BondInsufficiencyNotice
from hub.db.event_tables import OutboxEvent
from hub.db.session import transaction
from hub.domain import bonds as domain
from hub.events.outbox import BOND_TIME_EVENTS, emit_once

INSUFFICIENT = BOND_TIME_EVENTS[0]
_CHUNK = 500


@dataclass(frozen=True)
class DueEvent:
    bond_id: str
    due_at: datetime
    key: str
    notice_id: str


def due_event(notice: BondInsufficiencyNotice, now: datetime) -> DueEvent | None:
    """Pure: the event one notice owes at ``now``, if any."""
    clock = domain.Notice(notice.noticed_at, notice.superseded_at)
    due = domain.insufficient_at(clock)
    if not domain.takes_effect(clock) or now < due:
        return None
    return DueEvent(notice.bond_id, due, f"{INSUFFICIENT}:{notice.id}:{due.astimezone(UTC).isoformat()}", notice.id)


async def _candidates(session: AsyncSession, now: datetime) -> list[DueEvent]:
    rows = (await session.exec(select(BondInsufficiencyNotice).where(
        col(BondInsufficiencyNotice.noticed_at) <= now))).all()
    return [e for e in (due_event(n, now) for n in rows) if e is not None]


async def scan(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Emit every ``bond.insufficient`` due at ``now`` not emitted before; returns how many were new."""
    async with sessions() as session:
        candidates = await _candidates(session, now)
        keys = [e.key for e in candidates]
        existing: set[str] = set()
        for i in range(0, len(keys), _CHUNK):
            found = await session.exec(select(OutboxEvent.dedupe_key).where(
                col(OutboxEvent.dedupe_key).in_(keys[i:i + _CHUNK])))
            existing |= {k for k in found.all() if k is not None}
    new = [e for e in candidates if e.key not in existing]
    emitted = 0
    for i in range(0, len(new), _CHUNK):
        async with transaction(sessions) as session:
            for e in new[i:i + _CHUNK]:
                if await emit_once(session, INSUFFICIENT, "Bond", e.bond_id, e.due_at, now, e.key, e.notice_id):
                    emitted += 1
    return emitted
