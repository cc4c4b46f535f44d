"""Resolvers for parties. Reads go through row scopes (lists) or a ReadOrganization decision (by id)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from strawberry.types import Info

from hub.db.scopes import organizations_visible_to
from hub.db.tables import Organization
from hub.graphql.context import HubContext
from hub.graphql.relay import Connection, check_first, connection, decode_cursor
from hub.graphql.types.parties import OrganizationType, organization_type
from hub.policy.facts import organization_subject


async def organization_by_id(info: Info[HubContext, Any], org_id: str) -> OrganizationType | None:
    ctx = info.context
    row = await ctx.loaders.organization.load(org_id)
    if row is None:
        return None
    me = ctx.principal.organization_id
    # One's own organization needs no power-of-attorney lookup: the relation is SELF.
    subject = organization_subject(me, row, {} if row.id == me else await ctx.loaders.poa_relations())
    # Not found and not allowed look the same: an id reveals nothing about parties one may not see.
    if not ctx.decide("ReadOrganization", subject).allowed:
        return None
    return organization_type(row, subject)


async def organization_for_viewer(info: Info[HubContext, Any], org_id: str) -> OrganizationType | None:
    return await organization_by_id(info, org_id)


async def organizations(
    info: Info[HubContext, Any], first: int | None, after: str | None
) -> Connection[OrganizationType]:
    ctx = info.context
    size = check_first(first, ctx.hub.settings.page_size_max)
    query = select(Organization).where(organizations_visible_to(ctx.principal))
    if after is not None:
        name, org_id = decode_cursor(after, 2)
        # Keyset pagination on (name, id): page cost does not grow with depth.
        query = query.where(
            (col(Organization.name) > name) | ((col(Organization.name) == name) & (col(Organization.id) > org_id))
        )
    query = query.order_by(col(Organization.name), col(Organization.id)).limit(size + 1)
    async with ctx.hub.sessions() as session:
        rows = list((await session.exec(query)).all())
    poa = await ctx.loaders.poa_relations()
    nodes = [organization_type(r, organization_subject(ctx.principal.organization_id, r, poa)) for r in rows]
    return connection(nodes, [(r.name, r.id) for r in rows], size, after is not None)
