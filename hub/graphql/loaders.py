"""DataLoaders, built fresh for each request so nothing leaks between principals."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader

from hub.db.tables import Organization
from hub.graphql.detention_loaders import DetentionLoaders
from hub.policy.facts import poa_relations
from hub.services.parties import active_poa_pairs, organizations_by_id


class Loaders:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], viewer_org_id: str) -> None:
        self._sessions = sessions
        self._viewer_org_id = viewer_org_id
        self._poa: dict[str, str] | None = None
        self.organization = DataLoader[str, Organization | None](self._load_organizations)
        self.detentions = DetentionLoaders(sessions, viewer_org_id)

    async def _load_organizations(self, ids: Sequence[str]) -> list[Organization | None]:
        async with self._sessions() as session:
            found = await organizations_by_id(session, set(ids))
        return [found.get(i) for i in ids]

    async def poa_relations(self) -> dict[str, str]:
        """The viewer's power-of-attorney relations, read once per request."""
        if self._poa is None:
            async with self._sessions() as session:
                self._poa = poa_relations(self._viewer_org_id, await active_poa_pairs(session, self._viewer_org_id))
        return self._poa
