"""The entry row scope agrees with Cedar's ReadEntry, row for row (DESIGN.md "one policy, two uses").

Hypothesis builds worlds - organizations of every kind, powers of attorney (some revoked), bonds with a surety
and an optional co-surety, entries with an importer, an optional filer organization and an optional bond - and
every organization in turn is the viewer: entries_visible_to(principal) must return exactly the entries for which
policies/adcvd.cedar, fed the facts hub/policy/adcvd_facts.py builds, allows ReadEntry. Runs on SQLite and
PostgreSQL.
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
from hub.db.adcvd_tables import Entry, EntryLine
from hub.db.bond_tables import Bond, BondInsufficiencyNotice, BondSecuredEntry
from hub.db.tables import Organization, OrgKind, PowerOfAttorney
from hub.domain.identifiers import entry_check_digit
from hub.policy.adcvd_facts import EntryTies, entry_subject
from hub.policy.engine import PolicyEngine
from hub.policy.facts import poa_relations, principal_facts
from hub.runtime import POLICIES_DIR
from hub.services.parties import active_poa_pairs
from tests.db.scope_check import check_each_viewer, viewer_principal

ENGINE = PolicyEngine(POLICIES_DIR)
NOW = datetime(2026, 1, 5, 15, 30, tzinfo=UTC)
# PGAs get the "adcvd" role (Commerce): R-AD-06-COMMERCE grants case aggregates, never entries (R-AD-06-NONE).
ROLES = {OrgKind.CBP: {"officer"}, OrgKind.PGA: {"agency", "adcvd"}}
ORG = st.integers(0, 10)

world = st.fixed_dictionaries({
    "extra": st.lists(st.sampled_from(list(OrgKind)), max_size=5),
    # (broker, importer, revoked?)
    "poas": st.lists(st.tuples(ORG, ORG, st.booleans()), max_size=6),
    # (principal, surety, co-surety or None)
    "bonds": st.lists(st.tuples(ORG, ORG, st.none() | ORG), max_size=5),
    # (importer, filer org or None, bond index or None)
    "entries": st.lists(st.tuples(ORG, st.none() | ORG, st.none() | st.integers(0, 4)), max_size=8),
})


def _entry_number(n: int) -> str:
    base = f"ZQ8{n:07d}"
    return f"ZQ8-{n:07d}-{entry_check_digit(base)}"


async def _seed(session: AsyncSession, spec: dict[str, Any], realistic: bool) -> list[Organization]:
    """``realistic`` keeps the services' invariants (importers of record and bond principals are importers, filers
    are brokers, sureties are sureties, powers of attorney join a broker to an importer); otherwise any kind
    plays any part."""
    orgs = [Organization(id=f"org{i:02d}", slug=f"org-{i}", name=f"Org {i}", kind=k, created_at=NOW)
            for i, k in enumerate([*OrgKind, *spec["extra"]])]

    def pick(kind: OrgKind, i: int) -> str:
        pool = [o for o in orgs if o.kind is kind] if realistic else orgs
        return pool[i % len(pool)].id

    for table in (EntryLine, Entry, BondSecuredEntry, BondInsufficiencyNotice, Bond, PowerOfAttorney, Organization):
        await session.exec(delete(table))  # type: ignore[call-overload]
    session.add_all(orgs)
    await session.flush()
    for n, (b, i, revoked) in enumerate(spec["poas"]):
        broker, importer = pick(OrgKind.BROKER, b), pick(OrgKind.IMPORTER, i)
        if broker != importer:
            session.add(PowerOfAttorney(id=f"poa{n}", broker_org_id=broker, importer_org_id=importer,
                                        granted_on=date(2025, 1, 1), revoked_at=NOW if revoked else None))
    bond_ids = []
    for n, (principal, surety, co_surety) in enumerate(spec["bonds"]):
        principal_id = pick(OrgKind.IMPORTER, principal)
        surety_id = pick(OrgKind.SURETY, surety)
        co_id = pick(OrgKind.SURETY, co_surety) if co_surety is not None else None
        bond_ids.append(f"bond{n}")
        session.add(Bond(
            id=f"bond{n}", number=f"{n:09d}", type="CONTINUOUS", purpose="GENERAL", activity_code="1",
            principal_org_id=principal_id, principal_name="P", surety_org_id=surety_id, co_surety_org_id=co_id,
            filed_by_org_id=surety_id, amount=Decimal("50000.00"), effective_on=date(2025, 1, 1), filed_at=NOW,
            filed_by_client="t"))
    await session.flush()
    cbp = pick(OrgKind.CBP, 0) if realistic else orgs[0].id
    for n, (importer, filer, bond) in enumerate(spec["entries"]):
        number = _entry_number(n)
        session.add(Entry(
            id=f"entry{n}", number=number, entry_type="03", importer_org_id=pick(OrgKind.IMPORTER, importer),
            importer_ior="12-3456789AB", filer_code=number[:3],
            filer_org_id=pick(OrgKind.BROKER, filer) if filer is not None else None, port_code="2704",
            entry_date=date(2025, 6, 1),
            bond_id=bond_ids[bond % len(bond_ids)] if bond is not None and bond_ids else None,
            recorded_by_org_id=cbp, recorded_by_client="t", recorded_at=NOW, source="IMPORT"))
    await session.flush()
    return orgs


async def _scoped_and_allowed(session: AsyncSession, viewer: Organization) -> tuple[set[str], set[str]]:
    principal = viewer_principal(viewer, ROLES)
    scoped = set((await session.exec(select(Entry.id).where(scopes.entries_visible_to(principal)))).all())
    ties = EntryTies(viewer.id, poa_relations(viewer.id, await active_poa_pairs(session, viewer.id)))
    bonds = {b.id: b for b in (await session.exec(select(Bond))).all()}
    rows = (await session.exec(select(Entry).order_by(col(Entry.id)))).all()
    facts = principal_facts(principal)
    allowed = set()
    for r in rows:
        bond = bonds.get(r.bond_id) if r.bond_id else None
        # As hub/services/entry_views.build_views builds them: the securing bond's surety and co-surety.
        sureties = (bond.surety_org_id, bond.co_surety_org_id) if bond else ()
        subject = entry_subject(ties, r.importer_org_id, r.filer_org_id, sureties, r.id)
        if ENGINE.decide(facts, "ReadEntry", "Entry", subject.facts).allowed:
            allowed.add(r.id)
    return scoped, allowed


async def _check(url: str, spec: dict[str, Any], realistic: bool) -> None:
    await check_each_viewer(url, lambda session: _seed(session, spec, realistic), _scoped_and_allowed)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=world)
# A co-surety only, and a revoked power of attorney next to an active one.
@example(spec={"extra": [OrgKind.SURETY, OrgKind.BROKER], "poas": [(0, 0, True), (1, 0, False)],
               "bonds": [(0, 0, 1)], "entries": [(0, None, 0), (0, 1, None), (0, 0, 0)]})
def test_entry_scope_agrees_with_read_entry_policy(database_url: str, spec: dict[str, Any]) -> None:
    # R-AD-06-CBP (CBP: all), R-AD-06 (importer, POA broker with an unrevoked power of attorney, filer),
    # R-AD-06-SURETY (surety or co-surety of the entry's bond), R-AD-06-NONE (IP owners and PGAs: none, Commerce
    # included).
    asyncio.run(_check(database_url, spec, realistic=True))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=world)
# Two organizations holding each other's power of attorney (the broker tie must survive the reverse one), and an
# IP owner / PGA that is importer, filer and surety at once (R-AD-06-NONE forbids whatever tie a fact claims).
@example(spec={"extra": [], "poas": [(1, 0, False), (0, 1, False)], "bonds": [(3, 3, 5)],
               "entries": [(0, None, None), (3, 3, 0), (5, 5, 0)]})
def test_entry_scope_agrees_with_policy_whatever_kind_plays_each_part(database_url: str,
                                                                      spec: dict[str, Any]) -> None:
    # Nothing in the database stops a surety from being an importer of record or a CBP office from filing: the
    # scope must follow the policy's relations then too (R-AD-06, -SURETY), and R-AD-06-NONE still wins.
    asyncio.run(_check(database_url, spec, realistic=False))
