"""Time-driven forced-labor events (R-FL-03): nothing writes to a detention when its clocks run out, so a scan emits
them, once each (emit_once with a dedupe key naming the clock and its due instant):

* ``forced_labor.proof_window_lapsed``: the 3 calendar months after importation passed with the goods still held
  (19 CFR 12.43(a));
* ``forced_labor.deemed_abandoned``: 60 days after the exclusion notice, neither exported nor protested (12.44(b));
* ``forced_labor.deemed_excluded``: a UFLPA detention not released within 30 days of presentation (151.16).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.forced_labor_tables import ForcedLaborDetention
from hub.db.session import transaction
from hub.domain import forced_labor as domain
from hub.domain.calendar import BusinessCalendar
from hub.events.outbox import emit_once
from hub.services.forced_labor import events_of

LAPSED, ABANDONED, DEEMED_EXCLUDED = ("forced_labor.proof_window_lapsed", "forced_labor.deemed_abandoned",
                                      "forced_labor.deemed_excluded")


def due_events(row: ForcedLaborDetention, calendar: BusinessCalendar, now: datetime) -> list[tuple[str, datetime]]:
    """(event type, due instant) of the clocks that have run out at ``now`` (pure)."""
    events = events_of(row)
    clocks = domain.clocks(events, calendar)
    stage = domain.stage(events, clocks, now)
    found = []
    if stage is domain.Stage.PROOF_WINDOW_LAPSED and clocks.proof_due_on is not None:
        found.append((LAPSED, datetime.combine(clocks.proof_due_on + timedelta(days=1), time.min, tzinfo=UTC)))
    if stage is domain.Stage.DEEMED_ABANDONED and clocks.abandoned_at is not None:
        found.append((ABANDONED, clocks.abandoned_at))
    if stage is domain.Stage.DEEMED_EXCLUDED and clocks.uflpa_deemed_excluded_at is not None:
        found.append((DEEMED_EXCLUDED, clocks.uflpa_deemed_excluded_at))
    return found


async def scan(sessions: async_sessionmaker[AsyncSession], calendar: BusinessCalendar, now: datetime) -> int:
    """Emit every due event not emitted before; how many were new."""
    async with sessions() as session:
        # Released, exported and seized goods have no clock left; excluded ones may still be abandoned.
        rows = (await session.exec(select(ForcedLaborDetention).where(or_(
            col(ForcedLaborDetention.outcome).is_(None), col(ForcedLaborDetention.outcome) == "EXCLUDED")))).all()
    due = [(r.id, kind, at) for r in rows for kind, at in due_events(r, calendar, now)]
    emitted = 0
    if not due:
        return 0
    async with transaction(sessions) as session:
        for detention_id, kind, at in due:
            key = f"{kind}:{detention_id}:{at.astimezone(UTC).isoformat()}"
            if await emit_once(session, kind, "ForcedLaborDetention", detention_id, at, now, key):
                emitted += 1
    return emitted
