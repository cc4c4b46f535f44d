"""Row scopes: SQL filters that make lists fast. Each mirrors a Cedar read rule in ``policies/``;
tests/db/test_scopes.py proves row for row that scope and policy agree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, literal, or_, select, true
from sqlmodel import col

from hub.auth.principal import Principal
from hub.db.adcvd_tables import Entry
from hub.db.bond_tables import Bond
from hub.db.forced_labor_tables import ForcedLaborAllegation, ForcedLaborDetention
from hub.db.ipr_tables import Detention, DetentionRecordation
from hub.db.tables import Organization, PowerOfAttorney, Recordation
from hub.domain.bonds import Purpose


def organizations_visible_to(principal: Principal) -> ColumnElement[bool]:
    """Mirrors ReadOrganization: R-ORG-01 (CBP), R-ORG-02 (self), R-ORG-03 (active power of attorney)."""
    if principal.org_kind == "CBP":
        return literal(True)
    me = principal.organization_id
    active = col(PowerOfAttorney.revoked_at).is_(None)
    my_principals = select(col(PowerOfAttorney.importer_org_id)).where(col(PowerOfAttorney.broker_org_id) == me, active)
    my_brokers = select(col(PowerOfAttorney.broker_org_id)).where(col(PowerOfAttorney.importer_org_id) == me, active)
    return or_(
        col(Organization.id) == me,
        col(Organization.id).in_(my_principals),
        col(Organization.id).in_(my_brokers),
    )


def _poa_principals(broker_org_id: str) -> ColumnElement[bool]:
    principals = select(col(PowerOfAttorney.importer_org_id)).where(
        col(PowerOfAttorney.broker_org_id) == broker_org_id, col(PowerOfAttorney.revoked_at).is_(None)
    )
    return col(Detention.importer_org_id).in_(principals)


def detentions_visible_to(principal: Principal, now: datetime) -> ColumnElement[bool]:
    """Mirrors ReadDetention in policies/ipr.cedar: R-IPR-CBP, R-IPR-08, R-IPR-04 with R-IPR-01/-02/-14.

    The relations, not the organization's kind, decide (as the facts in hub/policy/detention_facts.py
    do): the importer of record, its broker holding a power of attorney, or the holder of an active
    recordation named on the case when no law-enforcement hold applies.
    """
    kind, me = principal.org_kind, principal.organization_id
    if kind == "CBP":
        return true()
    if kind in ("SURETY", "PGA"):
        return false()  # R-IPR-14
    today = now.date()
    active_named = exists().where(
        col(DetentionRecordation.detention_id) == col(Detention.id),
        col(DetentionRecordation.recordation_number) == col(Recordation.number),
        col(Recordation.owner_org_id) == me,
        col(Recordation.status) == "ACTIVE",
        col(Recordation.principal_register).is_(True),
        or_(col(Recordation.expires_on).is_(None), col(Recordation.expires_on) >= today),
    )
    return and_(
        col(Detention.presented_at) <= now,
        or_(
            col(Detention.importer_org_id) == me,
            _poa_principals(me),
            and_(active_named, col(Detention.le_hold).is_(False)),
        ),
    )


def bonds_visible_to(principal: Principal) -> ColumnElement[bool]:
    """Mirrors ReadBond in policies/bonds.cedar: R-BOND-CBP, R-BOND-01 (principal, POA broker, filer,
    surety, co-surety), R-BOND-01-OWNER (IP owners: their own sample bonds only), R-BOND-01-PGA."""
    kind, me = principal.org_kind, principal.organization_id
    if kind == "CBP":
        return true()
    if kind == "PGA":
        return false()
    if kind == "IP_OWNER":
        return and_(col(Bond.principal_org_id) == me, col(Bond.purpose) == Purpose.IPR_SAMPLE.value)
    principals = select(col(PowerOfAttorney.importer_org_id)).where(
        col(PowerOfAttorney.broker_org_id) == me, col(PowerOfAttorney.revoked_at).is_(None)
    )
    return or_(
        col(Bond.principal_org_id) == me,
        col(Bond.principal_org_id).in_(principals),
        col(Bond.filed_by_org_id) == me,
        col(Bond.surety_org_id) == me,
        col(Bond.co_surety_org_id) == me,
    )


def forced_labor_detentions_visible_to(principal: Principal) -> ColumnElement[bool]:
    """Mirrors ReadForcedLaborDetention in policies/forced_labor.cedar: R-FL-02-CBP, R-FL-02 (importer of record,
    its broker with an active power of attorney), R-FL-02-OTHERS (IP owners, sureties, PGAs: none), R-FL-01-ANON."""
    kind, me = principal.org_kind, principal.organization_id
    if kind == "CBP":
        return true()
    if kind in ("IP_OWNER", "SURETY", "PGA", "ANONYMOUS"):
        return false()
    principals = select(col(PowerOfAttorney.importer_org_id)).where(
        col(PowerOfAttorney.broker_org_id) == me, col(PowerOfAttorney.revoked_at).is_(None)
    )
    return or_(col(ForcedLaborDetention.importer_org_id) == me,
               col(ForcedLaborDetention.importer_org_id).in_(principals))


def allegations_visible_to(principal: Principal) -> ColumnElement[bool]:
    """Mirrors ReadAllegation: R-FL-04-CBP (CBP sees all), R-FL-04-READ (submitters see their own)."""
    if principal.org_kind == "CBP":
        return true()
    if principal.org_kind == "ANONYMOUS":
        return false()
    return col(ForcedLaborAllegation.submitter_org_id) == principal.organization_id


def entries_visible_to(principal: Principal) -> ColumnElement[bool]:
    """Mirrors ReadEntry in policies/adcvd.cedar: R-AD-06-CBP, R-AD-06 (importer, POA broker, filer),
    R-AD-06-SURETY (surety or co-surety of the securing bond), R-AD-06-NONE (IP owners and PGAs)."""
    kind, me = principal.org_kind, principal.organization_id
    if kind == "CBP":
        return true()
    if kind in ("PGA", "IP_OWNER"):
        return false()
    principals = select(col(PowerOfAttorney.importer_org_id)).where(
        col(PowerOfAttorney.broker_org_id) == me, col(PowerOfAttorney.revoked_at).is_(None)
    )
    my_bonds = select(col(Bond.id)).where(or_(col(Bond.surety_org_id) == me, col(Bond.co_surety_org_id) == me))
    return or_(
        col(Entry.importer_org_id) == me,
        col(Entry.importer_org_id).in_(principals),
        col(Entry.filer_org_id) == me,
        col(Entry.bond_id).in_(my_bonds),
    )

