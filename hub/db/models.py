"""Imports every table module so SQLModel.metadata is complete (Alembic and tests rely on it)."""

from hub.db.audit_tables import DisclosureEntry
from hub.db.tables import (
    DemoSeed,
    OAuthClient,
    Organization,
    PowerOfAttorney,
    Recordation,
    UsedAssertion,
)

__all__ = [
    "DemoSeed",
    "DisclosureEntry",
    "OAuthClient",
    "Organization",
    "PowerOfAttorney",
    "Recordation",
    "UsedAssertion",
]
