"""Time-driven events: a scan of the open detentions' clocks emits what has come due (issue 4, item 1).

Nothing changes in a row when a window lapses, so no mutation can write these events; the scan does.
Each event carries a dedupe key naming its clock and due instant, and the outbox's unique constraint
on that key makes it once-only across scans, restarts and concurrent workers (emit_once). Keys that
already exist are filtered out with one query first, so a steady-state scan writes nothing.

* ``detention.window_lapsed``: the importer's 7 business days after the notice ended (§ 133.21(b)(2)(i)(B);
  strictly after the due instant, as R-IPR-06 counts it).
* ``detention.deadline_missed``: one per missed deadline (hub.domain.detentions.overdue: R-IPR-05
  notice, R-IPR-03 limited information, R-IPR-09 notice of seizure, COAC-IE-2021-03 authentication).
* ``detention.deemed_excluded``: not released within 30 days of presentation (R-IPR-11,
  § 133.21(b)(1)); reported as this event rather than also as a missed deadline.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select

from hub.db.event_tables import OutboxEvent
from hub.db.ipr_tables import AuthenticationRequest, Detention
from hub.db.session import transaction
from hub.domain import detentions as domain
from hub.domain.calendar import BusinessCalendar
from hub.events.outbox import emit_once
from hub.policy.detention_facts import events_of
from hub.runtime import Hub
from hub.services.bond_clock import scan as scan_bonds
from hub.services.forced_labor_clock import scan as scan_forced_labor

WINDOW_LAPSED = "detention.window_lapsed"
DEADLINE_MISSED = "detention.deadline_missed"
DEEMED_EXCLUDED = "detention.deemed_excluded"
_CHUNK = 500  # bound on IN (...) lists


@dataclass(frozen=True)
class DueEvent:
    type: str
    detention_id: str
    due_at: datetime
    key: str
    detail: str | None = None  # the missed deadline's kind


def _iso(at: datetime) -> str:
    # One spelling per instant, whatever zone the clock was computed in: the key must be stable.
    return at.astimezone(UTC).isoformat()


def due_events(row: Detention, calendar: BusinessCalendar, now: datetime,
               authentication_due: list[datetime]) -> list[DueEvent]:
    """The time-driven events of one detention that have come due at ``now`` (pure)."""
    events = events_of(row)
    clocks = domain.clocks(events, calendar)
    found: list[DueEvent] = []
    due = clocks.importer_response_due_at
    if due is not None and now > due and (events.released_at is None or events.released_at > due):
        found.append(DueEvent(WINDOW_LAPSED, row.id, due, f"{WINDOW_LAPSED}:{row.id}:{_iso(due)}"))
    for late in domain.overdue(events, clocks, now, le_hold=row.le_hold, authentication_due=authentication_due):
        if late.kind == "DEEMED_EXCLUDED":
            continue  # its own event below
        found.append(DueEvent(DEADLINE_MISSED, row.id, late.due_at,
                              f"{DEADLINE_MISSED}:{row.id}:{late.kind}:{_iso(late.due_at)}", late.kind))
    if domain.status(events, now) is domain.Status.DEEMED_EXCLUDED:
        found.append(DueEvent(DEEMED_EXCLUDED, row.id, clocks.expires_at,
                              f"{DEEMED_EXCLUDED}:{row.id}:{_iso(clocks.expires_at)}"))
    return found


async def _open_detentions(hub: Hub) -> tuple[list[Detention], dict[str, list[datetime]]]:
    async with hub.sessions() as session:
        # Released cases have no clock left running; every other case may still come due.
        rows = list((await session.exec(select(Detention).where(col(Detention.released_at).is_(None)))).all())
        requests: dict[str, list[datetime]] = defaultdict(list)
        ids = [r.id for r in rows]
        for i in range(0, len(ids), _CHUNK):
            open_requests = (await session.exec(
                select(AuthenticationRequest).where(col(AuthenticationRequest.detention_id).in_(ids[i:i + _CHUNK]),
                                                    col(AuthenticationRequest.determined_at).is_(None)))).all()
            for r in open_requests:
                requests[r.detention_id].append(domain.authentication_turnaround(r.requested_at, None).due_at)
    return rows, requests


async def _existing_keys(hub: Hub, keys: list[str]) -> set[str]:
    found: set[str] = set()
    async with hub.sessions() as session:
        for i in range(0, len(keys), _CHUNK):
            query = select(OutboxEvent.dedupe_key).where(col(OutboxEvent.dedupe_key).in_(keys[i:i + _CHUNK]))
            found |= {k for k in (await session.exec(query)).all() if k is not None}
    return found


async def scan(hub: Hub, now: datetime) -> int:
    """Every time-driven event due at ``now`` not emitted before (detentions, then bonds); how many were new."""
    # Bonds keep their own clock scan (R-BOND-03: notice + 15 days -> bond.insufficient); it runs here
    # so that one worker loop drives every clock.
    return (await _scan_detentions(hub, now) + await scan_bonds(hub.sessions, now)
            + await scan_forced_labor(hub.sessions, hub.calendar, now))


async def _scan_detentions(hub: Hub, now: datetime) -> int:
    rows, requests = await _open_detentions(hub)
    candidates = [e for row in rows for e in due_events(row, hub.calendar, now, requests.get(row.id, []))]
    if not candidates:
        return 0
    existing = await _existing_keys(hub, [e.key for e in candidates])
    new = [e for e in candidates if e.key not in existing]
    emitted = 0
    for i in range(0, len(new), _CHUNK):
        async with transaction(hub.sessions) as session:
            for e in new[i:i + _CHUNK]:
                # emit_once: another scanner may have written the same key since we looked.
                if await emit_once(session, e.type, "Detention", e.detention_id, e.due_at, now, e.key,
                                   e.detail):
                    emitted += 1
    return emitted
