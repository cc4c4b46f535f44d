"""Business actions on bonds: file one (or a superseding one), record CBP's insufficiency notice, secure an
entry. Each validates everything first, then writes, in the caller's transaction, with its event.

Who may act is decided by the policies (policies/bonds.cedar) before these run; ``prepare_bond`` resolves the
parties first so the caller can ask FileBond about the bond as it would be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import bond_queries as queries
from hub.db.bond_tables import Bond, BondInsufficiencyNotice, BondSecuredEntry
from hub.db.tables import Organization, OrgKind
from hub.domain import bonds as domain
from hub.domain.bond_guides import guide_book
from hub.domain.identifiers import SURETY_CODE_BOND_WAIVED, normalize_entry_number, validate_surety_code
from hub.errors import Conflict, InvalidInput, NotFound
from hub.events.outbox import BOND_EVENTS, emit

_RIDER = re.compile(r"[A-Z][A-Z0-9_]{1,39}")
MAX_RIDERS = 10


@dataclass(frozen=True)
class NewBond:
    number: str
    type: str
    activity_code: str
    principal_org_id: str
    surety_code: str
    amount: str
    effective_on: date
    co_surety_code: str | None = None
    terminates_on: date | None = None
    purpose: str = "GENERAL"
    riders: list[str] = field(default_factory=list)
    dtf: str | None = None
    entered_value: str | None = None
    pga_regulated: bool = False
    adcvd_rate_percent: str | None = None
    adcvd_subject_value: str | None = None
    sites: int = 1
    supersedes_number: str | None = None


@dataclass(frozen=True)
class PreparedBond:
    """A validated bond, not yet written: what FileBond is asked about."""

    row: Bond
    principal: Organization
    surety: Organization
    co_surety: Organization | None
    supersedes: Bond | None


def _choice(kind: type[domain.BondType] | type[domain.Purpose], value: str, code: str) -> str:
    try:
        return kind(value.strip().upper()).value
    except ValueError:
        raise InvalidInput(f"{value!r} is not one of {[k.value for k in kind]}", code=code) from None


def _optional_money(value: str | None, name: str) -> Decimal | None:
    return None if value is None or not value.strip() else domain.parse_money(value, name)


async def surety_by_code(session: AsyncSession, code: str) -> Organization:
    """INVALID_SURETY_CODE when malformed; UNKNOWN_SURETY when no registered surety has the code."""
    normalized = validate_surety_code(code)
    org = (await session.exec(select(Organization).where(Organization.surety_code == normalized))).first()
    if org is None or org.kind is not OrgKind.SURETY or normalized == SURETY_CODE_BOND_WAIVED:
        raise InvalidInput(f"no registered surety has code {normalized}", code="UNKNOWN_SURETY")
    return org


async def co_surety_by_code(session: AsyncSession, code: str) -> Organization:
    """The co-surety's own codes, so the caller knows which of the two codes is wrong."""
    try:
        return await surety_by_code(session, code)
    except InvalidInput as exc:
        raise InvalidInput(f"co-surety: {exc.message}", code=f"{exc.code.replace('SURETY', 'CO_SURETY')}") from None


def _riders(riders: list[str]) -> list[str]:
    cleaned = sorted({r.strip().upper() for r in riders})
    if len(cleaned) > MAX_RIDERS or any(not _RIDER.fullmatch(r) for r in cleaned):
        raise InvalidInput(f"riders are up to {MAX_RIDERS} names like RECONCILIATION", code="INVALID_RIDER")
    return cleaned


async def _lock_principal(session: AsyncSession, org_id: str) -> Organization | None:
    # Row lock on PostgreSQL: two filings for one principal serialize, so the overlap check below holds.
    query = select(Organization).where(Organization.id == org_id).with_for_update()
    return (await session.exec(query)).first()


