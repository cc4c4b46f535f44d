"""Tables for IPR detentions (19 CFR 133.21): detentions, their images, answers, requests and guides."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.db.money import Money
from hub.db.tables import new_id, utc_column, utc_column_nullable


class Detention(SQLModel, table=True):
    __tablename__ = "detentions"
    __table_args__ = (
        UniqueConstraint("case_number", name="uq_detention_case"),
        Index("ix_detention_presented", "presented_at", "id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    case_number: str = Field(max_length=32)
    regime: str = Field(max_length=32)
    track: str = Field(max_length=16)
    conveyance: str = Field(max_length=16)
    declared_value: Decimal | None = Field(default=None, sa_column=Column(Money(), nullable=True))
    port_code: str = Field(max_length=4)
    entry_number: str | None = Field(default=None, max_length=13)
    importer_org_id: str = Field(foreign_key="organizations.id", max_length=32, index=True)
    # Party identities as the entry documents give them (R-IPR-10: never to the owner before seizure).
    importer_name: str = Field(max_length=200)
    importer_address: str = Field(max_length=500)
    manufacturer_name: str = Field(max_length=200)
    manufacturer_address: str = Field(max_length=500)
    exporter_name: str = Field(max_length=200)
    exporter_address: str = Field(max_length=500)
    # The five limited fields of § 133.21(b)(4).
    date_of_importation: date
    description: str = Field(max_length=1000)
    quantity: int
    quantity_unit: str = Field(default="PCS", max_length=8)
    country_of_origin: str = Field(max_length=2)
    # § 133.21(e)(3)-(4): after seizure, description and quantity are those of the notice of seizure.
    seizure_description: str | None = Field(default=None, max_length=1000)
    seizure_quantity: int | None = None
    le_hold: bool = False
    presented_at: datetime = Field(sa_column=utc_column())
    detained_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    notice_sent_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    importer_response_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    finding: str | None = Field(default=None, max_length=16)
    finding_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    limited_info_released_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    unredacted_released_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    importer_disclosure_notice_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    seized_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    seizure_notice_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    released_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    created_at: datetime = Field(sa_column=utc_column())
    version: int = 1


class DetentionRecordation(SQLModel, table=True):
    __tablename__ = "detention_recordations"

    detention_id: str = Field(foreign_key="detentions.id", primary_key=True, max_length=32)
    recordation_number: str = Field(foreign_key="recordations.number", primary_key=True, max_length=16, index=True)


class DetentionImage(SQLModel, table=True):
    """A photo of detained goods; every variant is a content-addressed object written before this row."""

    __tablename__ = "detention_images"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    detention_id: str = Field(foreign_key="detentions.id", max_length=32, index=True)
    content_type: str = Field(max_length=32)
    width: int
    height: int
    original_key: str = Field(max_length=200)
    original_digest: str = Field(max_length=64)
    original_size: int
    redacted_key: str = Field(max_length=200)
    redacted_digest: str = Field(max_length=64)
    redacted_size: int
    thumb_original_key: str = Field(max_length=200)
    thumb_redacted_key: str = Field(max_length=200)
    regions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    uploaded_at: datetime = Field(sa_column=utc_column())
    uploaded_by: str = Field(max_length=64)


class ImporterResponse(SQLModel, table=True):
    """The importer's answer to a notice of detention (§ 133.21(b)(2)(i)(B)), with its documents."""

    __tablename__ = "importer_responses"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    detention_id: str = Field(foreign_key="detentions.id", max_length=32, index=True)
    submitted_at: datetime = Field(sa_column=utc_column())
    submitted_by_org_id: str = Field(foreign_key="organizations.id", max_length=32)
    submitted_by_client: str = Field(max_length=64)
    statement: str = Field(max_length=10_000)
    documents: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class OwnerAcknowledgement(SQLModel, table=True):
    """The IP owner's acknowledgement of the Trade Secrets Act limited-purpose notice (§ 133.21(c)(1))."""

    __tablename__ = "owner_acknowledgements"

    detention_id: str = Field(foreign_key="detentions.id", primary_key=True, max_length=32)
    owner_org_id: str = Field(foreign_key="organizations.id", primary_key=True, max_length=32)
    acknowledged_at: datetime = Field(sa_column=utc_column())


class AuthenticationRequest(SQLModel, table=True):
    """CBP asks the right holder whether the goods are genuine; target turnaround 24-48 hours."""

    __tablename__ = "authentication_requests"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    detention_id: str = Field(foreign_key="detentions.id", max_length=32, index=True)
    owner_org_id: str = Field(foreign_key="organizations.id", max_length=32, index=True)
    requested_at: datetime = Field(sa_column=utc_column())
    determination: str | None = Field(default=None, max_length=16)
    determined_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    note: str | None = Field(default=None, max_length=2000)


class SampleRequest(SQLModel, table=True):
    """An owner's request for a sample (§ 133.21(b)(5), (c)(2), (f)); needs a sample bond (R-IPR-07)."""

    __tablename__ = "sample_requests"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    detention_id: str = Field(foreign_key="detentions.id", max_length=32, index=True)
    owner_org_id: str = Field(foreign_key="organizations.id", max_length=32, index=True)
    kind: str = Field(max_length=16)
    requested_at: datetime = Field(sa_column=utc_column())
    bond_number: str = Field(max_length=16)
    bond_amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    status: str = Field(default="REQUESTED", max_length=16)
    returned_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    certification: str | None = Field(default=None, max_length=16)


class PhotoGuide(SQLModel, table=True):
    """A brand holder's photographic standards guide for one recordation (COAC IE-2021-03)."""

    __tablename__ = "photo_guides"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    recordation_number: str = Field(foreign_key="recordations.number", max_length=16, index=True)
    owner_org_id: str = Field(foreign_key="organizations.id", max_length=32)
    title: str = Field(max_length=200)
    object_key: str = Field(max_length=200)
    digest: str = Field(max_length=64)
    content_type: str = Field(max_length=64)
    size: int
    uploaded_at: datetime = Field(sa_column=utc_column())


class DetentionEvent(SQLModel, table=True):
    """The timeline: one row per workflow step, written in the step's transaction."""

    __tablename__ = "detention_events"
    __table_args__ = (Index("ix_detention_events_detention", "detention_id", "at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    detention_id: str = Field(foreign_key="detentions.id", max_length=32)
    type: str = Field(max_length=48)
    at: datetime = Field(sa_column=utc_column())
    recorded_at: datetime = Field(sa_column=utc_column())
    client_id: str = Field(max_length=64)
    note: str | None = Field(default=None, max_length=2000)
