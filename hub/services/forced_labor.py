"""Business actions on forced-labor detentions: record one under a WRO, a Finding or UFLPA, and record CBP's steps
(release, exclusion, seizure, export, protest; R-FL-03). Each validates everything first, then writes in the caller's
transaction with its event (hub/events/outbox.py).

Who may act is decided by policies/forced_labor.cedar before these run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.adcvd_tables import Entry
from hub.db.forced_labor_tables import ForcedLaborDetention, ForcedLaborDocument, ForcedLaborOrder
from hub.db.tables import Organization, OrgKind
from hub.domain import forced_labor as domain
from hub.domain.bonds import parse_money
from hub.domain.calendar import BusinessCalendar
from hub.domain.forced_labor_orders import OrderStatus, OrderType
from hub.domain.identifiers import normalize_entry_number, validate_port_code
from hub.errors import InvalidInput, NotFound
from hub.events.outbox import FORCED_LABOR_EVENTS, emit
from hub.services.forced_labor_metrics import refresh_cells

# UFLPA took effect June 21, 2022 (Pub. L. 117-78 § 3; FACTS §6.5).
UFLPA_EFFECTIVE = date(2022, 6, 21)
MAX_DESCRIPTION = 500


@dataclass(frozen=True)
class NewDetention:
    authority: str
    order_id: str | None  # the WRO or Finding (database id); None under UFLPA
    entry_number: str
    importer_org_id: str
    port_code: str
    description: str
    value: str
    imported_on: date
    presented_at: datetime


def events_of(row: ForcedLaborDetention, proof_submitted_at: datetime | None = None) -> domain.Events:
    return domain.Events(
        authority=domain.Authority(row.authority), imported_on=row.imported_on, presented_at=row.presented_at,
        released_at=row.released_at, exclusion_noticed_at=row.exclusion_noticed_at, protested_at=row.protested_at,
        exported_at=row.exported_at, seized_at=row.seized_at, proof_submitted_at=proof_submitted_at)


async def latest_submission(session: AsyncSession, detention_id: str) -> datetime | None:
    """When the importer last submitted proof of admissibility (§ 12.43(a)) for the detention, if ever."""
    query = select(func.max(col(ForcedLaborDocument.submitted_at))).where(
        col(ForcedLaborDocument.detention_id) == detention_id)
    found: datetime | None = (await session.exec(query)).one()  # max() keeps the column's UTC type
    return found


def _authority(text: str) -> domain.Authority:
    try:
        return domain.Authority(text.strip().upper())
    except ValueError:
        raise InvalidInput(f"authority is one of {[a.value for a in domain.Authority]}",
                           code="INVALID_AUTHORITY") from None


async def order_for(session: AsyncSession, authority: domain.Authority, order_id: str | None,
                    presented_on: date) -> ForcedLaborOrder | None:
    """The order a detention is held under. Codes: ORDER_REQUIRED, UFLPA_TAKES_NO_ORDER, UNKNOWN_WRO,
    ORDER_TYPE_MISMATCH, ORDER_NOT_IN_FORCE."""
    if authority is domain.Authority.UFLPA:
        if order_id is not None:
            raise InvalidInput("a UFLPA detention rests on the statutory presumption, not on a WRO or Finding",
                               code="UFLPA_TAKES_NO_ORDER")
        return None
    if order_id is None:
        raise InvalidInput(f"a {authority.value} detention names its order (19 CFR 12.42(e), (f))",
                           code="ORDER_REQUIRED")
    order = await session.get(ForcedLaborOrder, order_id)
    if order is None:
        raise InvalidInput("no such Withhold Release Order or Finding on the list", code="UNKNOWN_WRO")
    if order.order_type != (OrderType.FINDING if authority is domain.Authority.FINDING else OrderType.WRO).value:
        raise InvalidInput(f"the order is a {order.order_type}, not a {authority.value}", code="ORDER_TYPE_MISMATCH")
    if order.effective_on > presented_on or order.status == OrderStatus.REVOKED.value:
        raise InvalidInput("the order was not in force when the goods were presented", code="ORDER_NOT_IN_FORCE")
    return order


async def check_entry(session: AsyncSession, entry_number: str, importer_org_id: str) -> Entry | None:
    """The entry the detention is linked to (issue 7 item 2), when the Hub has it. Code: ENTRY_IMPORTER_MISMATCH.

    ``entries.number`` is unique (uq_entry_number) and stored normalized like ``fl_detentions.entry_number``, so the
    number is the link: a detention joins its entry on it, no second key is kept. An entry the Hub has must be the
    detention's importer's (the importer of record sees the detention, R-FL-02). A number the Hub does not know is
    kept as validated (R-ID-01): entries are also filed outside the Hub (ACE), and the detention must not wait for
    them; it links by itself once such an entry is recorded under the same number.
    """
    entry = (await session.exec(select(Entry).where(col(Entry.number) == entry_number))).first()
    if entry is not None and entry.importer_org_id != importer_org_id:
        raise InvalidInput(f"entry {entry_number} was filed for another importer of record",
                           code="ENTRY_IMPORTER_MISMATCH")
    return entry


async def prepare_detention(session: AsyncSession, spec: NewDetention, calendar: BusinessCalendar,
                            now: datetime) -> ForcedLaborDetention:
    """A validated detention row, not yet written (ManageForcedLaborDetention is asked about it first)."""
    authority = _authority(spec.authority)
    entry_number = normalize_entry_number(spec.entry_number)
    port = validate_port_code(spec.port_code)
    value = parse_money(spec.value, "value", positive=True)
    description = spec.description.strip()
    if not description or len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"describe the goods in 1-{MAX_DESCRIPTION} characters", code="INVALID_TEXT")
    if spec.presented_at > now:
        raise InvalidInput("presentation cannot be in the future", code="PRESENTED_IN_FUTURE")
    if spec.imported_on > spec.presented_at.date():
        raise InvalidInput("goods are imported on or before presentation", code="IMPORTED_AFTER_PRESENTATION")
    if authority is domain.Authority.UFLPA and spec.presented_at.date() < UFLPA_EFFECTIVE:
        raise InvalidInput(f"UFLPA applies from {UFLPA_EFFECTIVE}", code="UFLPA_NOT_IN_FORCE")
    importer = await session.get(Organization, spec.importer_org_id)
    if importer is None or importer.kind is not OrgKind.IMPORTER:
        raise InvalidInput("the importer of record must be a registered importer", code="UNKNOWN_IMPORTER")
    await check_entry(session, entry_number, importer.id)
    order = await order_for(session, authority, spec.order_id, spec.presented_at.date())
    events = domain.Events(authority, spec.imported_on, spec.presented_at)
    clocks = domain.clocks(events, calendar)
    case = f"FL-{port}-{spec.presented_at:%Y}-{uuid.uuid4().hex[:6].upper()}"
    return ForcedLaborDetention(
        case_number=case, authority=authority.value, order_id=order.id if order else None, entry_number=entry_number,
        importer_org_id=importer.id, port_code=port, description=description, value=value,
        imported_on=spec.imported_on, presented_at=spec.presented_at, detained_on=spec.presented_at.date(),
        window_ends_on=clocks.window_ends_on, deemed_excluded_at=clocks.uflpa_deemed_excluded_at, recorded_at=now,
        recorded_by_client="")


async def record_detention(session: AsyncSession, row: ForcedLaborDetention, client_id: str,
                           now: datetime) -> ForcedLaborDetention:
    row.recorded_by_client = client_id
    session.add(row)
    await session.flush()
    await refresh_cells(session, row.order_id, row.detained_on)  # the metrics cells, in this transaction
    await emit(session, FORCED_LABOR_EVENTS["DETAINED"], "ForcedLaborDetention", row.id, row.presented_at, now)
    return row


async def load_for_update(session: AsyncSession, detention_id: str) -> ForcedLaborDetention:
    query = select(ForcedLaborDetention).where(ForcedLaborDetention.id == detention_id).with_for_update()
    row = (await session.exec(query)).first()
    if row is None:
        raise NotFound("no such forced-labor detention", code="UNKNOWN_DETENTION")
    return row


def _parse_action(text: str) -> domain.Action:
    try:
        return domain.Action(text.strip().upper())
    except ValueError:
        raise InvalidInput(f"action is one of {[a.value for a in domain.Action]}", code="INVALID_ACTION") from None


def _resolve(row: ForcedLaborDetention, outcome: domain.Outcome | None, at: datetime) -> None:
    row.outcome = outcome.value if outcome is not None else None
    if outcome is not None and row.resolved_on is None:  # the first disposition is what the metrics measure
        row.resolved_on = at.date()
        row.resolution_days = domain.resolution_days(row.presented_at, at)


async def record_action(session: AsyncSession, detention_id: str, action_text: str, at: datetime,
                        calendar: BusinessCalendar, now: datetime, note: str | None = None,
                        proof_insufficient: bool = False) -> ForcedLaborDetention:
    """CBP's step at ``at`` (R-FL-03); ``proof_insufficient`` is CBP's decision on the importer's submitted proof,
    recorded with an EXCLUDE or SEIZE (hub.domain.forced_labor.check_action) and in the step's event detail.

    Codes: INVALID_ACTION, INVALID_TEXT, ACTION_IN_FUTURE, ACTION_BEFORE_PRESENTATION, ACTION_OUT_OF_ORDER,
    INVALID_TRANSITION, INVALID_DECISION, NO_PROOF_SUBMITTED, PROOF_WINDOW_OPEN. Nothing is written on any of them.
    """
    action = _parse_action(action_text)
    if at > now:
        raise InvalidInput("a step cannot be dated in the future", code="ACTION_IN_FUTURE")
    text = (note or "").strip() or None
    if text is not None and len(text) > 2000:
        raise InvalidInput("note: at most 2000 characters", code="INVALID_TEXT")
    row = await load_for_update(session, detention_id)
    events = events_of(row, await latest_submission(session, row.id))
    clocks = domain.clocks(events, calendar)
    domain.check_action_time(events, at, now)
    domain.check_action(events, clocks, action, at, proof_insufficient)
    if action is domain.Action.RELEASE:
        row.released_at = at
    elif action is domain.Action.EXCLUDE:
        row.exclusion_noticed_at = at
    elif action is domain.Action.SEIZE:
        row.seized_at = at
    elif action is domain.Action.EXPORT:
        row.exported_at = at
    else:
        row.protested_at = at
    # The stored outcome is the domain's, from the events as now recorded: never a second opinion (R-FL-03).
    after = events_of(row, events.proof_submitted_at)
    _resolve(row, domain.recorded_outcome(after, domain.clocks(after, calendar), at), at)
    if text is not None:
        row.decision_note = text
    row.version += 1
    session.add(row)
    await session.flush()
    await refresh_cells(session, row.order_id, row.detained_on)  # the metrics cells, in this transaction
    await emit(session, FORCED_LABOR_EVENTS[action.value], "ForcedLaborDetention", row.id, at, now,
               detail="PROOF_INSUFFICIENT" if proof_insufficient else None)
    return row
