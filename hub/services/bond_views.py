"""A bond as one viewer sees it at one instant: status, sufficiency, notices, exposure and policy subject.

Shared by GraphQL and the CSV export, so both show the same figures computed by the same rules
(hub/domain/bonds.py) from the same batch queries (hub/db/bond_queries.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import bond_queries as queries
from hub.db.bond_tables import Bond, BondInsufficiencyNotice
from hub.db.tables import Organization
from hub.domain import bonds as domain
from hub.domain.bond_guides import Guide, guide_book
from hub.policy.bond_facts import BondTies, bond_subject
from hub.policy.facts import Subject


@dataclass(frozen=True)
class NoticeView:
    row: BondInsufficiencyNotice
    insufficient_at: datetime
    takes_effect: bool  # False once a superseding bond was filed within the 15 days (R-BOND-03)


@dataclass(frozen=True)
class Sufficiency:
    requirement: domain.Requirement
    amount: Decimal
    shortfall: Decimal | None
    guide_version: str

    @property
    def sufficient(self) -> bool | None:
        return None if self.shortfall is None else self.shortfall == 0


@dataclass(frozen=True)
class BondView:
    row: Bond
    subject: Subject
    status: domain.BondStatus
    insufficient_from: datetime | None
    notices: tuple[NoticeView, ...]
    sufficiency: Sufficiency
    exposure: queries.Exposure
    surety: Organization | None
    co_surety: Organization | None
    supersedes_number: str | None
    superseded_by_number: str | None


def requirement_of(row: Bond, exposure: queries.Exposure, guide: Guide) -> domain.Requirement:
    """What ``guide`` (the one in force today) requires of this bond, and from which inputs."""
    if row.purpose == domain.Purpose.IPR_SAMPLE.value:
        # § 133.21(b)(5), (c)(2), (f): CBP sets a sample bond's amount per request; no guide formula (R-IPR-07).
        return domain.Requirement(None, "R-IPR-07", "sample bond: amount set by CBP for the request", None, ())
    if row.type == domain.BondType.SINGLE_TRANSACTION.value:
        if row.entered_value is None or row.dtf is None:
            # Filed before both were required: no amount can be computed, so none is claimed (never "0.00").
            return domain.Requirement(None, "R-BOND-04", "single transaction bond without entered value and DTF",
                                      guide.id, ())
        return domain.single_transaction_required(guide, row.entered_value, row.dtf, row.pga_regulated,
                                                  adcvd_rate_percent=row.adcvd_rate_percent,
                                                  adcvd_subject_value=row.adcvd_subject_value)
    # R-BOND-02: CBP's recorded DTF figure for the previous 12 months when there is one, else the DTF of the
    # entries this bond secured in those 12 months.
    dtf, source = (row.dtf, "RECORDED") if row.dtf is not None else (exposure.dtf_last_12_months, "SECURED_ENTRIES")
    req = domain.continuous_required(guide, row.activity_code, dtf, sites=row.sites,
                                     adcvd_rate_percent=row.adcvd_rate_percent,
                                     adcvd_subject_value=row.adcvd_subject_value)
    return domain.Requirement(req.required, req.rule_id, req.basis, req.guide_id, (*req.inputs, ("dtfSource", source)))


def notice_views(rows: Sequence[BondInsufficiencyNotice]) -> tuple[NoticeView, ...]:
    out = []
    for n in rows:
        clock = domain.Notice(n.noticed_at, n.superseded_at)
        out.append(NoticeView(n, domain.insufficient_at(clock), domain.takes_effect(clock)))
    return tuple(out)


def bond_view(row: Bond, ties: BondTies, notices: Sequence[BondInsufficiencyNotice], exposure: queries.Exposure,
              orgs: Mapping[str, Organization], numbers: Mapping[str, str], successors: Mapping[str, str],
              now: datetime, guide: Guide | None = None) -> BondView:
    book = guide_book()
    clocks = [domain.Notice(n.noticed_at, n.superseded_at) for n in notices]
    requirement = requirement_of(row, exposure, guide or book.guide_for(now.date()))
    return BondView(
        row=row, subject=bond_subject(row, ties),
        status=domain.status(row.effective_on, row.terminates_on, clocks, now),
        insufficient_from=domain.insufficient_from(clocks), notices=notice_views(notices),
        sufficiency=Sufficiency(requirement, row.amount, domain.shortfall(row.amount, requirement.required),
                                book.version),
        exposure=exposure, surety=orgs.get(row.surety_org_id),
        co_surety=orgs.get(row.co_surety_org_id) if row.co_surety_org_id else None,
        supersedes_number=numbers.get(row.supersedes_bond_id) if row.supersedes_bond_id else None,
        superseded_by_number=successors.get(row.id),
    )


def org_ids(rows: Sequence[Bond]) -> set[str]:
    return {r.surety_org_id for r in rows} | {r.co_surety_org_id for r in rows if r.co_surety_org_id}


async def build_views(session: AsyncSession, rows: Sequence[Bond], ties: BondTies, orgs: Mapping[str, Organization],
                      now: datetime) -> list[BondView]:
    """Views for a page: four batch queries (notices, exposure, predecessor numbers, successors)."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    notices = await queries.notices_for(session, ids)
    exposure = await queries.exposure_for(session, ids, domain.twelve_months_before(now.date()))
    numbers = await queries.numbers_by_id(session, [r.supersedes_bond_id for r in rows if r.supersedes_bond_id])
    successors = await queries.successors_of(session, ids)
    guide = guide_book().guide_for(now.date())
    return [bond_view(r, ties, notices.get(r.id, []), exposure.get(r.id, queries.Exposure()), orgs, numbers,
                      successors, now, guide) for r in rows]