async def prepare_bond(session: AsyncSession, spec: NewBond, now: datetime) -> PreparedBond:
    book = guide_book()
    number = domain.validate_bond_number(spec.number, book)
    type_ = _choice(domain.BondType, spec.type, "INVALID_BOND_TYPE")
    purpose = _choice(domain.Purpose, spec.purpose, "INVALID_PURPOSE")
    activity = domain.validate_activity_code(spec.activity_code, book)
    if (purpose == domain.Purpose.IPR_SAMPLE.value) != (activity in book.ipr_sample_activity_codes):
        raise InvalidInput(f"sample bonds, and only they, use activity codes {sorted(book.ipr_sample_activity_codes)}"
                           " (§ 113.70)", code="INVALID_ACTIVITY_CODE")
    amount = domain.parse_money(spec.amount, "amount", positive=True)
    dtf = _optional_money(spec.dtf, "dtf")
    entered = _optional_money(spec.entered_value, "enteredValue")
    subject_value = _optional_money(spec.adcvd_subject_value, "adcvdSubjectValue")
    rate = domain.parse_rate_percent(spec.adcvd_rate_percent) if spec.adcvd_rate_percent else None
    if (rate is None) != (subject_value is None):
        raise InvalidInput("the AD/CVD supplement needs both the rate and the subject value (R-BOND-05)",
                           code="ADCVD_INPUTS_INCOMPLETE")
    if type_ == domain.BondType.SINGLE_TRANSACTION.value and purpose == domain.Purpose.GENERAL.value:
        # R-BOND-04: the required amount is computed from both; without them it would read 0.00, "sufficient".
        if entered is None or dtf is None:
            raise InvalidInput("a single transaction bond states the entry's enteredValue and dtf (R-BOND-04)",
                               code="MISSING_SINGLE_TRANSACTION_VALUES")
        if subject_value is not None and subject_value > entered:
            raise InvalidInput("the AD/CVD subject value of a single transaction is part of its entered value",
                               code="ADCVD_SUBJECT_VALUE_EXCEEDS_ENTERED")
    if spec.sites < 1 or spec.sites > 1000:
        raise InvalidInput("sites is 1-1000 (C4 FTZ bonds: per activated site)", code="INVALID_SITES")
    if spec.terminates_on is not None and spec.terminates_on <= spec.effective_on:
        raise InvalidInput("a bond terminates after its effective date", code="TERMINATION_BEFORE_EFFECTIVE")
    riders = _riders(spec.riders)
    surety = await surety_by_code(session, spec.surety_code)
    co_surety = await co_surety_by_code(session, spec.co_surety_code) if spec.co_surety_code else None
    if co_surety is not None and co_surety.id == surety.id:
        raise InvalidInput("the co-surety is another surety than the surety", code="SAME_SURETY")
    principal = await _lock_principal(session, spec.principal_org_id)
    if principal is None:
        raise InvalidInput("the principal must be a registered organization", code="UNKNOWN_PRINCIPAL")
    wanted = {OrgKind.IP_OWNER} if purpose == domain.Purpose.IPR_SAMPLE.value else {OrgKind.IMPORTER, OrgKind.BROKER}
    if principal.kind not in wanted:
        raise InvalidInput(f"the principal of a {purpose} bond is one of {sorted(k.value for k in wanted)}",
                           code="INVALID_PRINCIPAL")
    if (await session.exec(select(Bond.id).where(Bond.number == number))).first() is not None:
        raise Conflict(f"bond {number} exists", code="BOND_NUMBER_TAKEN")
    row = Bond(number=number, type=type_, purpose=purpose, activity_code=activity, principal_org_id=principal.id,
               principal_name=principal.name, surety_org_id=surety.id,
               co_surety_org_id=co_surety.id if co_surety else None, filed_by_org_id=principal.id, amount=amount,
               effective_on=spec.effective_on, terminates_on=spec.terminates_on, riders=riders, dtf=dtf,
               entered_value=entered, pga_regulated=spec.pga_regulated, adcvd_rate_percent=rate,
               adcvd_subject_value=subject_value, sites=spec.sites, filed_at=now, filed_by_client="")
    supersedes = await _superseded(session, row, spec.supersedes_number) if spec.supersedes_number else None
    if type_ == domain.BondType.CONTINUOUS.value:
        await _check_overlap(session, row, supersedes)
    return PreparedBond(row, principal, surety, co_surety, supersedes)


