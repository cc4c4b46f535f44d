"""The disclosure audit log: one hash-chained row per disclosure of restricted data (DESIGN.md "Audit").

Rows are only ever appended by ``hub.audit.log.record``; ``hub audit verify`` recomputes the chain.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel


class DisclosureChannel(enum.StrEnum):
    """How the restricted data left the Hub."""

    GRAPHQL = "GRAPHQL"
    IMAGE_FETCH = "IMAGE_FETCH"
    WEBHOOK = "WEBHOOK"
    SUBSCRIPTION = "SUBSCRIPTION"
    EXPORT = "EXPORT"


class DisclosureEntry(SQLModel, table=True):
    __tablename__ = "disclosure_log"
    __table_args__ = (
        UniqueConstraint("hash", name="uq_disclosure_hash"),
        # "Who accessed this object": equality on the object, keyset pages by seq.
        Index("ix_disclosure_object", "object_type", "object_id", "seq"),
    )

    # The chain order. Assigned by record() as tail + 1 while it holds the append lock, not by a
    # database sequence: PostgreSQL sequences skip values on rollback, and verify() treats a gap as
    # a deleted entry. Being the primary key, two appenders that both read the same tail collide here
    # instead of forking the chain.
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # No foreign keys: entries must outlive the clients and organizations they name, and principals
    # from trusted external issuers have no oauth_clients row.
    client_id: str = Field(max_length=200)
    organization_id: str = Field(max_length=32)
    object_type: str = Field(max_length=64)
    object_id: str = Field(max_length=64, description="the Hub row id of the disclosed object")
    item: str = Field(max_length=200, description='field or image variant, e.g. "importer.name", "images:UNREDACTED"')
    rule_ids: str = Field(sa_column=Column(String, nullable=False), description="comma-separated policy ids")
    policy_version: str = Field(max_length=64)
    # Plain text, not a database enum: a new channel then needs no ALTER TYPE on PostgreSQL.
    channel: str = Field(sa_column=Column(String(16), nullable=False), description="a DisclosureChannel value")
    request_id: str | None = Field(default=None, max_length=64)
    prev_hash: str = Field(max_length=64, description="hex sha256 of the previous entry; 64 zeros for the first")
    hash: str = Field(max_length=64, description="hex sha256(prev_hash + canonical form of this entry)")
