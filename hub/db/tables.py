"""SQLModel tables for parties and clients. Domain issues add their own table modules beside this one."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import JSON, Column, DateTime, Dialect, Index, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


def new_id() -> str:
    return uuid.uuid4().hex


class OrgKind(enum.StrEnum):
    CBP = "CBP"
    IMPORTER = "IMPORTER"
    BROKER = "BROKER"
    IP_OWNER = "IP_OWNER"
    SURETY = "SURETY"
    PGA = "PGA"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend: SQLite keeps no zone, so values come back naive there.

    Writing a naive datetime is refused: a time without a zone is a bug, not a value.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the Hub stores aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_column() -> Column[datetime]:
    return Column(UTCDateTime(), nullable=False)


def utc_column_nullable() -> Column[datetime]:
    return Column(UTCDateTime(), nullable=True)


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"
    __table_args__ = (
        UniqueConstraint("ior_number", name="uq_org_ior"),
        UniqueConstraint("filer_code", name="uq_org_filer"),
        UniqueConstraint("surety_code", name="uq_org_surety"),
        UniqueConstraint("slug", name="uq_org_slug"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    slug: str = Field(max_length=64, description="short stable handle used by the CLI (--org)")
    name: str = Field(max_length=200)
    kind: OrgKind = Field(index=True)
    address: str | None = Field(default=None, max_length=500)
    # Identifiers by kind (FACTS §5, §3): only the one that applies is set.
    ior_number: str | None = Field(default=None, max_length=20)
    ior_kind: str | None = Field(default=None, max_length=16)
    filer_code: str | None = Field(default=None, max_length=3)
    surety_code: str | None = Field(default=None, max_length=3)
    agency_code: str | None = Field(default=None, max_length=8)
    port_code: str | None = Field(default=None, max_length=4, description="CBP port offices only")
    created_at: datetime = Field(sa_column=utc_column())


class PowerOfAttorney(SQLModel, table=True):
    """A customs power of attorney (19 CFR 141.46): the broker may act for the importer."""

    __tablename__ = "powers_of_attorney"
    __table_args__ = (Index("ix_poa_broker_importer", "broker_org_id", "importer_org_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    broker_org_id: str = Field(foreign_key="organizations.id", max_length=32)
    importer_org_id: str = Field(foreign_key="organizations.id", max_length=32, index=True)
    granted_on: date
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())


class OAuthClient(SQLModel, table=True):
    __tablename__ = "oauth_clients"

    client_id: str = Field(primary_key=True, max_length=64)
    organization_id: str = Field(foreign_key="organizations.id", max_length=32, index=True)
    name: str = Field(max_length=200)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # salted hash of the secret (hub.auth.secrets); None for clients that only use private_key_jwt.
    secret_hash: str | None = Field(default=None, max_length=300)
    auth_methods: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    jwks: dict[str, object] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())


class UsedAssertion(SQLModel, table=True):
    """RFC 7523 §3 item 7: a client assertion's ``jti`` may be used once; kept until it expires."""

    __tablename__ = "used_client_assertions"

    client_id: str = Field(primary_key=True, max_length=64)
    jti: str = Field(primary_key=True, max_length=200)
    expires_at: datetime = Field(sa_column=utc_column())


class Recordation(SQLModel, table=True):
    """A CBP recordation of a trademark or copyright (19 CFR 133 subparts A-D)."""

    __tablename__ = "recordations"

    number: str = Field(primary_key=True, max_length=16, description="TMK YY-NNNNN or COP YY-NNNNN")
    owner_org_id: str = Field(foreign_key="organizations.id", max_length=32, index=True)
    mark: str = Field(max_length=200)
    uspto_registration: str | None = Field(default=None, max_length=16)
    principal_register: bool = True
    status: str = Field(default="ACTIVE", max_length=16)
    effective_on: date
    expires_on: date | None = None
    authorized_manufacturers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class DemoSeed(SQLModel, table=True):
    """Marks demo data sets already seeded, so a second start neither duplicates nor fails."""

    __tablename__ = "demo_seeds"

    name: str = Field(primary_key=True, max_length=64)
    seeded_at: datetime = Field(sa_column=utc_column())
    clients_json: str = Field(description="the demo clients with their secrets (demo data only)")
