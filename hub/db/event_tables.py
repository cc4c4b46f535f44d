"""The transactional outbox and the webhook tables (issue: events).

An event row is written in the same transaction as the state change it reports, so an event exists
if and only if the change committed. What a subscriber receives is decided at delivery time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.db.tables import new_id, utc_column, utc_column_nullable


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_events"
    __table_args__ = (
        # Time-driven events carry a key naming the clock and its due instant: a second scan, or a
        # scan after a restart, cannot produce the same event twice.
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe"),
        Index("ix_outbox_fanout", "fanned_out", "seq"),
    )

    # The commit order of events, for fan-out in order (SQLite autoincrements only an INTEGER key).
    seq: int | None = Field(default=None, sa_column=Column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True))
    id: str = Field(default_factory=new_id, max_length=32, unique=True)
    type: str = Field(max_length=64)
    object_type: str = Field(max_length=32)
    object_id: str = Field(max_length=32)
    occurred_at: datetime = Field(sa_column=utc_column())
    recorded_at: datetime = Field(sa_column=utc_column())
    dedupe_key: str | None = Field(default=None, max_length=200)
    # What within the object the event is about, where its type alone does not say: the missed
    # deadline's kind for detention.deadline_missed, the notice's id for bond.insufficient.
    detail: str | None = Field(default=None, max_length=64)
    fanned_out: bool = False


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    organization_id: str = Field(foreign_key="organizations.id", max_length=32, index=True)
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Deliveries are decided for the roles of the client that registered the endpoint, so a webhook
    # never carries more than that client could read through GraphQL.
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=64)
    # The signing secret, encrypted at rest (hub.events.secrets); shown to the caller once.
    secret_ciphertext: str = Field(max_length=500)
    created_at: datetime = Field(sa_column=utc_column())
    disabled_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint. Its id is the ``webhook-id``: the same on every retry."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_delivery_endpoint_event"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    endpoint_id: str = Field(foreign_key="webhook_endpoints.id", max_length=32, index=True)
    event_id: str = Field(max_length=32)
    status: str = Field(default="PENDING", max_length=16)  # PENDING RETRYING DELIVERED DEAD SKIPPED
    attempts: int = 0
    created_at: datetime = Field(sa_column=utc_column())
    next_attempt_at: datetime = Field(sa_column=utc_column())
    lease_owner: str | None = Field(default=None, max_length=64)
    leased_until: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    last_attempt_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    attempts_log: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
