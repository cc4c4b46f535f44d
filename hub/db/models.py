"""Imports every table module so SQLModel.metadata is complete (Alembic and tests rely on it)."""

from hub.db.audit_tables import DisclosureEntry
from hub.db.event_tables import OutboxEvent, WebhookDelivery, WebhookEndpoint
from hub.db.ipr_tables import (
    AuthenticationRequest,
    Detention,
    DetentionEvent,
    DetentionImage,
    DetentionRecordation,
    ImporterResponse,
    OwnerAcknowledgement,
    PhotoGuide,
    SampleRequest,
)
from hub.db.tables import (
    DemoSeed,
    OAuthClient,
    Organization,
    PowerOfAttorney,
    Recordation,
    UsedAssertion,
)

__all__ = [
    "AuthenticationRequest",
    "DemoSeed",
    "Detention",
    "DetentionEvent",
    "DetentionImage",
    "DetentionRecordation",
    "DisclosureEntry",
    "ImporterResponse",
    "OAuthClient",
    "Organization",
    "OutboxEvent",
    "OwnerAcknowledgement",
    "PhotoGuide",
    "PowerOfAttorney",
    "Recordation",
    "SampleRequest",
    "UsedAssertion",
    "WebhookDelivery",
    "WebhookEndpoint",
]
