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

DETENTION_SELECTION = """query EventDetention($id: ID!) { node(id: $id) { ... on Detention {
  id caseNumber status track regime portCode presentedAt detainedAt noticeOfDetentionSentAt importerResponseDueAt
  importerResponseOutcome limitedInfoReleasedAt unredactedReleasedAt seizedAt releasedAt expiresAt
  dateOfImportation description quantity countryOfOrigin entryNumber
  importer { name address } manufacturer { name address } exporter { name address }
  recordations { number } } } }"""


@dataclass(frozen=True)
class Selection:
    """How events about one object type are rendered: the query, and the key the object goes under."""

    query: str
    key: str


def _selections() -> dict[str, Selection]:
    # Imported late: the GraphQL types import the services, which import the outbox.
    from hub.graphql.types.adcvd import ENTRY_EVENT_SELECTION
    from hub.graphql.types.bonds import BOND_EVENT_SELECTION
    from hub.graphql.types.forced_labor import FORCED_LABOR_EVENT_SELECTION

    return {"Detention": Selection(DETENTION_SELECTION, "detention"),
            "Bond": Selection(BOND_EVENT_SELECTION, "bond"),
            "Entry": Selection(ENTRY_EVENT_SELECTION, "entry"),
            "ForcedLaborDetention": Selection(FORCED_LABOR_EVENT_SELECTION, "forcedLaborDetention")}


# The name under which an event's ``detail`` appears, by event type (hub.db.event_tables.OutboxEvent.detail).
DETAIL_NAMES = {"detention.deadline_missed": "deadline", "bond.insufficient": "noticeId"}


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
    selection = _selections().get(event.object_type)
    if selection is None:
        return None
    ctx = HubContext(request=None, response=None, hub=hub, principal=principal, now=now,
                     loaders=Loaders(hub.sessions, principal.organization_id, hub.org_cache))
    global_id = to_global_id(event.object_type, event.object_id)
    result = await _schema().execute(selection.query, variable_values={"id": global_id}, context_value=ctx)
    if result.errors:
        raise RuntimeError(f"event payload query failed: {result.errors[0].message}")
    # node() answers null, not an error, for an object the principal may not read (no existence oracle).
    data = (result.data or {}).get("node")
    if not data:
        return None
    body: dict[str, Any] = {"eventId": event.id, "objectId": global_id, selection.key: data}
    if event.detail is not None and event.type in DETAIL_NAMES:
        body[DETAIL_NAMES[event.type]] = event.detail
        body["dueAt"] = event.occurred_at.isoformat()
    payload = {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": body}
    return Rendered(payload, ctx.disclosures(channel))


def endpoint_principal(client_id: str, organization_id: str, org_kind: str, roles: list[str]) -> Principal:
    return Principal(client_id=client_id, organization_id=organization_id, org_kind=org_kind,
                     roles=frozenset(roles))
