"""What one subscriber may see of an event, rendered at delivery time through the GraphQL schema.

Running a fixed selection as the subscriber, at the delivery instant, means a webhook or a
subscription message carries exactly what the same principal would get from GraphQL now: the same
guards, the same Cedar decisions, and the same disclosures to log (channel WEBHOOK or SUBSCRIPTION).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import strawberry

from hub.audit.log import Disclosure
from hub.auth.principal import Principal
from hub.db.audit_tables import DisclosureChannel
from hub.db.event_tables import OutboxEvent
from hub.graphql.context import HubContext
from hub.graphql.loaders import Loaders
from hub.graphql.relay import to_global_id
from hub.runtime import Hub

DETENTION_SELECTION = """query EventDetention($id: ID!) { detention(id: $id) {
  id caseNumber status track regime portCode presentedAt detainedAt noticeOfDetentionSentAt importerResponseDueAt
  importerResponseOutcome limitedInfoReleasedAt unredactedReleasedAt seizedAt releasedAt expiresAt
  dateOfImportation description quantity countryOfOrigin entryNumber
  importer { name address } manufacturer { name address } exporter { name address }
  recordations { number } } }"""


@cache
def _schema() -> strawberry.Schema:
    from hub.graphql.schema import build_schema

    return build_schema()


@dataclass(frozen=True)
class Rendered:
    payload: dict[str, Any]
    disclosures: list[Disclosure]


async def render(hub: Hub, principal: Principal, event: OutboxEvent, now: datetime,
                 channel: DisclosureChannel) -> Rendered | None:
    """The Standard Webhooks body for ``principal``, or None when it may not read the object now."""
    if event.object_type != "Detention":
        return None
    ctx = HubContext(request=None, response=None, hub=hub, principal=principal, now=now,
                     loaders=Loaders(hub.sessions, principal.organization_id, hub.org_cache))
    global_id = to_global_id(event.object_type, event.object_id)
    result = await _schema().execute(DETENTION_SELECTION, variable_values={"id": global_id}, context_value=ctx)
    if result.errors:
        raise RuntimeError(f"event payload query failed: {result.errors[0].message}")
    data = (result.data or {}).get("detention")
    if data is None:
        return None
    payload = {
        "type": event.type,
        "timestamp": event.occurred_at.isoformat(),
        "data": {"eventId": event.id, "objectId": global_id, "detention": data},
    }
    return Rendered(payload, ctx.disclosures(channel))


def endpoint_principal(client_id: str, organization_id: str, org_kind: str, roles: list[str]) -> Principal:
    return Principal(client_id=client_id, organization_id=organization_id, org_kind=org_kind,
                     roles=frozenset(roles))
