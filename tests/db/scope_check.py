"""The loop every row-scope property test runs: seed a world, then each organization in turn is the viewer, and
the SQL scope must return exactly the rows the Cedar policy allows it (DESIGN.md "one policy, two uses")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.principal import Principal
from hub.db.session import create_engine, sessionmaker
from hub.db.tables import Organization, OrgKind

Seed = Callable[[AsyncSession], Awaitable[list[Organization]]]
ScopedAndAllowed = Callable[[AsyncSession, Organization], Awaitable[tuple[set[str], set[str]]]]


def viewer_principal(viewer: Organization, roles: Mapping[OrgKind, set[str]]) -> Principal:
    """The organization as a caller: its kind, and the roles its clients would carry (``trade`` by default)."""
    return Principal("c", viewer.id, viewer.kind.value, frozenset(roles.get(viewer.kind, {"trade"})))


async def check_each_viewer(url: str, seed: Seed, scoped_and_allowed: ScopedAndAllowed) -> None:
    engine = create_engine(url)
    sessions = sessionmaker(engine)
    try:
        async with sessions() as session, session.begin():
            orgs = await seed(session)
        async with sessions() as session:
            for viewer in orgs:  # every organization in turn is the viewer
                scoped, allowed = await scoped_and_allowed(session, viewer)
                assert scoped == allowed, f"viewer {viewer.id} ({viewer.kind.value})"
    finally:
        await engine.dispose()
