"""Row scopes: SQL filters that make lists fast. Each mirrors a Cedar read rule in ``policies/``;
tests/db/test_scopes.py proves row for row that scope and policy agree.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, literal, or_, select
from sqlmodel import col

from hub.auth.principal import Principal
from hub.db.tables import Organization, PowerOfAttorney


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
