"""Per-request DataLoaders for detentions: every list a page needs costs one query, whatever its size."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader

from hub.db import detention_queries as queries
from hub.db.audit_tables import DisclosureEntry
from hub.db.ipr_tables import (
    AuthenticationRequest,
    DetentionEvent,
    DetentionImage,
    ImporterResponse,
    PhotoGuide,
    SampleRequest,
)
from hub.db.tables import Recordation

M = TypeVar("M", bound=SQLModel)


class DetentionLoaders:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], viewer_org_id: str) -> None:
        self._sessions = sessions
        self._viewer = viewer_org_id
        self._owned: asyncio.Future[dict[str, Recordation]] | None = None
        self.recordation_numbers = DataLoader[str, list[str]](self._links)
        self.recordation = DataLoader[str, Recordation | None](self._recordations)
        self.acknowledged = DataLoader[str, bool](self._acks)
        self.images = DataLoader[str, list[DetentionImage]](self._by(DetentionImage, "detention_id", "uploaded_at"))
        self.timeline = DataLoader[str, list[DetentionEvent]](self._by(DetentionEvent, "detention_id", "at"))
        self.responses = DataLoader[str, list[ImporterResponse]](
            self._by(ImporterResponse, "detention_id", "submitted_at"))
        self.authentication = DataLoader[str, list[AuthenticationRequest]](
            self._by(AuthenticationRequest, "detention_id", "requested_at"))
        self.samples = DataLoader[str, list[SampleRequest]](self._by(SampleRequest, "detention_id", "requested_at"))
        self.guides = DataLoader[str, list[PhotoGuide]](self._by(PhotoGuide, "recordation_number", "uploaded_at"))
        self.access_log = DataLoader[str, list[DisclosureEntry]](self._accesses)

    async def _accesses(self, ids: Sequence[str]) -> list[list[DisclosureEntry]]:
        """Who received each detention's restricted data, in chain order: one query for the page."""
        grouped: dict[str, list[DisclosureEntry]] = defaultdict(list)
        async with self._sessions() as session:
            rows = await session.exec(select(DisclosureEntry).where(
                col(DisclosureEntry.object_type) == "Detention", col(DisclosureEntry.object_id).in_(list(ids)))
                .order_by(col(DisclosureEntry.seq)))
            for row in rows.all():
                grouped[row.object_id].append(row)
        return [grouped[i] for i in ids]

    async def owned_recordations(self) -> dict[str, Recordation]:
        """The viewer's own recordations (an owner holds few), read once per request by one shared task."""
        if self._owned is None:
            self._owned = asyncio.ensure_future(self._read_owned())
        return await self._owned

    async def _read_owned(self) -> dict[str, Recordation]:
        async with self._sessions() as session:
            return await queries.owned_recordations(session, self._viewer)

    async def _links(self, ids: Sequence[str]) -> list[list[str]]:
        async with self._sessions() as session:
            found = await queries.recordation_numbers(session, ids)
        return [found[i] for i in ids]

    async def _recordations(self, numbers: Sequence[str]) -> list[Recordation | None]:
        async with self._sessions() as session:
            rows = await session.exec(select(Recordation).where(col(Recordation.number).in_(list(numbers))))
            found = {r.number: r for r in rows.all()}
        return [found.get(n) for n in numbers]

    async def _acks(self, ids: Sequence[str]) -> list[bool]:
        async with self._sessions() as session:
            acked = await queries.acknowledged(session, self._viewer, ids)
        return [i in acked for i in ids]

    def _by(self, model: type[M], key: str, order: str) -> Any:
        async def load(ids: Sequence[str]) -> list[list[M]]:
            grouped: dict[str, list[M]] = defaultdict(list)
            column = getattr(model, key)
            async with self._sessions() as session:
                rows = await session.exec(
                    select(model).where(col(column).in_(list(ids))).order_by(col(getattr(model, order))))
                for row in rows.all():
                    grouped[getattr(row, key)].append(row)
            return [grouped[i] for i in ids]

        return load
