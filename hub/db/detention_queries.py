"""Batch queries about detentions that both GraphQL loaders and the file endpoint need."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.ipr_tables import DetentionRecordation, OwnerAcknowledgement
from hub.db.tables import Recordation


async def recordation_numbers(session: AsyncSession, ids: Sequence[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    rows = await session.exec(select(DetentionRecordation).where(col(DetentionRecordation.detention_id).in_(list(ids))))
    for link in rows.all():
        grouped[link.detention_id].append(link.recordation_number)
    return {i: sorted(grouped[i]) for i in ids}


async def owned_recordations(session: AsyncSession, org_id: str) -> dict[str, Recordation]:
    rows = await session.exec(select(Recordation).where(col(Recordation.owner_org_id) == org_id))
    return {r.number: r for r in rows.all()}


async def acknowledged(session: AsyncSession, org_id: str, ids: Sequence[str]) -> set[str]:
    rows = await session.exec(select(OwnerAcknowledgement.detention_id).where(
        col(OwnerAcknowledgement.owner_org_id) == org_id, col(OwnerAcknowledgement.detention_id).in_(list(ids))))
    return set(rows.all())
