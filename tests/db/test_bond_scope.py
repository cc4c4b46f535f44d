"""The bond row scope agrees with Cedar's ReadBond, row for row (DESIGN.md "one policy, two uses").

Hypothesis builds worlds - organizations of every kind, powers of attorney (some revoked), bonds with any
principal, surety, optional co-surety and filer, general or IPR sample - and every organization in turn is
the viewer: bonds_visible_to(principal) must return exactly the bonds for which the policy, fed the facts
hub/policy/bond_facts.py builds, allows ReadBond. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import scopes
from hub.db.bond_tables import Bond, BondInsufficiencyNotice, BondSecuredEntry
from hub.db.tables import Organization, OrgKind, PowerOfAttorney
from hub.policy.bond_facts import BondTies, bond_subject
from hub.policy.engine import PolicyEngine
from hub.policy.facts import poa_relations, principal_facts
from hub.runtime import POLICIES_DIR
from hub.services.parties import active_poa_pairs
from tests.db.scope_check import check_each_viewer, viewer_principal

ENGINE = PolicyEngine(POLICIES_DIR)
NOW = datetime(2026, 1, 5, 15, 30, tzinfo=UTC)
ROLES = {OrgKind.CBP: {"officer"}, OrgKind.PGA: {"agency"}}
ORG = st.integers(0, 10)

world = st.fixed_dictionaries({
    "extra": st.lists(st.sampled_from(list(OrgKind)), max_size=5),
    "poas": st.lists(st.tuples(ORG, ORG, st.booleans()), max_size=6),
    # (principal, surety, co-surety or None, filer, IPR sample?)
    "bonds": st.lists(st.tuples(ORG, ORG, st.none() | ORG, ORG, st.booleans()), max_size=8),
})


async def _seed(session: AsyncSession, spec: dict[str, Any], realistic: bool) -> list[Organization]:
    """``realistic`` keeps the services' invariants (principals are importers or, for sample bonds, IP owners;
    sureties are sureties; powers of attorney join a broker to an importer); otherwise any kind plays any part."""
    orgs = [Organization(id=f"org{i:02d}", slug=f"org-{i}", name=f"Org {i}", kind=k, created_at=NOW)
            for i, k in enumerate([*OrgKind, *spec["extra"]])]

    def pick(kind: OrgKind, i: int) -> str:
        pool = [o for o in orgs if o.kind is kind] if realistic else orgs
        return pool[i % len(pool)].id

    for table in (BondSecuredEntry, BondInsufficiencyNotice, Bond, PowerOfAttorney, Organization):
        await session.exec(delete(table))  # type: ignore[call-overload]
    session.add_all(orgs)
    await session.flush()
    for n, (b, i, revoked) in enumerate(spec["poas"]):
        broker, importer = pick(OrgKind.BROKER, b), pick(OrgKind.IMPORTER, i)
        if broker != importer:
            session.add(PowerOfAttorney(id=f"poa{n}", broker_org_id=broker, importer_org_id=importer,
                                        granted_on=date(2025, 1, 1), revoked_at=NOW if revoked else None))
    for n, (principal, surety, co_surety, filer, sample) in enumerate(spec["bonds"]):
        principal_id = pick(OrgKind.IP_OWNER if sample else OrgKind.IMPORTER, principal)
        surety_id = pick(OrgKind.SURETY, surety)
        co_id = pick(OrgKind.SURETY, co_surety) if co_surety is not None else None
        session.add(Bond(
            id=f"bond{n}", number=f"{n:09d}", type="CONTINUOUS" if not sample else "SINGLE_TRANSACTION",
            purpose="IPR_SAMPLE" if sample else "GENERAL", activity_code="8" if sample else "1",
            principal_org_id=principal_id, principal_name="P", surety_org_id=surety_id, co_surety_org_id=co_id,
            filed_by_org_id=pick(OrgKind.SURETY, filer) if realistic else orgs[filer % len(orgs)].id,
            amount=Decimal("50000.00"), effective_on=date(2025, 1, 1), filed_at=NOW, filed_by_client="t"))
    await session.flush()
    return orgs


async def _scoped_and_allowed(session: AsyncSession, viewer: Organization) -> tuple[set[str], set[str]]:
    principal = viewer_principal(viewer, ROLES)
    scoped = set((await session.exec(select(Bond.id).where(scopes.bonds_visible_to(principal)))).all())
    ties = BondTies(viewer.id, poa_relations(viewer.id, await active_poa_pairs(session, viewer.id)))
    rows = (await session.exec(select(Bond).order_by(col(Bond.id)))).all()
    facts = principal_facts(principal)
    allowed = {r.id for r in rows
               if ENGINE.decide(facts, "ReadBond", "Bond", bond_subject(r, ties).facts).allowed}
    return scoped, allowed


async def _check(url: str, spec: dict[str, Any], realistic: bool) -> None:
    await check_each_viewer(url, lambda session: _seed(session, spec, realistic), _scoped_and_allowed)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=world)
def test_bond_scope_agrees_with_read_bond_policy(database_url: str, spec: dict[str, Any]) -> None:
    # R-BOND-CBP, R-BOND-01 (principal, POA broker, filer, surety, co-surety), -OWNER, -PGA.
    asyncio.run(_check(database_url, spec, realistic=True))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=world)
# Found by this test: two organizations holding each other's power of attorney (hub.policy.facts.poa_relations
# must keep the broker tie when the reverse one exists).
@example(spec={"extra": [], "poas": [(1, 0, False), (0, 1, False)], "bonds": [(0, 0, None, 0, False)]})
def test_bond_scope_agrees_with_policy_whatever_kind_plays_each_part(database_url: str, spec: dict[str, Any]) -> None:
    # Nothing in the database stops an importer from being a bond's surety: the scope must follow the policy's
    # relations then too.
    asyncio.run(_check(database_url, spec, realistic=False))
