"""DataLoaders, built fresh for each request so nothing leaks between principals."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader

from hub.db.org_cache import OrganizationCache
from hub.db.tables import Organization
from hub.graphql.detention_loaders import DetentionLoaders
from hub.policy.facts import poa_relations
from hub.services.parties import active_poa_pairs, organizations_by_id


class Loaders:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], viewer_org_id: str, orgs: OrganizationCache | None = None
    ) -> None:
        self._sessions = sessions
        self._orgs = orgs or OrganizationCache(ttl=0)
        self._viewer_org_id = viewer_org_id
        self._poa: asyncio.Future[dict[str, str]] | None = None
        self.organization = DataLoader[str, Organization | None](self._load_organizations)
        self.detentions = DetentionLoaders(sessions, viewer_org_id)

    async def _load_organizations(self, ids: Sequence[str]) -> list[Organization | None]:
        found = self._orgs.get_many(ids)
        missing = set(ids) - found.keys()
        if missing:
            async with self._sessions() as session:
                loaded = await organizations_by_id(session, missing)
            self._orgs.put_many(loaded.values())
            found.update(loaded)
        return [found.get(i) for i in ids]

    async def poa_relations(self) -> dict[str, str]:
        """The viewer's power-of-attorney relations, read once per request.

        Many resolvers ask at once; they share one task, so the query runs once, not once per caller.
        """
        if self._poa is None:
            self._poa = asyncio.ensure_future(self._read_poa())
        return await self._poa

    async def _read_poa(self) -> dict[str, str]:
        async with self._sessions() as session:
            return poa_relations(self._viewer_org_id, await active_poa_pairs(session, self._viewer_org_id))