async def _superseded(session: AsyncSession, new: Bond, number: str) -> Bond:
    """The bond a superseding filing replaces (R-BOND-03: "unless a higher bond is filed")."""
    old = await _bond_by_number(session, domain.validate_bond_number(number, guide_book()))
    if (old.principal_org_id, old.activity_code, old.type, old.purpose) != (
            new.principal_org_id, new.activity_code, domain.BondType.CONTINUOUS.value, new.purpose) \
            or new.type != domain.BondType.CONTINUOUS.value or new.effective_on < old.effective_on:
        raise InvalidInput("a superseding bond is a continuous bond of the same principal and activity, effective "
                           "on or after the bond it replaces", code="SUPERSEDING_MISMATCH")
    if old.terminates_on is not None and old.terminates_on <= new.effective_on:
        raise InvalidInput("the bond has already terminated by then", code="SUPERSEDING_MISMATCH")
    demanded = [n.required_amount for n in (await queries.notices_for(session, [old.id])).get(old.id, [])
                if n.required_amount is not None]
    floor = max([old.amount, *demanded])
    if new.amount <= old.amount or new.amount < floor:
        raise InvalidInput(f"a superseding bond is higher than {old.amount} and at least any amount CBP demanded "
                           f"({floor})", code="SUPERSEDING_AMOUNT_TOO_LOW")
    return old


async def _check_overlap(session: AsyncSession, new: Bond, supersedes: Bond | None) -> None:
    """One continuous bond per principal and activity at a time (Form 301 continuous bonds replace each other)."""
    others = (await session.exec(select(Bond).where(
        Bond.principal_org_id == new.principal_org_id, Bond.activity_code == new.activity_code,
        Bond.type == domain.BondType.CONTINUOUS.value))).all()
    for other in others:
        end = other.terminates_on
        if supersedes is not None and other.id == supersedes.id:
            # The superseded bond ends where its successor begins (file_bond cuts it there).
            end = new.effective_on if end is None else min(end, new.effective_on)
        if domain.overlaps(new.effective_on, new.terminates_on, other.effective_on, end):
            raise Conflict(f"continuous bond {other.number} already covers this principal and activity code "
                           f"from {other.effective_on}", code="BOND_OVERLAP", bond_number=other.number)


async def file_bond(session: AsyncSession, prepared: PreparedBond, filed_by_org_id: str, client_id: str,
                    now: datetime) -> Bond:
    row = prepared.row
    row.filed_by_org_id, row.filed_by_client = filed_by_org_id, client_id
    old = prepared.supersedes
    if old is not None:
        row.supersedes_bond_id = old.id
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"bond {row.number} exists", code="BOND_NUMBER_TAKEN") from exc
    await emit(session, BOND_EVENTS["FILED"], "Bond", row.id, now, now)
    if old is not None:
        old.terminates_on = min(old.terminates_on or row.effective_on, row.effective_on)
        old.version += 1
        session.add(old)
        for notice in (await queries.notices_for(session, [old.id])).get(old.id, []):
            if notice.superseded_at is None:
                notice.superseded_at, notice.superseded_by_bond_id = now, row.id
                session.add(notice)
        await emit(session, BOND_EVENTS["SUPERSEDED"], "Bond", old.id, now, now)
        await session.flush()
    return row


async def _bond_by_number(session: AsyncSession, number: str) -> Bond:
    row = (await session.exec(select(Bond).where(Bond.number == number))).first()
    if row is None:
        raise NotFound(f"no bond {number}", code="UNKNOWN_BOND")
    return row


async def load_for_update(session: AsyncSession, bond_id: str) -> Bond:
    row = (await session.exec(select(Bond).where(Bond.id == bond_id).with_for_update())).first()
    if row is None:
        raise NotFound("no such bond", code="UNKNOWN_BOND")
    return row


async def status_now(session: AsyncSession, row: Bond, now: datetime) -> domain.BondStatus:
    notices = (await queries.notices_for(session, [row.id])).get(row.id, [])
    return domain.status(row.effective_on, row.terminates_on,
                         [domain.Notice(n.noticed_at, n.superseded_at) for n in notices], now)


