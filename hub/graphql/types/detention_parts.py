"""GraphQL types that hang off a detention: parties, recordations, images, requests, disclosure, audit."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import strawberry

from hub.graphql.guard import guarded, public_value
from hub.policy.facts import Subject

_WITH_PARENT = "shown with its parent, whose field already passed its policy decision"


def shown(description: str | None = None) -> Any:
    return public_value(_WITH_PARENT, description=description)


@strawberry.type
class Party:
    name: str = shown()
    address: str = shown()


@strawberry.type
class RecordationOwner:
    id: strawberry.ID = public_value("recordation owners are public in CBP's IPR search (FACTS §2)")
    name: str = public_value("recordation owners are public in CBP's IPR search (FACTS §2)")


@strawberry.type
class PhotoGuideType:
    id: strawberry.ID = shown()
    title: str = shown()
    content_type: str = shown()
    size: int = shown()
    uploaded_at: datetime = shown()
    url: str = shown(description="Fetch with the same bearer token; expires within 5 minutes.")


@strawberry.type
class RecordationType:
    number: str = public_value("recordations are public in CBP's IPR search (FACTS §2)")
    mark: str = public_value("recordations are public in CBP's IPR search (FACTS §2)")
    status: str = public_value("recordations are public in CBP's IPR search (FACTS §2)")
    expires_on: date | None = public_value("recordations are public in CBP's IPR search (FACTS §2)")
    owner: RecordationOwner = public_value("recordations are public in CBP's IPR search (FACTS §2)")
    subject: strawberry.Private[Subject]
    guides: strawberry.Private[list[PhotoGuideType]]

    @guarded("ReadPhotoGuides", empty=[], description="Photographic standards guides (CBP and the owner).")
    def photo_guides(self) -> list[PhotoGuideType]:
        return self.guides


@strawberry.enum
class ImageVariantEnum(enum.Enum):
    REDACTED = "REDACTED"
    UNREDACTED = "UNREDACTED"


@strawberry.type(name="DetentionImage")
class ImageType:
    id: strawberry.ID = shown()
    variant: ImageVariantEnum = shown(description="The best variant the viewer may see now.")
    url: str = shown(description="Bound to the caller's client; send the same bearer token; expires in 5 minutes.")
    thumbnail_url: str = shown()
    width: int = shown()
    height: int = shown()
    content_type: str = shown()


@strawberry.type
class DisclosureItem:
    item: str = shown()
    rule_ids: list[str] = shown()
    explanation: str = shown()


@strawberry.type
class Disclosure:
    as_of: datetime = shown(description="The instant this explanation holds for (the request's now).")
    policy_version: str = shown()
    calendar_version: str = shown()
    visible: list[DisclosureItem] = shown()
    withheld: list[DisclosureItem] = shown()
    next_disclosure_at: datetime | None = shown()
    next_disclosure: str | None = shown()


@strawberry.type
class TimelineEntry:
    type: str = shown()
    at: datetime = shown()
    recorded_at: datetime = shown()
    note: str | None = shown()


@strawberry.type
class DocumentType:
    filename: str = shown()
    content_type: str = shown()
    size: int = shown()
    digest: str = shown()


@strawberry.type(name="ImporterResponse")
class ImporterResponseType:
    id: strawberry.ID = shown()
    submitted_at: datetime = shown()
    statement: str = shown()
    documents: list[DocumentType] = shown()


@strawberry.type(name="AuthenticationRequest")
class AuthenticationRequestType:
    id: strawberry.ID = shown()
    requested_at: datetime = shown()
    due_at: datetime = shown(description="Requested + 48 hours (COAC IE-2021-03 target of 24-48 hours).")
    determination: str | None = shown()
    determined_at: datetime | None = shown()
    turnaround_hours: float | None = shown()
    within_target: bool | None = shown()
    owner_id: strawberry.ID = shown()


@strawberry.type(name="SampleRequest")
class SampleRequestType:
    id: strawberry.ID = shown()
    kind: str = shown()
    requested_at: datetime = shown()
    bond_number: str = shown()
    bond_amount: str = shown(description="Decimal string.")
    status: str = shown()


@strawberry.type
class AccessEntry:
    at: datetime = shown()
    client_id: str = shown()
    organization_id: strawberry.ID = shown()
    item: str = shown()
    rule_ids: list[str] = shown()
    channel: str = shown()


@strawberry.type
class OverdueItem:
    kind: str = shown()
    due_at: datetime = shown()
    rule_id: str = shown()
