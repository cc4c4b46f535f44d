"""A forced-labor detention as one viewer sees it at one instant: stage, clocks, outcome, its order, documents,
supply chain with flags, and its policy subject. A page costs a fixed handful of batch queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.forced_labor_tables import (
    ForcedLaborDetention,
    ForcedLaborDocument,
    ForcedLaborOrder,
    ForcedLaborOrderStatus,
    ForcedLaborSupplier,
)
from hub.db.tables import Organization
from hub.domain import forced_labor as domain
from hub.domain.calendar import BusinessCalendar
from hub.policy.facts import Subject
from hub.policy.forced_labor_facts import DetentionTies, detention_subject
from hub.services.forced_labor import events_of
from hub.services.forced_labor_orders import history_for

_CHUNK = 500


@dataclass(frozen=True)
class OrderView:
    row: ForcedLaborOrder
    history: tuple[ForcedLaborOrderStatus, ...]


@dataclass(frozen=True)
class DetentionView:
    row: ForcedLaborDetention
    subject: Subject
    clocks: domain.Clocks
    stage: domain.Stage
    order: OrderView | None
    importer: Organization | None
    documents: tuple[ForcedLaborDocument, ...]
    suppliers: tuple[ForcedLaborSupplier, ...]
    matched_orders: Mapping[str, OrderView]

    @property
    def outcome(self) -> domain.Outcome | None:
        return domain.outcome(self.stage)


async def order_views(session: AsyncSession, rows: Sequence[ForcedLaborOrder]) -> list[OrderView]:
    history = await history_for(session, [r.id for r in rows])
    return [OrderView(r, tuple(history.get(r.id, []))) for r in rows]


async def orders_by_id(session: AsyncSession, ids: set[str]) -> dict[str, OrderView]:
    if not ids:
        return {}
    rows = (await session.exec(select(ForcedLaborOrder).where(col(ForcedLaborOrder.id).in_(sorted(ids))))).all()
    return {v.row.id: v for v in await order_views(session, rows)}


async def _children(session: AsyncSession, ids: list[str]) -> tuple[dict[str, list[ForcedLaborDocument]],
                                                                     dict[str, list[ForcedLaborSupplier]]]:
    documents: dict[str, list[ForcedLaborDocument]] = defaultdict(list)
    suppliers: dict[str, list[ForcedLaborSupplier]] = defaultdict(list)
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        for d in (await session.exec(select(ForcedLaborDocument).where(col(ForcedLaborDocument.detention_id)
                                                                      .in_(chunk)).order_by(
                col(ForcedLaborDocument.submitted_at), col(ForcedLaborDocument.kind)))).all():
            documents[d.detention_id].append(d)
        for s in (await session.exec(select(ForcedLaborSupplier).where(col(ForcedLaborSupplier.detention_id)
                                                                      .in_(chunk)).order_by(
                col(ForcedLaborSupplier.tier), col(ForcedLaborSupplier.entity)))).all():
            suppliers[s.detention_id].append(s)
    return documents, suppliers


async def build_views(session: AsyncSession, rows: Sequence[ForcedLaborDetention], ties: DetentionTies,
                      calendar: BusinessCalendar, now: datetime) -> list[DetentionView]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    documents, suppliers = await _children(session, ids)
    wanted = {r.order_id for r in rows if r.order_id} | {
        s.matched_order_id for found in suppliers.values() for s in found if s.matched_order_id}
    orders = await orders_by_id(session, wanted)
    importer_ids = sorted({r.importer_org_id for r in rows})
    importers = {o.id: o for o in (await session.exec(select(Organization).where(
        col(Organization.id).in_(importer_ids)))).all()}
    views = []
    for r in rows:
        events = events_of(r)
        clocks = domain.clocks(events, calendar)
        views.append(DetentionView(
            row=r, subject=detention_subject(ties, r.importer_org_id, r.id), clocks=clocks,
            stage=domain.stage(events, clocks, now), order=orders.get(r.order_id) if r.order_id else None,
            importer=importers.get(r.importer_org_id), documents=tuple(documents.get(r.id, [])),
            suppliers=tuple(suppliers.get(r.id, [])), matched_orders=orders))
    return views
