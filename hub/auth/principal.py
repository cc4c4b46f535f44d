"""Who is calling: the authenticated client, its organization and roles, as read from a verified token."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Principal:
    client_id: str
    organization_id: str
    org_kind: str
    roles: frozenset[str] = field(default_factory=frozenset)
    issuer: str = ""
    token_id: str = ""
    expires_at: datetime | None = None

    @property
    def is_cbp(self) -> bool:
        return self.org_kind == "CBP"
