"""Resolvers for forced labor: the public list (R-FL-01), detentions through their row scope (R-FL-02), allegations
(R-FL-04) and metrics. Each list is a keyset page; each row is reduced to its view and policy subject."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from sqlalchemy import func, or_
from sqlmodel import col, select
from strawberry.types import Info

from hub.db.forced_labor_tables import ForcedLaborAllegation, ForcedLaborDetention, ForcedLaborOrder
from hub.db.scopes import allegations_visible_to, forced_labor_detentions_visible_to
from hub.errors import InvalidInput
from hub.graphql.context import HubContext
from hub.graphql.relay import Connection, check_first, connection, decode_cursor
from hub.graphql.types.forced_labor import (
    AllegationNode,
    ForcedLaborDetentionNode,
    ForcedLaborMetrics,
    OrderStatus,
    OrderType,
    WithholdReleaseOrderNode,
    allegation_node,
    detention_node,
    metrics_cell,
    order_node,
)
from hub.policy.forced_labor_facts import WRO_SUBJECT, DetentionTies, allegation_subject, metrics_subject
from hub.services import forced_labor_metrics as fl_metrics
from hub.services.forced_labor_views import DetentionView, build_views, order_views, orders_by_id

Ctx = Info[HubContext, Any]


@strawberry.input
class WithholdReleaseOrderFilter:
    order_type: OrderType | None = None
    status: OrderStatus | None = None
    country: str | None = strawberry.field(default=None, description="Exact country name, any case.")
    search: str | None = strawberry.field(default=None, description="Words in the entity or merchandise.")


def _keys(after: str | None) -> tuple[str, str] | None:
    if after is None:
        return None
    key = decode_cursor(after, 2)
    if not all(isinstance(k, str) for k in key):
        raise InvalidInput("malformed cursor", code="INVALID_CURSOR")
    return str(key[0]), str(key[1])


async def withhold_release_orders(info: Ctx, first: int | None, after: str | None,
                                  filter: WithholdReleaseOrderFilter | None) -> Connection[WithholdReleaseOrderNode]:
    """Newest first. Readable without a token (R-FL-01; the endpoint admits anonymous callers to this field only)."""
    ctx = info.context
    ctx.require("ReadWithholdReleaseOrder", WRO_SUBJECT)
    size = check_first(first, ctx.hub.settings.page_size_max)
    o = ForcedLaborOrder
    query = select(o)
    if filter is not None:
        if filter.order_type is not None:
            query = query.where(col(o.order_type) == filter.order_type.value)
        if filter.status is not None:
            query = query.where(col(o.status) == filter.status.value)
        if filter.country:
            query = query.where(func.lower(col(o.country)) == filter.country.strip().lower())
        if filter.search:
            if len(filter.search) > 200:
                raise InvalidInput("search: at most 200 characters", code="INVALID_TEXT")
            for word in filter.search.lower().split():
                query = query.where(func.lower(col(o.scope)).contains(word, autoescape=True))
    key = _keys(after)
    if key is not None:
        at = date.fromisoformat(key[0]) if len(key[0]) == 10 else None
        if at is None:
            raise InvalidInput("malformed cursor", code="INVALID_CURSOR")
        query = query.where(or_(col(o.effective_on) < at, (col(o.effective_on) == at) & (col(o.id) > key[1])))
    query = query.order_by(col(o.effective_on).desc(), col(o.id)).limit(size + 1)
    async with ctx.hub.sessions() as session:
        rows = list((await session.exec(query)).all())
        views = await order_views(session, rows)
    keys = [[r.effective_on.isoformat(), r.id] for r in rows]
    return connection([order_node(v) for v in views], keys, size, after is not None)


async def _ties(ctx: HubContext) -> DetentionTies:
    # CBP sees every detention and the other kinds none: only trade parties need their powers of attorney.
    kind = ctx.principal.org_kind
    poa = await ctx.loaders.poa_relations() if kind in ("IMPORTER", "BROKER") else {}
    return DetentionTies(ctx.principal.organization_id, poa)


async def views_of(ctx: HubContext, rows: list[ForcedLaborDetention]) -> list[DetentionView]:
    ties = await _ties(ctx)
    async with ctx.hub.sessions() as session:
        return await build_views(session, rows, ties, ctx.hub.calendar, ctx.now)


async def forced_labor_detentions(info: Ctx, first: int | None, after: str | None
                                  ) -> Connection[ForcedLaborDetentionNode]:
    """Newest first, through the row scope that mirrors ReadForcedLaborDetention (tests/db prove they agree)."""
    ctx = info.context
    size = check_first(first, ctx.hub.settings.page_size_max)
    d = ForcedLaborDetention
    query = select(d).where(forced_labor_detentions_visible_to(ctx.principal))
    key = _keys(after)
    if key is not None:
        query = query.where(or_(col(d.presented_at) < _instant(key[0]),
                                (col(d.presented_at) == _instant(key[0])) & (col(d.id) > key[1])))
    query = query.order_by(col(d.presented_at).desc(), col(d.id)).limit(size + 1)
    async with ctx.hub.sessions() as session:
        rows = list((await session.exec(query)).all())
    views = [v for v in await views_of(ctx, rows) if ctx.allowed("ReadForcedLaborDetention", v.subject)]
    keys = [[v.row.presented_at.isoformat(), v.row.id] for v in views]
    return connection([detention_node(v) for v in views], keys, size, after is not None)


def _instant(text: str) -> Any:
    from datetime import datetime

    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("malformed cursor", code="INVALID_CURSOR") from None


async def detention_by_id(info: Ctx, pk: str) -> ForcedLaborDetentionNode | None:
    ctx = info.context
    async with ctx.hub.sessions() as session:
        row = await session.get(ForcedLaborDetention, pk)
    if row is None:
        return None
    view = (await views_of(ctx, [row]))[0]
    # Absent and not allowed look alike (R-FL-02: no existence oracle for a detention one may not see).
    return detention_node(view) if ctx.allowed("ReadForcedLaborDetention", view.subject) else None


async def order_by_id(info: Ctx, pk: str) -> WithholdReleaseOrderNode | None:
    ctx = info.context
    ctx.require("ReadWithholdReleaseOrder", WRO_SUBJECT)
    async with ctx.hub.sessions() as session:
        found = await orders_by_id(session, {pk})
    return order_node(found[pk]) if pk in found else None


async def allegations(info: Ctx, first: int | None, after: str | None) -> Connection[AllegationNode]:
    """Newest first; submitters see their own, CBP all (row scope mirrors ReadAllegation)."""
    ctx = info.context
    size = check_first(first, ctx.hub.settings.page_size_max)
    a = ForcedLaborAllegation
    query = select(a).where(allegations_visible_to(ctx.principal))
    key = _keys(after)
    if key is not None:
        query = query.where(or_(col(a.received_at) < _instant(key[0]),
                                (col(a.received_at) == _instant(key[0])) & (col(a.id) > key[1])))
    async with ctx.hub.sessions() as session:
        rows = list((await session.exec(query.order_by(col(a.received_at).desc(), col(a.id)).limit(size + 1))).all())
    me = ctx.principal.organization_id
    rows = [r for r in rows if ctx.allowed("ReadAllegation", allegation_subject(me, r.submitter_org_id, r.id))]
    keys = [[r.received_at.isoformat(), r.id] for r in rows]
    return connection([allegation_node(r, ctx.now) for r in rows], keys, size, after is not None)


async def allegation_by_id(info: Ctx, pk: str) -> AllegationNode | None:
    ctx = info.context
    async with ctx.hub.sessions() as session:
        row = await session.get(ForcedLaborAllegation, pk)
    if row is None or not ctx.allowed("ReadAllegation", allegation_subject(ctx.principal.organization_id,
                                                                           row.submitter_org_id, row.id)):
        return None
    return allegation_node(row, ctx.now)


async def metrics(info: Ctx, period: fl_metrics.Period, since: date | None, until: date | None,
                  order_id: str | None) -> ForcedLaborMetrics:
    """Detailed for CBP and the labor agency (R-FL-METRICS); for everyone else only whole periods and the cells that
    pass the disclosure rules, the others left out (fl_metrics.Disclosure)."""
    ctx = info.context
    org = await ctx.loaders.organization.load(ctx.principal.organization_id) if ctx.principal.organization_id \
        else None
    subject = metrics_subject(org.agency_code if org else None)
    detailed = ctx.allowed("ReadForcedLaborMetrics", subject)
    if not detailed:
        ctx.require("ReadPublicForcedLaborMetrics", subject)
        if not fl_metrics.aligned(period, since, until):
            # A window cut inside a period, minus a window one day shorter, is that day's detentions.
            unit = period.value.lower()
            raise InvalidInput(f"since must be the first day of a {unit} and until the last day of a {unit} "
                               f"(e.g. {_example(period)}); only CBP and the labor agency may cut a period",
                               code="PERIOD_NOT_ALIGNED")
    settings = ctx.hub.settings
    rule = fl_metrics.Disclosure(settings.forced_labor_min_cell, settings.forced_labor_min_importers,
                                 settings.forced_labor_max_importer_share)
    async with ctx.hub.sessions() as session:
        rows = await fl_metrics.metrics(session, period, ctx.now, since, until, order_id)
        if not detailed:
            months = None if period is fl_metrics.Period.MONTH else \
                await fl_metrics.metrics(session, fl_metrics.Period.MONTH, ctx.now, since, until, order_id)
            rows = fl_metrics.public_cells(rows, rule, period, months)
        orders = await orders_by_id(session, {r.order_id for r in rows if r.order_id})
    return ForcedLaborMetrics(detailed=detailed, min_cell=rule.min_cell, min_importers=rule.min_importers,
                              max_importer_share=str(rule.max_share), cells=[metrics_cell(r, orders) for r in rows])


def _example(period: fl_metrics.Period) -> str:
    return {fl_metrics.Period.MONTH: "since 2024-03-01, until 2024-05-31",
            fl_metrics.Period.QUARTER: "since 2024-04-01, until 2024-09-30",
            fl_metrics.Period.YEAR: "since 2023-01-01, until 2024-12-31"}[period]
