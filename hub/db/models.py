"""Imports every table module so SQLModel.metadata is complete (Alembic and tests rely on it)."""

from hub.db.adcvd_tables import AdcvdCase, AdcvdCompanyRate, Entry, EntryLine
from hub.db.audit_tables import DisclosureEntry
from hub.db.bond_tables import Bond, BondInsufficiencyNotice, BondSecuredEntry
from hub.db.event_tables import OutboxEvent, WebhookDelivery, WebhookEndpoint
from hub.db.forced_labor_tables import (
    ForcedLaborAllegation,
    ForcedLaborDetention,
    ForcedLaborDocument,
    ForcedLaborMetricCell,
    ForcedLaborOrder,
    ForcedLaborOrderStatus,
    ForcedLaborSupplier,
)
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
    "AdcvdCase",
    "AdcvdCompanyRate",
    "AuthenticationRequest",
    "Bond",
    "BondInsufficiencyNotice",
    "BondSecuredEntry",
    "DemoSeed",
    "Detention",
    "DetentionEvent",
    "DetentionImage",
    "DetentionRecordation",
    "DisclosureEntry",
    "Entry",
    "EntryLine",
    "ForcedLaborAllegation",
    "ForcedLaborDetention",
    "ForcedLaborDocument",
    "ForcedLaborMetricCell",
    "ForcedLaborOrder",
    "ForcedLaborOrderStatus",
    "ForcedLaborSupplier",
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
