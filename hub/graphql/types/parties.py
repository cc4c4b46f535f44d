"""GraphQL types for parties: the viewer, organizations and powers of attorney."""

from __future__ import annotations

import enum
from typing import Any

import strawberry
from strawberry.types import Info

from hub.db.tables import Organization as OrganizationRow
from hub.graphql.guard import guarded, public, public_value
from hub.graphql.relay import Node, to_global_id
from hub.policy.facts import Subject

_SHOWN_WITH_ORG = "shown with its organization, which ReadOrganization already allowed (row scope)"


@strawberry.enum
class OrganizationKind(enum.Enum):
    CBP = "CBP"
    IMPORTER = "IMPORTER"
    BROKER = "BROKER"
    IP_OWNER = "IP_OWNER"
    SURETY = "SURETY"
    PGA = "PGA"


@strawberry.type(name="Organization")
class OrganizationType(Node):
    id: strawberry.ID = public_value(_SHOWN_WITH_ORG)
    row: strawberry.Private[OrganizationRow]
    subject: strawberry.Private[Subject]

    @public(_SHOWN_WITH_ORG)
    def name(self) -> str:
        return self.row.name

    @public(_SHOWN_WITH_ORG)
    def kind(self) -> OrganizationKind:
        return OrganizationKind(self.row.kind.value)

    @public(_SHOWN_WITH_ORG)
    def address(self) -> str | None:
        return self.row.address

    @guarded("ReadIorNumber", description="Importer-of-record number (R-ID-02: SSNs only to CBP and owner).")
    def ior_number(self) -> str | None:
        return self.row.ior_number

    @public("a broker's filer code is printed on every entry it files (FACTS §5)")
    def filer_code(self) -> str | None:
        return self.row.filer_code

    @public("surety codes identify sureties on every bond (FACTS §3)")
    def surety_code(self) -> str | None:
        return self.row.surety_code

    @public("agency codes are published in the ACE PGA message set (FACTS §8)")
    def agency_code(self) -> str | None:
        return self.row.agency_code

    @public("CBP port codes are public Schedule D data (FACTS §7)")
    def port_code(self) -> str | None:
        return self.row.port_code


def organization_type(row: OrganizationRow, subject: Subject) -> OrganizationType:
    return OrganizationType(id=strawberry.ID(to_global_id("Organization", row.id)), row=row, subject=subject)


@strawberry.type
class Viewer:
    client_id: str = public_value("the caller's own credentials")
    roles: list[str] = public_value("the caller's own credentials")
    organization_id: strawberry.Private[str]

    @public("the caller's own organization (R-ORG-02)")
    async def organization(self, info: Info[Any, None]) -> OrganizationType | None:
        from hub.graphql.resolvers.parties import organization_for_viewer

        return await organization_for_viewer(info, self.organization_id)
