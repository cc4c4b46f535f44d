"""Resolvers for bonds: rows through the row scope, each reduced to its view and policy subject.

A page costs a fixed handful of statements (the page, notices, exposure, linked numbers, the viewer's powers
of attorney, organizations through the per-request loader), whatever its size or depth.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from sqlmodel import select
from strawberry.types import Info

from hub.db import bond_queries as queries
from hub.db.bond_tables import Bond, BondSecuredEntry
from hub.db.scopes import bonds_visible_to
from hub.errors import InvalidInput
from hub.graphql.context import HubContext
from hub.graphql.relay import Connection, check_first, connection, decode_cursor, from_global_id
from hub.graphql.types.bonds import BondNode, BondOrder, EntriesLoader, bond_node
from hub.policy.bond_facts import BondTies
from hub.services.bond_views import BondView, build_views, org_ids
from hub.services.bonds import surety_by_code

Ctx = Info[HubContext, Any]


async def ties_of(ctx: HubContext) -> BondTies:
    # CBP sees every bond and PGAs none: their powers of attorney change nothing, so they are not read.
    kind = ctx.principal.org_kind
    poa = {} if kind in ("CBP", "PGA") else await ctx.loaders.poa_relations()
    return BondTies(ctx.principal.organization_id, poa)


async def views_of(ctx: HubContext, rows: Sequence[Bond]) -> list[BondView]:
    if not rows:
        return []
    wanted = sorted(org_ids(rows))
    orgs = {o.id: o for o in await ctx.loaders.organization.load_many(wanted) if o is not None}
    ties = await ties_of(ctx)
    async with ctx.hub.sessions() as session:
        return await build_views(session, rows, ties, orgs, ctx.now)


async def bond_by_id(info: Ctx, pk: str) -> BondNode | None:
    ctx = info.context
    async with ctx.hub.sessions() as session:
        row = await session.get(Bond, pk)
    return await _visible(ctx, row)


async def bond_by_number(info: Ctx, number: str) -> BondNode | None:
    ctx = info.context
    async with ctx.hub.sessions() as session:
        row = (await session.exec(select(Bond).where(Bond.number == number.strip().upper()))).first()
    return await _visible(ctx, row)


async def _visible(ctx: HubContext, row: Bond | None) -> BondNode | None:
    if row is None:
        return None
    view = (await views_of(ctx, [row]))[0]
    # Absent and not allowed look alike: a bond number tells nothing about a bond one may not see.
    if not ctx.decide("ReadBond", view.subject).allowed:
        return None
    return nodes_of(ctx, [view])[0]


def _cursor_key(after: str, order: queries.BondOrder) -> list[str]:
    arity = 2 if order is queries.BondOrder.NUMBER else 3
    key = decode_cursor(after, arity)
    if key[0] != order.value or not all(isinstance(k, str) for k in key):
        raise InvalidInput("the cursor belongs to another order", code="INVALID_CURSOR")
    return [str(k) for k in key[1:]]


async def bonds(info: Ctx, first: int | None, after: str | None, order: BondOrder,
                surety_code: str | None) -> Connection[BondNode]:
    """The viewer's bonds (row scope), keyset-paginated in ``order``; a surety's view, or CBP's of one surety."""
    ctx = info.context
    size = check_first(first, ctx.hub.settings.page_size_max)
    sort = queries.BondOrder(order.value)
    key = _cursor_key(after, sort) if after is not None else None
    async with ctx.hub.sessions() as session:
        surety_id = (await surety_by_code(session, surety_code)).id if surety_code else None
        rows = await queries.bond_page(session, bonds_visible_to(ctx.principal), sort, key, size + 1, surety_id)
    views = await views_of(ctx, rows)
    keys = [[sort.value, *queries.sort_key(r, sort)] for r in rows]
    return connection(nodes_of(ctx, views), keys, size, after is not None)


def nodes_of(ctx: HubContext, views: Sequence[BondView]) -> list[BondNode]:
    """Nodes sharing one loader: a page's secured entries cost one query, whatever the page size."""

    async def load(keys: Sequence[tuple[str, int]]) -> list[list[BondSecuredEntry]]:
        found: dict[tuple[str, int], list[BondSecuredEntry]] = {}
        async with ctx.hub.sessions() as session:
            for first in sorted({f for _, f in keys}):
                by_bond = await queries.secured_entries(session, [b for b, f in keys if f == first], first)
                found.update({(b, first): by_bond.get(b, []) for b, f in keys if f == first})
        return [found[k] for k in keys]

    loader = EntriesLoader(load)
    return [bond_node(v, loader) for v in views]


async def bond_by_ref(info: Ctx, id: strawberry.ID | None, number: str | None) -> BondNode | None:
    """``bond(id:)`` or ``bond(number:)``: exactly one of the two."""
    if (id is None) == (number is None):
        raise InvalidInput("give id or number", code="INVALID_BOND_REFERENCE")
    if number is not None:
        return await bond_by_number(info, number)
    type_name, pk = from_global_id(str(id))
    return await bond_by_id(info, pk) if type_name == "Bond" else None
