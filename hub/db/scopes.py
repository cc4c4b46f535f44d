"""Row scopes: SQL filters that make lists fast. Each mirrors a Cedar read rule in ``policies/``;
tests/db/test_scopes.py proves row for row that scope and policy agree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, literal, or_, select, true
from sqlmodel import col

from hub.auth.principal import Principal
from hub.db.ipr_tables import Detention, DetentionRecordation
from hub.db.tables import Organization, PowerOfAttorney, Recordation


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
    """Mirrors ReadDetention in policies/ipr.cedar: R-IPR-CBP, R-IPR-08, R-IPR-04 with R-IPR-01/-02/-14."""
    presented = col(Detention.presented_at) <= now
    kind, me = principal.org_kind, principal.organization_id
    if kind == "CBP":
        return true()
    if kind == "IMPORTER":
        return and_(col(Detention.importer_org_id) == me, presented)
    if kind == "BROKER":
        return and_(_poa_principals(me), presented)
    if kind == "IP_OWNER":
        today = now.date()
        active_named = exists().where(
            col(DetentionRecordation.detention_id) == col(Detention.id),
            col(DetentionRecordation.recordation_number) == col(Recordation.number),
            col(Recordation.owner_org_id) == me,
            col(Recordation.status) == "ACTIVE",
            col(Recordation.principal_register).is_(True),
            or_(col(Recordation.expires_on).is_(None), col(Recordation.expires_on) >= today),
        )
        return and_(active_named, col(Detention.le_hold).is_(False), presented)
    return false()
