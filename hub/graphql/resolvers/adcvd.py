"""Resolvers for AD/CVD cases and entries: entry rows through the row scope, each reduced to its view and subject."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import strawberry
from sqlmodel import col, select
from strawberry.types import Info

from hub.db import entry_queries as queries
from hub.db.adcvd_tables import AdcvdCase, AdcvdCompanyRate, Entry
from hub.db.scopes import entries_visible_to
from hub.db.tables import Organization
from hub.domain.identifiers import normalize_entry_number
from hub.errors import InvalidInput
from hub.graphql.context import HubContext
from hub.graphql.relay import Connection, check_first, connection, decode_cursor, to_global_id
from hub.graphql.types.adcvd import AdcvdCaseNode, AggregatesLoader, EntryNode, case_node
from hub.policy.adcvd_facts import CASE, EntryTies
from hub.policy.facts import organization_subject
from hub.services.entry_views import EntryView, build_views

Ctx = Info[HubContext, Any]


async def _case_nodes(ctx: HubContext, rows: Sequence[AdcvdCase]) -> list[AdcvdCaseNode]:
    if not rows or not ctx.allowed("ReadAdcvdCase", CASE):
        return []
    ids = sorted({r.id for r in rows})
    orders = sorted({r.third_country_of_id for r in rows if r.third_country_of_id})
    async with ctx.hub.sessions() as session:
        rates: dict[str, list[AdcvdCompanyRate]] = defaultdict(list)
        for rate in (await session.exec(select(AdcvdCompanyRate).where(col(AdcvdCompanyRate.case_id).in_(ids))
                                        .order_by(col(AdcvdCompanyRate.company_suffix),
                                                  col(AdcvdCompanyRate.effective_from)))).all():
            rates[rate.case_id].append(rate)
        numbers = {c.id: c.number for c in (await session.exec(
            select(AdcvdCase).where(col(AdcvdCase.id).in_(orders)))).all()} if orders else {}
    async def load(case_ids: Sequence[str]) -> list[list[queries.Aggregate]]:
        async with ctx.hub.sessions() as session:
            found = await queries.case_aggregates(session, list(case_ids))
        return [found[c] for c in case_ids]

    loader = AggregatesLoader(load)
    return [case_node(r, rates[r.id], numbers.get(r.third_country_of_id or ""), loader) for r in rows]


async def adcvd_cases(info: Ctx, first: int | None, after: str | None,
                      country_code: str | None) -> Connection[AdcvdCaseNode]:
    ctx = info.context
    size = check_first(first, ctx.hub.settings.page_size_max)
    key = str(decode_cursor(after, 1)[0]) if after is not None else None
    async with ctx.hub.sessions() as session:
        rows = await queries.case_page(session, country_code.strip() if country_code else None, key, size + 1)
    nodes = await _case_nodes(ctx, rows)
    return connection(nodes, [[n.row.number] for n in nodes], size, after is not None)


async def adcvd_case(info: Ctx, number: str) -> AdcvdCaseNode | None:
    async with info.context.hub.sessions() as session:
        row = (await session.exec(select(AdcvdCase).where(col(AdcvdCase.number) == number.strip().upper()))).first()
    nodes = await _case_nodes(info.context, [row] if row else [])
    return nodes[0] if nodes else None


async def case_by_id(info: Ctx, pk: str) -> AdcvdCaseNode | None:
    async with info.context.hub.sessions() as session:
        row = await session.get(AdcvdCase, pk)
    nodes = await _case_nodes(info.context, [row] if row else [])
    return nodes[0] if nodes else None


async def ties_of(ctx: HubContext) -> EntryTies:
    kind = ctx.principal.org_kind
    poa = {} if kind in ("CBP", "PGA", "IP_OWNER") else await ctx.loaders.poa_relations()
    return EntryTies(ctx.principal.organization_id, poa)


async def nodes_of(ctx: HubContext, rows: Sequence[Entry]) -> list[EntryNode]:
    """Entry nodes the viewer may read (ReadEntry), with the importer's name and the IOR decision."""
    ties = await ties_of(ctx)
    async with ctx.hub.sessions() as session:
        views = [v for v in await build_views(session, rows, ties, ctx.now) if ctx.allowed("ReadEntry", v.subject)]
    # The per-request organization loader (and its short-lived cache) serves the importers' names.
    wanted = sorted({v.row.importer_org_id for v in views})
    orgs = {o.id: o for o in await ctx.loaders.organization.load_many(wanted) if o is not None}
    return [_node(ctx, v, orgs, ties) for v in views]


def _node(ctx: HubContext, view: EntryView, orgs: dict[str, Organization], ties: EntryTies) -> EntryNode:
    org = orgs.get(view.row.importer_org_id)
    # R-ID-02: the IOR number is unmasked only where ReadIorNumber allows it on the importer organization.
    unmasked = org is not None and ctx.allowed(
        "ReadIorNumber", organization_subject(ctx.principal.organization_id, org, ties.poa))
    return EntryNode(id=strawberry.ID(to_global_id("Entry", view.row.id)), view=view,
                     importer_name=org.name if org else "", unmasked_ior=unmasked)


async def entries(info: Ctx, first: int | None, after: str | None) -> Connection[EntryNode]:
    """The viewer's entries (row scope entries_visible_to), keyset-paginated by entry number."""
    ctx = info.context
    size = check_first(first, ctx.hub.settings.page_size_max)
    key = decode_cursor(after, 1)[0] if after is not None else None
    if key is not None and not isinstance(key, str):
        raise InvalidInput("malformed cursor", code="INVALID_CURSOR")
    async with ctx.hub.sessions() as session:
        rows = await queries.entry_page(session, entries_visible_to(ctx.principal), key, size + 1)
    nodes = await nodes_of(ctx, rows)
    return connection(nodes, [[n.view.row.number] for n in nodes], size, after is not None)


async def entry_by_id(info: Ctx, pk: str) -> EntryNode | None:
    async with info.context.hub.sessions() as session:
        row = await session.get(Entry, pk)
    nodes = await nodes_of(info.context, [row] if row else [])
    return nodes[0] if nodes else None


async def entry_by_number(info: Ctx, number: str) -> EntryNode | None:
    async with info.context.hub.sessions() as session:
        row = (await session.exec(select(Entry).where(col(Entry.number) == normalize_entry_number(number)))).first()
    # Absent and not allowed look alike.
    nodes = await nodes_of(info.context, [row] if row else [])
    return nodes[0] if nodes else None
