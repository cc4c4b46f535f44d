"""The Query root. Each domain contributes resolvers; the root only wires them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.types import Info

from hub.graphql.context import HubContext
from hub.graphql.guard import root
from hub.graphql.relay import Connection, Node, from_global_id
from hub.graphql.resolvers import detentions, parties
from hub.graphql.types.detentions import DetentionType
from hub.graphql.types.parties import OrganizationType, Viewer

# Node types by global-id type name -> resolver of (info, pk); each applies its own read decision.
NODE_RESOLVERS: dict[str, Callable[[Info[HubContext, Any], str], Awaitable[Node | None]]] = {
    "Organization": parties.organization_by_id,
    "Detention": detentions.detention_by_id,
}


@strawberry.type
class Query:
    @root("The calling client and its organization.")
    def viewer(self, info: Info[HubContext, Any]) -> Viewer:
        p = info.context.principal
        return Viewer(client_id=p.client_id, roles=sorted(p.roles), organization_id=p.organization_id)

    @root("Any object by its global id; null when absent or not visible.")
    async def node(self, info: Info[HubContext, Any], id: strawberry.ID) -> Node | None:
        type_name, pk = from_global_id(str(id))
        resolver = NODE_RESOLVERS.get(type_name)
        if resolver is None:
            return None
        return await resolver(info, pk)

    @root("Organizations the viewer may see, by name (keyset pagination).")
    async def organizations(
        self, info: Info[HubContext, Any], first: int | None = None, after: str | None = None
    ) -> Connection[OrganizationType]:
        return await parties.organizations(info, first, after)

    @root("IPR detentions the viewer may see, newest first (keyset pagination).")
    async def detentions(
        self, info: Info[HubContext, Any], first: int | None = None, after: str | None = None
    ) -> Connection[DetentionType]:
        return await detentions.detentions(info, first, after)

    @root("One detention; null when absent or not visible.")
    async def detention(self, info: Info[HubContext, Any], id: strawberry.ID) -> DetentionType | None:
        type_name, pk = from_global_id(str(id))
        return await detentions.detention_by_id(info, pk) if type_name == "Detention" else None

    @root("Open detentions with a missed deadline at the request's now (CBP: R-IPR-CBP ReadOverdue).")
    async def overdue_detentions(self, info: Info[HubContext, Any], first: int | None = None) -> list[DetentionType]:
        return await detentions.overdue_detentions(info, first)