async def record_insufficiency(
    session: AsyncSession, bond_id: str, reason: str, noticed_at: datetime, now: datetime, client_id: str,
    required_amount: str | None = None, dtf: str | None = None, note: str | None = None,
) -> BondInsufficiencyNotice:
    """R-BOND-03: CBP's letter; principal and surety see it at once (and get bond.insufficiency_noticed)."""
    try:
        reason_ = domain.InsufficiencyReason(reason.strip().upper())
    except ValueError:
        raise InvalidInput(f"reason is one of {[r.value for r in domain.InsufficiencyReason]}",
                           code="INVALID_REASON") from None
    if noticed_at > now:
        raise InvalidInput("a notice cannot be dated in the future", code="NOTICE_IN_FUTURE")
    demanded = _optional_money(required_amount, "requiredAmount")
    new_dtf = _optional_money(dtf, "dtf")
    text = (note or "").strip() or None
    if text is not None and len(text) > 2000:
        raise InvalidInput("note: at most 2000 characters", code="INVALID_TEXT")
    row = await load_for_update(session, bond_id)
    if await status_now(session, row, now) is domain.BondStatus.TERMINATED:
        raise InvalidInput("the bond has terminated", code="BOND_TERMINATED")
    if new_dtf is not None:  # CBP's new DTF figure is what the required amount is computed from (R-BOND-02)
        row.dtf = new_dtf
        row.version += 1
        session.add(row)
    notice = BondInsufficiencyNotice(bond_id=row.id, noticed_at=noticed_at, reason=reason_.value,
                                     required_amount=demanded, note=text, recorded_at=now,
                                     recorded_by_client=client_id)
    session.add(notice)
    await session.flush()
    await emit(session, BOND_EVENTS["INSUFFICIENCY_NOTICED"], "Bond", row.id, noticed_at, now)
    return notice


@dataclass(frozen=True)
class NewSecuredEntry:
    entry_number: str
    entry_date: date
    entered_value: str
    dtf: str
    adcvd_bonded: bool = False
    adcvd_open: str = "0.00"


async def secure_entry(session: AsyncSession, bond_id: str, spec: NewSecuredEntry, now: datetime,
                       client_id: str) -> BondSecuredEntry:
    """Link an entry to the bond that secures it. An insufficient bond secures nothing (R-BOND-03)."""
    entry_number = normalize_entry_number(spec.entry_number)
    value = domain.parse_money(spec.entered_value, "enteredValue")
    dtf = domain.parse_money(spec.dtf, "dtf")
    adcvd_open = domain.parse_money(spec.adcvd_open, "adcvdOpen")
    row = await load_for_update(session, bond_id)
    if row.purpose == domain.Purpose.IPR_SAMPLE.value:
        raise InvalidInput("a sample bond secures samples, not entries (§ 113.70)", code="NOT_AN_ENTRY_BOND")
    state = await status_now(session, row, now)
    if state is domain.BondStatus.INSUFFICIENT:
        raise InvalidInput(f"bond {row.number} is insufficient: it cannot secure new entries (R-BOND-03)",
                           code="BOND_INSUFFICIENT")
    if state is not domain.BondStatus.ACTIVE:
        raise InvalidInput(f"bond {row.number} is {state.value}", code="BOND_NOT_ACTIVE")
    if not (row.effective_on <= spec.entry_date and (row.terminates_on is None or spec.entry_date < row.terminates_on)):
        raise InvalidInput("the entry date is outside the bond's term", code="ENTRY_OUTSIDE_BOND_TERM")
    if row.type == domain.BondType.SINGLE_TRANSACTION.value and (
            await session.exec(select(BondSecuredEntry.id).where(BondSecuredEntry.bond_id == row.id))).first():
        raise Conflict("a single transaction bond secures one entry", code="SINGLE_TRANSACTION_BOND_USED")
    if (await session.exec(select(BondSecuredEntry.id).where(
            col(BondSecuredEntry.entry_number) == entry_number))).first() is not None:
        raise Conflict(f"entry {entry_number} is already secured", code="ENTRY_ALREADY_SECURED")
    surety = await session.get(Organization, row.surety_org_id)
    surety_code = surety.surety_code if surety else None
    if spec.adcvd_bonded and (surety_code is None or surety_code == SURETY_CODE_BOND_WAIVED):
        # R-BOND-05: bonded AD/CVD needs a surety code on the AD/CVD line data.
        raise InvalidInput("bonded AD/CVD needs the bond's surety code", code="ADCVD_SURETY_REQUIRED")
    entry = BondSecuredEntry(bond_id=row.id, entry_number=entry_number, entry_date=spec.entry_date,
                             entered_value=value, dtf=dtf, adcvd_bonded=spec.adcvd_bonded, adcvd_open=adcvd_open,
                             surety_code=surety_code if spec.adcvd_bonded else None, secured_at=now,
                             secured_by_client=client_id)
    session.add(entry)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"entry {entry_number} is already secured", code="ENTRY_ALREADY_SECURED") from exc
    await emit(session, BOND_EVENTS["ENTRY_SECURED"], "Bond", row.id, now, now)
    return entry
