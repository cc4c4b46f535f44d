"""The Query root. Each domain contributes resolvers; the root only wires them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from hub.graphql.context import HubContext
from hub.graphql.guard import root
from hub.graphql.relay import Connection, Node, from_global_id
from hub.graphql.resolvers import adcvd, bonds, detentions, forced_labor, parties, webhooks
from hub.graphql.resolvers.forced_labor import WithholdReleaseOrderFilter
from hub.graphql.types.adcvd import AdcvdCaseNode, EntryNode
from hub.graphql.types.bonds import BondNode, BondOrder, BondSufficiency, sufficiency_type
from hub.graphql.types.detentions import DetentionType
from hub.graphql.types.forced_labor import (
    AllegationNode,
    ForcedLaborDetentionNode,
    ForcedLaborMetrics,
    ForcedLaborPeriod,
    WithholdReleaseOrderNode,
)
from hub.graphql.types.parties import OrganizationType, Viewer
from hub.graphql.types.webhooks import WebhookDeliveryType, WebhookEndpointType
from hub.services.forced_labor_metrics import Period

# Node types by global-id type name -> resolver of (info, pk); each applies its own read decision.
NODE_RESOLVERS: dict[str, Callable[[Info[HubContext, Any], str], Awaitable[Node | None]]] = {
    "Organization": parties.organization_by_id,
    "Detention": detentions.detention_by_id,
    "Bond": bonds.bond_by_id,
    "AdcvdCase": adcvd.case_by_id,
    "Entry": adcvd.entry_by_id,
    "WithholdReleaseOrder": forced_labor.order_by_id,
    "ForcedLaborDetention": forced_labor.detention_by_id,
    "ForcedLaborAllegation": forced_labor.allegation_by_id,
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

    @root("Bonds the viewer may see (R-BOND-01), keyset-paginated in orderBy; suretyCode narrows to one surety's "
          "bonds (as surety or co-surety).")
    async def bonds(self, info: Info[HubContext, Any], first: int | None = None, after: str | None = None,
                    order_by: BondOrder = BondOrder.NUMBER, surety_code: str | None = None) -> Connection[BondNode]:
        return await bonds.bonds(info, first, after, order_by, surety_code)

    @root("One bond by global id or by bond number; null when absent or not visible.")
    async def bond(self, info: Info[HubContext, Any], id: strawberry.ID | None = None,
                   number: str | None = None) -> BondNode | None:
        return await bonds.bond_by_ref(info, id, number)

    @root("For one bond: the required amount, the current amount, the shortfall and the inputs used (R-BOND-02, "
          "-04, -05); null when absent or not visible.")
    async def bond_sufficiency(self, info: Info[HubContext, Any], id: strawberry.ID | None = None,
                               number: str | None = None) -> BondSufficiency | None:
        node = await bonds.bond_by_ref(info, id, number)
        return sufficiency_type(node.view.row.number, node.view.sufficiency, info.context.now) if node else None

    @root("The public list of Withhold Release Orders and Findings, newest first (R-FL-01): the one field readable "
          "without a token (rate-limited per client address).")
    async def withhold_release_orders(self, info: Info[HubContext, Any], first: int | None = None,
                                      after: str | None = None, filter: WithholdReleaseOrderFilter | None = None
                                      ) -> Connection[WithholdReleaseOrderNode]:
        return await forced_labor.withhold_release_orders(info, first, after, filter)

    @root("Forced-labor shipment detentions the viewer may see (R-FL-02: CBP, the importer of record and its broker), "
          "newest first.")
    async def forced_labor_detentions(self, info: Info[HubContext, Any], first: int | None = None,
                                      after: str | None = None) -> Connection[ForcedLaborDetentionNode]:
        return await forced_labor.forced_labor_detentions(info, first, after)

    @root("Allegations the viewer may see (R-FL-04: its own; CBP all), newest first.")
    async def forced_labor_allegations(self, info: Info[HubContext, Any], first: int | None = None,
                                       after: str | None = None) -> Connection[AllegationNode]:
        return await forced_labor.allegations(info, first, after)

    @root("Detention metrics per WRO/Finding and period: CBP and the labor agency see every cell, everyone else "
          "aggregates with small cells suppressed.")
    async def forced_labor_metrics(self, info: Info[HubContext, Any],
                                   period: ForcedLaborPeriod = ForcedLaborPeriod.QUARTER, since: date | None = None,
                                   until: date | None = None,
                                   order_id: strawberry.ID | None = None) -> ForcedLaborMetrics:
        pk = from_global_id(str(order_id))[1] if order_id is not None else None
        return await forced_labor.metrics(info, Period(period.value), since, until, pk)

    @root("AD/CVD orders and third-country cases (R-AD-06-CASES: every authenticated party), by case number; "
          "countryCode narrows to one Commerce country code.")
    async def adcvd_cases(self, info: Info[HubContext, Any], first: int | None = None, after: str | None = None,
                          country_code: str | None = None) -> Connection[AdcvdCaseNode]:
        return await adcvd.adcvd_cases(info, first, after, country_code)

    @root("One AD/CVD case by its number (A-CCC-NNN); null when absent.")
    async def adcvd_case(self, info: Info[HubContext, Any], number: str) -> AdcvdCaseNode | None:
        return await adcvd.adcvd_case(info, number)

    @root("Entries the viewer may see (R-AD-06), by entry number (keyset pagination), with their findings.")
    async def entries(self, info: Info[HubContext, Any], first: int | None = None,
                      after: str | None = None) -> Connection[EntryNode]:
        return await adcvd.entries(info, first, after)

    @root("One entry by its number; null when absent or not visible.")
    async def entry(self, info: Info[HubContext, Any], number: str) -> EntryNode | None:
        return await adcvd.entry_by_number(info, number)

    @root("Webhook endpoints of the caller's organization (or, for a CBP hub-admin, of organizationId).")
    async def webhook_endpoints(self, info: Info[HubContext, Any], organization_id: strawberry.ID | None = None
                                ) -> list[WebhookEndpointType]:
        return await webhooks.webhook_endpoints(info, organization_id)

    @root("Delivery attempts of one endpoint with their status, newest first (the endpoint's organization only).")
    async def webhook_deliveries(self, info: Info[HubContext, Any], endpoint_id: strawberry.ID,
                                 first: int | None = None) -> list[WebhookDeliveryType]:
        return await webhooks.webhook_deliveries(info, endpoint_id, first)

    @root("Deliveries that failed for 24 hours (dead letters) of the caller's organization; replay them with "
          "replayWebhookDelivery.")
    async def dead_letters(self, info: Info[HubContext, Any], first: int | None = None,
                           organization_id: strawberry.ID | None = None) -> list[WebhookDeliveryType]:
        return await webhooks.dead_letters(info, first, organization_id)
