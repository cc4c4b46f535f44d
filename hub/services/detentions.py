"""Business actions on IPR detentions: record one, and take each CBP step of 19 CFR 133.21.

Every action validates first (hub/domain), then writes the row, its timeline entry and nothing else,
in the caller's transaction. Who may act is decided by the policies before these run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.ipr_tables import Detention, DetentionEvent, DetentionRecordation
from hub.db.tables import Organization, OrgKind, Recordation
from hub.domain import detention_workflow as wf
from hub.domain.calendar import BusinessCalendar
from hub.domain.detentions import Conveyance, Events, Finding, Regime, clocks, track_for
from hub.domain.identifiers import normalize_entry_number, validate_port_code
from hub.errors import Conflict, InvalidInput, NotFound
from hub.events.outbox import DETENTION_STEP_EVENTS, emit
from hub.policy.detention_facts import events_of

_CASE_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{5,31}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_RECORDATION = re.compile(r"(TMK|COP) \d{2}-\d{5}")


@dataclass(frozen=True)
class NewDetention:
    case_number: str
    regime: str
    conveyance: str
    port_code: str
    importer_org_id: str
    manufacturer_name: str
    manufacturer_address: str
    exporter_name: str
    exporter_address: str
    date_of_importation: date
    description: str
    quantity: int
    country_of_origin: str
    presented_at: datetime
    recordation_numbers: list[str] = field(default_factory=list)
    entry_number: str | None = None
    declared_value: str | None = None
    quantity_unit: str = "PCS"
    le_hold: bool = False
    importer_name: str | None = None
    importer_address: str | None = None


def _enum(kind: type[Regime] | type[Conveyance], value: str, code: str) -> str:
    try:
        return kind(value).value
    except ValueError:
        raise InvalidInput(f"{value!r} is not one of {[k.value for k in kind]}", code=code) from None


def _money(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise InvalidInput("amounts are decimal strings, e.g. \"1250.00\"", code="INVALID_AMOUNT") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput("amounts are non-negative with at most 2 decimals", code="INVALID_AMOUNT")
    return amount


def _text(value: str, name: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise InvalidInput(f"{name} is required (at most {limit} characters)", code="INVALID_TEXT")
    return value


async def record_detention(
    session: AsyncSession, spec: NewDetention, now: datetime, client_id: str, expedited_threshold: Decimal
) -> Detention:
    case_number = spec.case_number.strip().upper()
    if not _CASE_NUMBER.fullmatch(case_number):
        raise InvalidInput("case numbers are 6-32 letters, digits or '-'", code="INVALID_CASE_NUMBER")
    regime = _enum(Regime, spec.regime, "INVALID_REGIME")
    conveyance = Conveyance(_enum(Conveyance, spec.conveyance, "INVALID_CONVEYANCE"))
    port = validate_port_code(spec.port_code)
    entry = normalize_entry_number(spec.entry_number) if spec.entry_number else None
    value = _money(spec.declared_value)
    country = spec.country_of_origin.strip().upper()
    if not _COUNTRY.fullmatch(country):
        raise InvalidInput("country of origin is an ISO 3166 alpha-2 code", code="INVALID_COUNTRY")
    if spec.quantity <= 0:
        raise InvalidInput("quantity must be positive", code="INVALID_QUANTITY")
    events = wf.present(spec.presented_at, now)
    if spec.date_of_importation > spec.presented_at.date():
        raise InvalidInput("goods are presented on or after their date of importation", code="TIMES_OUT_OF_ORDER")
    importer = await session.get(Organization, spec.importer_org_id)
    if importer is None or importer.kind is not OrgKind.IMPORTER:
        raise InvalidInput("the importer must be a registered importer of record", code="UNKNOWN_IMPORTER")
    numbers = sorted({n.strip().upper() for n in spec.recordation_numbers})
    if not numbers:
        raise InvalidInput("a detention names at least one CBP recordation", code="NO_RECORDATION")
    bad = [n for n in numbers if not _RECORDATION.fullmatch(n)]
    if bad:
        raise InvalidInput(f"malformed recordation numbers: {bad} (TMK YY-NNNNN)", code="INVALID_RECORDATION_NUMBER")
    found = (await session.exec(select(Recordation.number).where(col(Recordation.number).in_(numbers)))).all()
    missing = sorted(set(numbers) - set(found))
    if missing:
        raise NotFound(f"unknown recordations: {missing}", code="UNKNOWN_RECORDATION")
    row = Detention(
        case_number=case_number, regime=regime, conveyance=conveyance.value,
        track=track_for(conveyance, value, expedited_threshold).value, declared_value=value, port_code=port,
        entry_number=entry, importer_org_id=importer.id,
        importer_name=_text(spec.importer_name or importer.name, "importer name", 200),
        importer_address=_text(spec.importer_address or importer.address or "", "importer address", 500),
        manufacturer_name=_text(spec.manufacturer_name, "manufacturer name", 200),
        manufacturer_address=_text(spec.manufacturer_address, "manufacturer address", 500),
        exporter_name=_text(spec.exporter_name, "exporter name", 200),
        exporter_address=_text(spec.exporter_address, "exporter address", 500),
        date_of_importation=spec.date_of_importation, description=_text(spec.description, "description", 1000),
        quantity=spec.quantity, quantity_unit=spec.quantity_unit[:8], country_of_origin=country,
        le_hold=spec.le_hold, presented_at=events.presented_at, created_at=now,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"case {case_number} exists", code="CASE_NUMBER_TAKEN") from exc
    session.add_all([DetentionRecordation(detention_id=row.id, recordation_number=n) for n in numbers])
    session.add(DetentionEvent(detention_id=row.id, type="PRESENTED", at=row.presented_at, recorded_at=now,
                               client_id=client_id))
    await emit(session, DETENTION_STEP_EVENTS["PRESENTED"], "Detention", row.id, row.presented_at, now)
    return row


async def load_for_update(session: AsyncSession, detention_id: str) -> Detention:
    # Row lock on PostgreSQL so two officers' steps on one case serialize; SQLite serializes writers.
    row = (await session.exec(select(Detention).where(Detention.id == detention_id).with_for_update())).first()
    if row is None:
        raise NotFound("no such detention", code="UNKNOWN_DETENTION")
    return row


def _write(row: Detention, events: Events) -> None:
    for name in ("detained_at", "notice_sent_at", "importer_response_at", "finding_at", "limited_info_released_at",
                 "unredacted_released_at", "importer_disclosure_notice_at", "seized_at", "seizure_notice_at",
                 "released_at"):
        setattr(row, name, getattr(events, name))
    row.finding = events.finding.value if events.finding else None
    row.version += 1


Step = Callable[[Events], Events]


async def apply_step(
    session: AsyncSession, row: Detention, event_type: str, at: datetime, now: datetime, client_id: str,
    step: Step, note: str | None = None,
) -> Detention:
    new = step(events_of(row))
    _write(row, new)
    session.add(row)
    session.add(DetentionEvent(detention_id=row.id, type=event_type, at=at, recorded_at=now, client_id=client_id,
                               note=note))
    if event_type in DETENTION_STEP_EVENTS:
        await emit(session, DETENTION_STEP_EVENTS[event_type], "Detention", row.id, at, now)
    await session.flush()
    return row


async def cbp_step(
    session: AsyncSession, detention_id: str, action: str, at: datetime, now: datetime, client_id: str,
    calendar: BusinessCalendar, *, finding: str | None = None, seizure_notice_at: datetime | None = None,
    seizure_description: str | None = None, seizure_quantity: int | None = None,
) -> Detention:
    """One CBP step by name (DETAINED, NOTICE_SENT, ...); the workflow checks order and times."""
    row = await load_for_update(session, detention_id)
    due = clocks(events_of(row), calendar).importer_response_due_at
    steps: dict[str, Step] = {
        "DETAINED": lambda e: wf.detain(e, at, now),
        "NOTICE_SENT": lambda e: wf.send_notice(e, at, now),
        "LIMITED_INFO_RELEASED": lambda e: wf.release_limited_info(e, at, now),
        "UNREDACTED_RELEASED": lambda e: wf.release_unredacted(e, at, now, due),
        "SEIZURE_NOTICE_SENT": lambda e: wf.send_seizure_notice(e, at, now),
        "RELEASED": lambda e: wf.release(e, at, now),
    }
    if action == "FINDING_RECORDED":
        try:
            parsed = Finding(finding or "")
        except ValueError:
            raise InvalidInput("finding is SUFFICIENT or INSUFFICIENT", code="INVALID_FINDING") from None
        steps[action] = lambda e: wf.record_finding(e, parsed, at, now)
    if action == "SEIZED":
        if seizure_quantity is not None and seizure_quantity <= 0:
            raise InvalidInput("quantity must be positive", code="INVALID_QUANTITY")
        # § 133.21(e)(3)-(4): description and quantity as the notice of seizure sets them out.
        if seizure_description:
            row.seizure_description = _text(seizure_description, "seizure description", 1000)
        row.seizure_quantity = seizure_quantity
        steps[action] = lambda e: wf.seize(e, at, seizure_notice_at, now)
    if action not in steps:
        raise InvalidInput(f"unknown step {action}", code="UNKNOWN_STEP")
    return await apply_step(session, row, action, at, now, client_id, steps[action])
