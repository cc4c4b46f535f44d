"""The forced-labor row scopes agree with Cedar, row for row (DESIGN.md "one policy, two uses"): R-FL-02
(forced_labor_detentions_visible_to vs ReadForcedLaborDetention) and R-FL-04 (allegations_visible_to vs
ReadAllegation), for every organization kind as the viewer and for the anonymous caller (R-FL-01-ANON).
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import scopes
from hub.db.forced_labor_tables import (
    ForcedLaborAllegation,
    ForcedLaborDetention,
    ForcedLaborDocument,
    ForcedLaborSupplier,
)
from hub.db.session import create_engine, sessionmaker
from hub.db.tables import Organization, OrgKind, PowerOfAttorney
from hub.policy.facts import poa_relations, principal_facts
from hub.policy.forced_labor_facts import ANONYMOUS_PRINCIPAL, DetentionTies, allegation_subject, detention_subject
from hub.services.parties import active_poa_pairs
from tests.db.scope_check import viewer_principal
from tests.db.test_bond_scope import ENGINE, ROLES

NOW = datetime(2026, 1, 5, 15, 30, tzinfo=UTC)
ORG = st.integers(0, 10)
world = st.fixed_dictionaries({
    "extra": st.lists(st.sampled_from(list(OrgKind)), max_size=5),
    "poas": st.lists(st.tuples(ORG, ORG, st.booleans()), max_size=6),
    "detentions": st.lists(ORG, max_size=8),  # importer of record (any kind: the scope must follow relations)
    "allegations": st.lists(ORG, max_size=6),  # submitter
})


async def _seed(session: AsyncSession, spec: dict[str, Any]) -> list[Organization]:
    orgs = [Organization(id=f"org{i:02d}", slug=f"org-{i}", name=f"Org {i}", kind=k, created_at=NOW)
            for i, k in enumerate([*OrgKind, *spec["extra"]])]
    for table in (ForcedLaborSupplier, ForcedLaborDocument, ForcedLaborDetention, ForcedLaborAllegation,
                  PowerOfAttorney, Organization):
        await session.exec(delete(table))  # type: ignore[call-overload]
    session.add_all(orgs)
    await session.flush()
    for n, (b, i, revoked) in enumerate(spec["poas"]):
        broker, importer = orgs[b % len(orgs)].id, orgs[i % len(orgs)].id
        if broker != importer:
            session.add(PowerOfAttorney(id=f"poa{n}", broker_org_id=broker, importer_org_id=importer,
                                        granted_on=date(2025, 1, 1), revoked_at=NOW if revoked else None))
    for n, i in enumerate(spec["detentions"]):
        session.add(ForcedLaborDetention(
            id=f"fl{n}", case_number=f"FL-{n}", authority="UFLPA", entry_number="ABC-1234567-6",
            importer_org_id=orgs[i % len(orgs)].id, port_code="2704", description="x", value=Decimal("1.00"),
            imported_on=date(2025, 12, 1), presented_at=NOW, detained_on=NOW.date(), window_ends_on=NOW.date(),
            recorded_at=NOW, recorded_by_client="t"))
    for n, i in enumerate(spec["allegations"]):
        session.add(ForcedLaborAllegation(id=f"al{n}", submitter_org_id=orgs[i % len(orgs)].id, submitter_client="t",
                                          received_at=NOW, merchandise="x", status="RETURNED"))
    await session.flush()
    return orgs


async def _check(url: str, spec: dict[str, Any]) -> None:
    engine = create_engine(url)
    sessions = sessionmaker(engine)
    try:
        async with sessions() as session, session.begin():
            orgs = await _seed(session, spec)
        async with sessions() as session:
            detentions = (await session.exec(select(ForcedLaborDetention).order_by(col(ForcedLaborDetention.id)))).all()
            allegations = (await session.exec(select(ForcedLaborAllegation))).all()
            viewers = [(viewer_principal(o, ROLES), o.id) for o in orgs] + [(ANONYMOUS_PRINCIPAL, "")]
            for principal, org_id in viewers:
                facts = principal_facts(principal)
                ties = DetentionTies(org_id, poa_relations(org_id, await active_poa_pairs(session, org_id))
                                     if org_id else {})
                scoped = set((await session.exec(select(ForcedLaborDetention.id).where(
                    scopes.forced_labor_detentions_visible_to(principal)))).all())
                allowed = {r.id for r in detentions if ENGINE.decide(
                    facts, "ReadForcedLaborDetention", "ForcedLaborDetention",
                    detention_subject(ties, r.importer_org_id).facts).allowed}
                assert scoped == allowed, f"detentions, viewer {org_id} ({principal.org_kind})"
                scoped = set((await session.exec(select(ForcedLaborAllegation.id).where(
                    scopes.allegations_visible_to(principal)))).all())
                allowed = {r.id for r in allegations if ENGINE.decide(
                    facts, "ReadAllegation", "ForcedLaborAllegation",
                    allegation_subject(org_id, r.submitter_org_id).facts).allowed}
                assert scoped == allowed, f"allegations, viewer {org_id} ({principal.org_kind})"
    finally:
        await engine.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=world)
def test_forced_labor_scopes_agree_with_policies(database_url: str, spec: dict[str, Any]) -> None:
    # R-FL-02-CBP, R-FL-02 (importer, POA broker), R-FL-02-OTHERS, R-FL-01-ANON; R-FL-04-READ, R-FL-04-CBP.
    asyncio.run(_check(database_url, spec))
