"""The detention row scope agrees with Cedar's ReadDetention, row for row (DESIGN.md "one policy, two uses").

Hypothesis builds worlds - organizations of every kind, powers of attorney (some revoked), recordations
(ACTIVE/EXPIRED, expiring around ``now``, Principal/Supplemental Register), detentions (law-enforcement hold or
not, presented just before/at/after ``now``, naming 1-2 recordations). Every organization in turn is the viewer:
the SQL scope detentions_visible_to(principal, now) must return exactly the rows for which the policy, fed the
facts that hub/file_routes.py ``_decide`` builds, allows ReadDetention. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import detention_queries as queries
from hub.db import scopes
from hub.db.ipr_tables import Detention, DetentionRecordation, OwnerAcknowledgement
from hub.db.tables import Organization, OrgKind, PowerOfAttorney, Recordation
from hub.domain.calendar import BusinessCalendar
from hub.policy.detention_facts import ViewerTies, detention_view
from hub.policy.engine import PolicyEngine
from hub.policy.facts import poa_relations, principal_facts
from hub.runtime import POLICIES_DIR
from hub.services.parties import active_poa_pairs
from tests.db.scope_check import check_each_viewer, viewer_principal

ENGINE = PolicyEngine(POLICIES_DIR)
CAL = BusinessCalendar()
NOW = datetime(2026, 1, 5, 15, 30, tzinfo=UTC)
TODAY = NOW.date()
US = timedelta(microseconds=1)
PRESENTED = [NOW - timedelta(days=40), NOW - US, NOW, NOW + US, NOW + timedelta(days=1)]
EXPIRES = [None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1)]
ROLES = {OrgKind.CBP: {"officer"}, OrgKind.PGA: {"agency"}}

world = st.fixed_dictionaries({
    # One organization of every kind, then more of any kind.
    "extra": st.lists(st.sampled_from(list(OrgKind)), max_size=5),
    "poas": st.lists(st.tuples(st.integers(0, 10), st.integers(0, 10), st.booleans()), max_size=6),
    "recordations": st.lists(st.tuples(st.integers(0, 10), st.sampled_from(["ACTIVE", "EXPIRED"]),
                                       st.sampled_from(EXPIRES), st.booleans()), min_size=1, max_size=5),
    "detentions": st.lists(st.tuples(st.integers(0, 10), st.booleans(), st.sampled_from(PRESENTED),
                                     st.lists(st.integers(0, 10), min_size=1, max_size=2), st.booleans()),
                           max_size=6),
})


async def _seed(session: AsyncSession, spec: dict[str, Any], realistic: bool) -> list[Organization]:
    """Write the world; ``realistic`` keeps the services' invariants (hub/services: importers of record are
    IMPORTER organizations, powers of attorney join a BROKER to an IMPORTER, recordations belong to IP owners)."""
    orgs = [Organization(id=f"org{i:02d}", slug=f"org-{i}", name=f"Org {i}", kind=k, created_at=NOW)
            for i, k in enumerate([*OrgKind, *spec["extra"]])]

    def pick(kind: OrgKind, i: int) -> str:
        # Unrealistic worlds still keep CBP out of the trade's parts (CBP imports nothing and owns no marks).
        pool = [o for o in orgs if (o.kind is kind if realistic else o.kind is not OrgKind.CBP)]
        return pool[i % len(pool)].id

    for table in (DetentionRecordation, OwnerAcknowledgement, Detention, Recordation, PowerOfAttorney, Organization):
        await session.exec(delete(table))
    session.add_all(orgs)
    await session.flush()
    for n, (b, i, revoked) in enumerate(spec["poas"]):
        broker, importer = pick(OrgKind.BROKER, b), pick(OrgKind.IMPORTER, i)
        if broker != importer:
            session.add(PowerOfAttorney(id=f"poa{n}", broker_org_id=broker, importer_org_id=importer,
                                        granted_on=date(2025, 1, 1), revoked_at=NOW if revoked else None))
    owner_of: dict[str, str] = {}
    for n, (owner, status, expires_on, principal_register) in enumerate(spec["recordations"]):
        number = f"TMK 25-{n:05d}"
        owner_of[number] = pick(OrgKind.IP_OWNER, owner)
        session.add(Recordation(number=number, owner_org_id=owner_of[number], mark=f"MARK {n}", status=status,
                                expires_on=expires_on, principal_register=principal_register,
                                effective_on=date(2020, 1, 1)))
    await session.flush()
    for n, (importer, le_hold, presented_at, named, acknowledged) in enumerate(spec["detentions"]):
        session.add(Detention(
            id=f"det{n}", case_number=f"CASE-{n:04d}", regime="COUNTERFEIT_TRADEMARK", track="STANDARD",
            conveyance="CARGO", port_code="2704", importer_org_id=pick(OrgKind.IMPORTER, importer),
            importer_name="I", importer_address="A", manufacturer_name="M", manufacturer_address="A",
            exporter_name="E", exporter_address="A", date_of_importation=date(2025, 12, 1), description="goods",
            quantity=1, country_of_origin="CN", le_hold=le_hold, presented_at=presented_at, created_at=NOW))
        await session.flush()
        numbers = sorted({sorted(owner_of)[i % len(owner_of)] for i in named})
        session.add_all([DetentionRecordation(detention_id=f"det{n}", recordation_number=r) for r in numbers])
        if acknowledged:  # the Trade Secrets Act notice: not a ReadDetention fact, loaded all the same
            session.add(OwnerAcknowledgement(detention_id=f"det{n}", owner_org_id=owner_of[numbers[0]],
                                             acknowledged_at=NOW))
    return orgs


async def _scoped_and_allowed(session: AsyncSession, viewer: Organization) -> tuple[set[str], set[str]]:
    principal = viewer_principal(viewer, ROLES)
    scoped = set((await session.exec(
        select(Detention.id).where(scopes.detentions_visible_to(principal, NOW)))).all())
    rows = list((await session.exec(select(Detention).order_by(col(Detention.id)))).all())
    ids = [r.id for r in rows]
    # As hub/file_routes.py _decide loads a viewer's ties.
    ties = ViewerTies(
        org_id=viewer.id,
        poa=poa_relations(viewer.id, await active_poa_pairs(session, viewer.id)),
        owned_recordations=await queries.owned_recordations(session, viewer.id),
        acknowledged=frozenset(await queries.acknowledged(session, viewer.id, ids)),
    )
    numbers = await queries.recordation_numbers(session, ids)
    viewer_facts = principal_facts(principal)
    allowed = {
        r.id for r in rows
        if ENGINE.decide(viewer_facts, "ReadDetention", "Detention",
                         detention_view(r, ties, numbers[r.id], NOW, CAL).subject.facts).allowed
    }
    return scoped, allowed


async def _check(url: str, spec: dict[str, Any], realistic: bool) -> None:
    await check_each_viewer(url, lambda session: _seed(session, spec, realistic), _scoped_and_allowed)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=world)
def test_detention_scope_agrees_with_read_detention_policy(database_url: str, spec: dict[str, Any]) -> None:
    # R-IPR-CBP, R-IPR-08, R-IPR-04 with R-IPR-01 (active Principal Register recordation), R-IPR-02 (hold) and
    # R-IPR-14 (surety, PGA), in worlds that respect the services' invariants on who plays which part.
    asyncio.run(_check(database_url, spec, realistic=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=world)
# An importer of record (org01) that also owns the active recordation named on another importer's (org06) case.
@example(spec={"extra": [OrgKind.IMPORTER], "poas": [], "recordations": [(0, "ACTIVE", None, True)],
               "detentions": [(5, False, NOW - timedelta(days=1), [0], False)]})
def test_detention_scope_agrees_with_policy_whatever_kind_plays_each_part(
    database_url: str, spec: dict[str, Any]
) -> None:
    # The same property with no role-to-kind invariant: any organization may be the importer of record, hold a
    # power of attorney or own a recordation. The policy decides on the relation alone (relation(), ipr.cedar),
    # so the scope must too - the database enforces none of those invariants.
    asyncio.run(_check(database_url, spec, realistic=False))
