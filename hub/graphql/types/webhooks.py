"""GraphQL types for webhook endpoints and deliveries.

Every field is shown with its endpoint: the root field already required ManageWebhooks on the
endpoint's organization (policies/events.cedar, R-HOOK-01/R-HOOK-02), and none of them carries data
about any other party (a delivery names its event, never the payload it carried).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from hub.db.event_tables import OutboxEvent, WebhookDelivery, WebhookEndpoint
from hub.graphql.guard import public_value
from hub.graphql.relay import to_global_id

_SHOWN = "shown with its endpoint: ManageWebhooks on the endpoint's organization allowed the read (R-HOOK-01/02)"


@strawberry.enum
class WebhookDeliveryStatus(enum.Enum):
    PENDING = "PENDING"
    RETRYING = "RETRYING"
    DELIVERED = "DELIVERED"
    DEAD = "DEAD"
    SKIPPED = "SKIPPED"


@strawberry.type(name="WebhookEndpoint")
class WebhookEndpointType:
    id: strawberry.ID = public_value(_SHOWN)
    url: str = public_value(_SHOWN)
    event_types: list[str] = public_value(_SHOWN)
    created_by: str = public_value(_SHOWN, description="The client whose roles the endpoint delivers with.")
    created_at: datetime = public_value(_SHOWN)
    disabled_at: datetime | None = public_value(_SHOWN)


@strawberry.type
class CreatedWebhookEndpoint:
    endpoint: WebhookEndpointType = public_value("the endpoint the caller just registered")
    secret: str = public_value("the caller's own new signing secret: shown this once, stored encrypted",
                               description="Standard Webhooks secret (whsec_...). Shown once.")


@strawberry.type
class WebhookAttempt:
    at: datetime = public_value(_SHOWN)
    outcome: str | None = public_value(_SHOWN, description="DELIVERED, RETRYING, DEAD or SKIPPED.")
    status_code: int | None = public_value(_SHOWN)
    error: str | None = public_value(_SHOWN)
    replayed_by: str | None = public_value(_SHOWN, description="Set on the entry that records a replay.")


@strawberry.type(name="WebhookDelivery")
class WebhookDeliveryType:
    id: strawberry.ID = public_value(_SHOWN)
    webhook_id: str = public_value(_SHOWN, description="The webhook-id header: the same on every retry.")
    endpoint_id: strawberry.ID = public_value(_SHOWN)
    event_id: str = public_value(_SHOWN)
    event_type: str = public_value(_SHOWN)
    object_id: strawberry.ID = public_value(_SHOWN, description="The global id of the object the event is about.")
    status: WebhookDeliveryStatus = public_value(_SHOWN)
    attempts: int = public_value(_SHOWN)
    created_at: datetime = public_value(_SHOWN)
    next_attempt_at: datetime | None = public_value(_SHOWN, description="Null once the delivery is final.")
    last_attempt_at: datetime | None = public_value(_SHOWN)
    last_status_code: int | None = public_value(_SHOWN)
    last_error: str | None = public_value(_SHOWN)
    delivered_at: datetime | None = public_value(_SHOWN)
    attempts_log: list[WebhookAttempt] = public_value(_SHOWN)


def endpoint_type(row: WebhookEndpoint) -> WebhookEndpointType:
    return WebhookEndpointType(id=strawberry.ID(to_global_id("WebhookEndpoint", row.id)), url=row.url,
                               event_types=list(row.event_types), created_by=row.created_by,
                               created_at=row.created_at, disabled_at=row.disabled_at)


def _attempt(entry: dict[str, Any]) -> WebhookAttempt:
    code = entry.get("statusCode")
    return WebhookAttempt(at=datetime.fromisoformat(str(entry["at"])), outcome=entry.get("outcome"),
                          status_code=int(code) if code is not None else None, error=entry.get("error"),
                          replayed_by=entry.get("replayedBy"))


def delivery_type(row: WebhookDelivery, event: OutboxEvent) -> WebhookDeliveryType:
    final = row.status in ("DELIVERED", "DEAD", "SKIPPED")
    return WebhookDeliveryType(
        id=strawberry.ID(to_global_id("WebhookDelivery", row.id)), webhook_id=row.id,
        endpoint_id=strawberry.ID(to_global_id("WebhookEndpoint", row.endpoint_id)), event_id=event.id,
        event_type=event.type, object_id=strawberry.ID(to_global_id(event.object_type, event.object_id)),
        status=WebhookDeliveryStatus(row.status), attempts=row.attempts, created_at=row.created_at,
        next_attempt_at=None if final else row.next_attempt_at, last_attempt_at=row.last_attempt_at,
        last_status_code=row.last_status_code, last_error=row.last_error, delivered_at=row.delivered_at,
        attempts_log=[_attempt(e) for e in row.attempts_log])
