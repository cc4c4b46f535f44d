"""Writing events: in the caller's transaction, next to the change they report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.event_tables import OutboxEvent

NOTIFY_CHANNEL = "hub_events"  # also named in migration 0006's trigger

# Event types by the workflow step that produces them (hub/services/detentions.py).
DETENTION_STEP_EVENTS = {
    "PRESENTED": "detention.recorded",
    "DETAINED": "detention.detained",
    "NOTICE_SENT": "detention.notice_sent",
    "LIMITED_INFO_RELEASED": "detention.limited_info_released",
    "UNREDACTED_RELEASED": "detention.images_available",
    "IMAGE_ADDED": "detention.images_available",
    "IMPORTER_RESPONDED": "detention.response_received",
    "FINDING_RECORDED": "detention.finding_recorded",
    "SEIZED": "detention.seized",
    "SEIZURE_NOTICE_SENT": "detention.seizure_notice_sent",
    "RELEASED": "detention.released",
}
# Produced by the scheduler from the clocks (hub/events/scheduler.py).
TIME_EVENTS = ("detention.window_lapsed", "detention.deadline_missed", "detention.deemed_excluded")
# Bonds (hub/services/bonds.py): written by the action that causes them; principal and surety are told of an
# insufficiency notice at once (R-BOND-03).
BOND_EVENTS = {
    "FILED": "bond.filed",
    "SUPERSEDED": "bond.superseded",
    "INSUFFICIENCY_NOTICED": "bond.insufficiency_noticed",
    "ENTRY_SECURED": "bond.entry_secured",
}
# Notice + 15 days: the bond became INSUFFICIENT (hub/services/bond_clock.py scans for it).
BOND_TIME_EVENTS = ("bond.insufficient",)
# Forced labor (hub/services/forced_labor*.py): by the step that produces them (R-FL-03, 19 CFR 12.43-12.44).
FORCED_LABOR_EVENTS = {
    "DETAINED": "forced_labor.detained",
    "SUBMITTED": "forced_labor.admissibility_submitted",
    "RELEASE": "forced_labor.released",
    "EXCLUDE": "forced_labor.excluded",
    "SEIZE": "forced_labor.seized",
    "EXPORT": "forced_labor.exported",
    "PROTEST": "forced_labor.protested",
}
# From the clocks (hub/services/forced_labor_clock.py): 3-month window lapsed (12.43), 60 days after an exclusion
# notice (12.44(b)), UFLPA 30 days (151.16).
FORCED_LABOR_TIME_EVENTS = ("forced_labor.proof_window_lapsed", "forced_labor.deemed_abandoned",
                            "forced_labor.deemed_excluded")
# AD/CVD entries (hub/services/entries.py, hub/services/entry_import.py): the importer, its broker and the
# surety of the securing bond hear of an entry recorded for them.
ENTRY_EVENTS = {"RECORDED": "adcvd.entry_recorded"}
EVENT_TYPES = tuple(sorted({*DETENTION_STEP_EVENTS.values(), *TIME_EVENTS, *BOND_EVENTS.values(),
                            *BOND_TIME_EVENTS, *FORCED_LABOR_EVENTS.values(), *FORCED_LABOR_TIME_EVENTS,
                            *ENTRY_EVENTS.values()}))


async def emit(
    session: AsyncSession, type_: str, object_type: str, object_id: str, occurred_at: datetime,
    recorded_at: datetime, dedupe_key: str | None = None, detail: str | None = None,
) -> OutboxEvent:
    event = OutboxEvent(type=type_, object_type=object_type, object_id=object_id, occurred_at=occurred_at,
                        recorded_at=recorded_at, dedupe_key=dedupe_key, detail=detail)
    # No flush of its own: the id is made here, and the row goes out with the change's own flush.
    # On PostgreSQL a trigger on the table NOTIFYs NOTIFY_CHANNEL with the id (migration 0006): delivered
    # to listeners at commit, and only if the transaction commits, so other Hub workers' subscriptions
    # wake up without polling (hub/events/broker.py), at no extra round trip here.
    session.add(event)
    return event


async def emit_once(
    session: AsyncSession, type_: str, object_type: str, object_id: str, occurred_at: datetime,
    recorded_at: datetime, dedupe_key: str, detail: str | None = None,
) -> bool:
    """A time-driven event, at most once per ``dedupe_key`` across scans and restarts."""
    try:
        async with session.begin_nested():
            await emit(session, type_, object_type, object_id, occurred_at, recorded_at, dedupe_key, detail)
            await session.flush()  # inside the savepoint, so a duplicate key rolls back only this event
    except IntegrityError:
        return False
    return True
