"""Row scopes agree with the Cedar read policy, row for row (DESIGN.md "one policy, two uses").

Hypothesis builds worlds of organizations and powers of attorney (some revoked) and a viewer; the
SQL scope that lists organizations must return exactly the rows Cedar's ReadOrganization allows.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import col, select

from hub.auth.principal import Principal
from hub.db.scopes import organizations_visible_to
from hub.db.session import create_engine, sessionmaker
from hub.db.tables import Organization, OrgKind, PowerOfAttorney
from hub.policy.engine import PolicyEngine
from hub.policy.facts import organization_subject, poa_relations, principal_facts
from hub.runtime import POLICIES_DIR
from hub.services.parties import active_poa_pairs

ENGINE = PolicyEngine(POLICIES_DIR)
NOW = datetime(2026, 1, 5, tzinfo=UTC)

world = st.fixed_dictionaries({
    "kinds": st.lists(st.sampled_from(list(OrgKind)), min_size=1, max_size=8),
    "poas": st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7), st.booleans()), max_size=10),
    "viewer": st.integers(0, 7),
})


async def _check(url: str, spec: dict[str, object]) -> None:
    engine = create_engine(url)
    sessions = sessionmaker(engine)
    kinds: list[OrgKind] = spec["kinds"]  # type: ignore[assignment]
    try:
        async with sessions() as session, session.begin():
            await session.exec(delete(PowerOfAttorney))  # type: ignore[call-overload]
            await session.exec(delete(Organization))  # type: ignore[call-overload]
            orgs = [Organization(id=f"org{i:02d}", slug=f"org-{i}", name=f"Org {i}", kind=k, created_at=NOW)
                    for i, k in enumerate(kinds)]
            session.add_all(orgs)
            await session.flush()
            for n, (b, i, revoked) in enumerate(spec["poas"]):  # type: ignore[attr-defined]
                if b < len(orgs) and i < len(orgs) and b != i:
                    session.add(PowerOfAttorney(id=f"poa{n}", broker_org_id=orgs[b].id,
                                                importer_org_id=orgs[i].id, granted_on=date(2025, 1, 1),
                                                revoked_at=NOW if revoked else None))
        viewer_org = orgs[spec["viewer"] % len(orgs)]  # type: ignore[operator]
        principal = Principal("c", viewer_org.id, viewer_org.kind.value, frozenset({"trade"}))
        async with sessions() as session:
            scoped = set((await session.exec(
                select(Organization.id).where(organizations_visible_to(principal)))).all())
            relations = poa_relations(viewer_org.id, await active_poa_pairs(session, viewer_org.id))
            everyone = (await session.exec(select(Organization).order_by(col(Organization.id)))).all()
        by_policy = {
            o.id for o in everyone
            if ENGINE.decide(principal_facts(principal), "ReadOrganization", "Organization",
                             organization_subject(viewer_org.id, o, relations).facts).allowed
        }
        assert scoped == by_policy
    finally:
        await engine.dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=world)
def test_organization_scope_agrees_with_read_organization_policy(database_url: str, spec: dict[str, object]) -> None:
    asyncio.run(_check(database_url, spec))
