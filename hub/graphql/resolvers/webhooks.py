"""Resolvers for webhook endpoints and deliveries: each read asks ManageWebhooks on the owning organization.

Not found and not allowed look the same (UNKNOWN_WEBHOOK_ENDPOINT): an id reveals nothing about
another organization's endpoints.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from hub.db.event_tables import WebhookEndpoint
from hub.errors import NotFound
from hub.events import webhooks
from hub.graphql.context import HubContext
from hub.graphql.relay import check_first, pk_of
from hub.graphql.types.webhooks import (
    WebhookDeliveryType,
    WebhookEndpointType,
    delivery_type,
    endpoint_type,
)
from hub.policy.facts import organization_subject

Ctx = Info[HubContext, Any]



async def may_manage(ctx: HubContext, organization_id: str) -> bool:
    """ManageWebhooks on the organization, with the viewer's relation to it (policies/events.cedar)."""
    org = await ctx.loaders.organization.load(organization_id)
    if org is None:
        return False
    me = ctx.principal.organization_id
    subject = organization_subject(me, org, {} if org.id == me else await ctx.loaders.poa_relations())
    return ctx.allowed("ManageWebhooks", subject)


async def _organization(ctx: HubContext, organization_id: strawberry.ID | None) -> str:
    org_id = pk_of(organization_id, "Organization") if organization_id else ctx.principal.organization_id
    if not await may_manage(ctx, org_id):
        raise NotFound("no such organization", code="UNKNOWN_ORGANIZATION")
    return org_id


async def webhook_endpoints(info: Ctx, organization_id: strawberry.ID | None) -> list[WebhookEndpointType]:
    ctx = info.context
    org_id = await _organization(ctx, organization_id)
    async with ctx.hub.sessions() as session:
        rows = await webhooks.endpoints_of(session, org_id)
    return [endpoint_type(r) for r in rows]


async def managed_endpoint(ctx: HubContext, endpoint_id: strawberry.ID) -> WebhookEndpoint:
    pk = pk_of(endpoint_id, "WebhookEndpoint")
    async with ctx.hub.sessions() as session:
        endpoint = await session.get(WebhookEndpoint, pk)
    if endpoint is None or not await may_manage(ctx, endpoint.organization_id):
        raise NotFound("no such webhook endpoint", code="UNKNOWN_WEBHOOK_ENDPOINT")
    return endpoint


async def webhook_deliveries(info: Ctx, endpoint_id: strawberry.ID, first: int | None) -> list[WebhookDeliveryType]:
    ctx = info.context
    size = check_first(first, ctx.hub.settings.page_size_max)
    endpoint = await managed_endpoint(ctx, endpoint_id)
    async with ctx.hub.sessions() as session:
        rows = await webhooks.deliveries_of(session, endpoint.id, size)
    return [delivery_type(d, e) for d, e in rows]


async def dead_letters(info: Ctx, first: int | None, organization_id: strawberry.ID | None
                       ) -> list[WebhookDeliveryType]:
    ctx = info.context
    size = check_first(first, ctx.hub.settings.page_size_max)
    org_id = await _organization(ctx, organization_id)
    async with ctx.hub.sessions() as session:
        rows = await webhooks.dead_letters(session, org_id, size)
    return [delivery_type(d, e) for d, e in rows]
