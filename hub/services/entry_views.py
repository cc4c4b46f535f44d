"""Entries as one viewer sees them: lines, the case facts the checks need, policy subject, findings at ``now``.

A page of entries costs a fixed handful of statements: lines, cases (named, companions, third-country), rates,
bonds' sureties; whatever the page size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.adcvd_tables import AdcvdCase, AdcvdCompanyRate, Entry, EntryLine
from hub.db.bond_tables import Bond
from hub.domain import adcvd
from hub.domain.adcvd_checks import CaseFacts, EntryFacts, Finding, LineFacts, findings
from hub.domain.identifiers import IorKind, parse_ior_number
from hub.errors import HubError
from hub.policy.adcvd_facts import EntryTies, entry_subject
from hub.policy.facts import Subject


@dataclass(frozen=True)
class EntryView:
    row: Entry
    lines: list[EntryLine]
    subject: Subject
    findings: list[Finding]
    bond_number: str | None

    @property
    def deposits(self) -> Decimal:
        return sum((ln.deposit_amount or Decimal(0) for ln in self.lines), Decimal("0.00"))

    @property
    def entered_value(self) -> Decimal:
        return sum((ln.entered_value for ln in self.lines), Decimal("0.00"))


async def case_facts(session: AsyncSession, numbers: set[str]) -> dict[str, CaseFacts]:
    """Facts of the named cases, their companions, and every third-country case with its order."""
    wanted = set(numbers)
    query = select(AdcvdCase).where(or_(col(AdcvdCase.number).in_(sorted(wanted)),
                                        col(AdcvdCase.third_country_of_id).is_not(None)))
    rows = {c.number: c for c in (await session.exec(query)).all()}
    extra = {c.companion_number for c in rows.values() if c.companion_number} - set(rows)
    by_id = {c.id: c for c in rows.values()}
    orders = {c.third_country_of_id for c in rows.values() if c.third_country_of_id} - set(by_id)
    if extra or orders:
        more = (await session.exec(select(AdcvdCase).where(or_(col(AdcvdCase.number).in_(sorted(extra)),
                                                                col(AdcvdCase.id).in_(sorted(orders)))))).all()
        rows.update({c.number: c for c in more})
        by_id.update({c.id: c for c in more})
    rates: dict[str, list[AdcvdCompanyRate]] = defaultdict(list)
    for r in (await session.exec(select(AdcvdCompanyRate).where(col(AdcvdCompanyRate.case_id).in_(sorted(by_id)))
                                 .order_by(col(AdcvdCompanyRate.effective_from)))).all():
        rates[r.case_id].append(r)
    facts = {}
    for c in rows.values():
        of = by_id[c.third_country_of_id].number if c.third_country_of_id in by_id else None
        facts[c.number] = CaseFacts(
            number=c.number, country_iso=adcvd.country_iso(c.country_code), companion_number=c.companion_number,
            third_country_of=of, hts_scope=tuple(c.hts_scope), order_date=c.order_date,
            companies={r.company_suffix: r.company_name for r in rates[c.id]},
            rate_history=tuple((r.effective_from, r.rate_percent) for r in rates[c.id] if r.company_suffix == "000"))
    return facts


def _non_resident(ior: str) -> bool:
    # 19 CFR 24.5: a CBP-assigned number (YYDDPP-NNNNN) goes to an importer without an IRS or SSN number,
    # which in practice is a non-resident importer; the Hub uses that as its signal (FACTS §4: rules unconfirmed).
    try:
        return parse_ior_number(ior).kind is IorKind.CBP_ASSIGNED
    except HubError:
        return False


def entry_facts(row: Entry, lines: Sequence[EntryLine]) -> EntryFacts:
    return EntryFacts(
        number=row.number, entry_type=row.entry_type, entry_date=row.entry_date,
        lines=tuple(LineFacts(ln.line_number, ln.hts_number, ln.country_of_origin, ln.entered_value,
                              ln.case_number, ln.company_suffix, ln.manufacturer, ln.deposit_amount)
                    for ln in sorted(lines, key=lambda ln: ln.line_number)),
        liquidated_on=row.liquidation_date, suspension_lifted_on=row.suspension_lifted_on,
        reimbursement_certificate_on_file=row.reimbursement_certificate_on_file,
        importer_non_resident=_non_resident(row.importer_ior))


async def build_views(session: AsyncSession, rows: Sequence[Entry], ties: EntryTies,
                      now: datetime) -> list[EntryView]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    lines: dict[str, list[EntryLine]] = defaultdict(list)
    for ln in (await session.exec(select(EntryLine).where(col(EntryLine.entry_id).in_(ids))
                                  .order_by(col(EntryLine.line_number)))).all():
        lines[ln.entry_id].append(ln)
    bond_ids = sorted({r.bond_id for r in rows if r.bond_id})
    bonds = {b.id: b for b in (await session.exec(select(Bond).where(col(Bond.id).in_(bond_ids)))).all()}
    facts = await case_facts(session, {ln.case_number for ls in lines.values() for ln in ls if ln.case_number})
    config, today = adcvd.checks_config(), now.date()
    views = []
    for r in rows:
        bond = bonds.get(r.bond_id) if r.bond_id else None
        sureties = (bond.surety_org_id, bond.co_surety_org_id) if bond else ()
        subject = entry_subject(ties, r.importer_org_id, r.filer_org_id, sureties, r.id)
        views.append(EntryView(r, lines[r.id], subject, findings(entry_facts(r, lines[r.id]), facts, config, today),
                               bond.number if bond else None))
    return views
