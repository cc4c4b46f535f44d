"""Webhook mutations: register an endpoint (secret shown once), disable it, replay a dead letter.

Each asks ManageWebhooks on the organization that owns the endpoint (policies/events.cedar) before
one service call in one transaction.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from hub.db.session import transaction
from hub.errors import NotFound
from hub.events import webhooks
from hub.events.secrets import SecretBox
from hub.graphql.context import HubContext
from hub.graphql.guard import root
from hub.graphql.relay import pk_of
from hub.graphql.resolvers.webhooks import managed_endpoint, may_manage
from hub.graphql.types.webhooks import (
    CreatedWebhookEndpoint,
    WebhookDeliveryType,
    WebhookEndpointType,
    delivery_type,
    endpoint_type,
)

Ctx = Info[HubContext, Any]


@strawberry.type
class WebhookMutations:
    @root("Register a webhook endpoint for the caller's organization; the signing secret is shown once. "
          "Deliveries carry only what the calling client may read at delivery time.")
    async def create_webhook_endpoint(self, info: Ctx, url: str, event_types: list[str]) -> CreatedWebhookEndpoint:
        ctx = info.context
        if not await may_manage(ctx, ctx.principal.organization_id):
            raise NotFound("no such organization", code="UNKNOWN_ORGANIZATION")
        async with transaction(ctx.hub.sessions) as session:
            created = await webhooks.create_endpoint(session, SecretBox(ctx.hub.keys), ctx.principal, url,
                                                     event_types, ctx.hub.settings, ctx.now)
        return CreatedWebhookEndpoint(endpoint=endpoint_type(created.endpoint), secret=created.secret)

    @root("Stop delivering to an endpoint; its pending deliveries are skipped.")
    async def disable_webhook_endpoint(self, info: Ctx, id: strawberry.ID) -> WebhookEndpointType:
        ctx = info.context
        endpoint = await managed_endpoint(ctx, id)
        async with transaction(ctx.hub.sessions) as session:
            fresh = await webhooks.get_endpoint(session, endpoint.id)
            await webhooks.disable_endpoint(session, fresh, ctx.now)
        return endpoint_type(fresh)

    @root("Send a dead-lettered delivery again, with the same webhook-id and a new 24-hour retry window.")
    async def replay_webhook_delivery(self, info: Ctx, id: strawberry.ID) -> WebhookDeliveryType:
        ctx = info.context
        pk = pk_of(id, "WebhookDelivery")
        async with ctx.hub.sessions() as session:
            delivery, endpoint, _ = await webhooks.get_delivery(session, pk)
        if not await may_manage(ctx, endpoint.organization_id):
            raise NotFound("no such webhook delivery", code="UNKNOWN_WEBHOOK_DELIVERY")
        async with transaction(ctx.hub.sessions) as session:
            await webhooks.replay(session, delivery, endpoint, ctx.principal.client_id, ctx.now)
        async with ctx.hub.sessions() as session:
            fresh, _, event = await webhooks.get_delivery(session, pk)
        return delivery_type(fresh, event)
