"""Tables for forced labor (19 U.S.C. 1307; 19 CFR 12.42-12.45; UFLPA; FACTS §6, §10.4).

The public list (orders and their status history) is loaded by ``hub import wro``. Detentions keep event times, never
a stored stage: the stage is computed with one ``now`` (hub/domain/forced_labor.py). Three derived columns are
written with the event that fixes them so that metrics group in SQL: ``outcome`` (the recorded disposition),
``resolved_on``/``resolution_days`` (the first disposition) and ``window_ends_on`` (the proof window, § 12.43(a), or
the UFLPA 30 days); UFLPA deemed exclusion is time-driven and is computed in the metrics query from
``deemed_excluded_at``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.db.money import Money
from hub.db.tables import new_id, utc_column, utc_column_nullable


class ForcedLaborOrder(SQLModel, table=True):
    """A WRO or Finding on CBP's public list (R-FL-01): readable by everyone, also without a token."""

    __tablename__ = "fl_orders"
    __table_args__ = (
        UniqueConstraint("key", name="uq_fl_order_key"),
        Index("ix_fl_order_effective", "effective_on", "id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    key: str = Field(max_length=16, description="stable import key (hub.domain.forced_labor_orders.order_key)")
    order_type: str = Field(max_length=8, description="WRO | FINDING")
    effective_on: date
    date_precision: str = Field(max_length=8, description="day | month")
    country: str = Field(max_length=80)
    scope: str = Field(max_length=1000, description="entity or merchandise, as in the source")
    entity: str | None = Field(default=None, max_length=1000)
    merchandise: str | None = Field(default=None, max_length=1000)
    industry: str = Field(max_length=120)
    status: str = Field(max_length=8, description="ACTIVE | MODIFIED | REVOKED")
    status_in_source: str = Field(max_length=200)
    status_verified: bool = True
    status_note: str = Field(default="", max_length=2000)
    source_ref: str = Field(max_length=16)
    citation: str = Field(max_length=300)
    data_quality_flag: bool = False
    names: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    imported_at: datetime = Field(sa_column=utc_column())


class ForcedLaborOrderStatus(SQLModel, table=True):
    """One status of an order from a date (issued ACTIVE; later MODIFIED or REVOKED)."""

    __tablename__ = "fl_order_status_history"
    __table_args__ = (UniqueConstraint("order_id", "status", name="uq_fl_order_status"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    order_id: str = Field(foreign_key="fl_orders.id", max_length=32)
    status: str = Field(max_length=8)
    effective_on: date | None = None
    note: str = Field(default="", max_length=300)


class ForcedLaborDetention(SQLModel, table=True):
    """A shipment detained under a WRO, a Finding or UFLPA (R-FL-02), linked to its order and to its entry."""

    __tablename__ = "fl_detentions"
    __table_args__ = (
        UniqueConstraint("case_number", name="uq_fl_detention_case"),
        # Keyset pages (newest first) for CBP and for one importer; metrics group by order and detention day.
        Index("ix_fl_detention_page", "presented_at", "id"),
        Index("ix_fl_detention_importer", "importer_org_id", "presented_at"),
        Index("ix_fl_detention_order", "order_id", "detained_on"),
        # Metrics: the detentions whose UFLPA deemed exclusion is still ahead of ``now`` (outcome IS NULL).
        Index("ix_fl_detention_deemed", "outcome", "deemed_excluded_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    case_number: str = Field(max_length=24)
    authority: str = Field(max_length=8, description="WRO | FINDING | UFLPA")
    order_id: str | None = Field(default=None, foreign_key="fl_orders.id", max_length=32)
    entry_number: str = Field(max_length=13, description="R-ID-01 entry number, normalized")
    importer_org_id: str = Field(foreign_key="organizations.id", max_length=32)
    port_code: str = Field(max_length=4)
    description: str = Field(max_length=500)
    value: Decimal = Field(sa_column=Column(Money(), nullable=False))  # exact on SQLite too (hub/db/money.py)
    imported_on: date
    presented_at: datetime = Field(sa_column=utc_column())
    detained_on: date
    window_ends_on: date
    deemed_excluded_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    released_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    exclusion_noticed_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    protested_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    exported_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    seized_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    outcome: str | None = Field(default=None, max_length=10)
    resolved_on: date | None = None
    resolution_days: int | None = None
    decision_note: str | None = Field(default=None, max_length=2000)
    recorded_at: datetime = Field(sa_column=utc_column())
    recorded_by_client: str = Field(max_length=64)
    version: int = 1


class ForcedLaborDocument(SQLModel, table=True):
    """A document of an admissibility submission (§ 12.43(a)), stored content-addressed in the object store."""

    __tablename__ = "fl_documents"
    __table_args__ = (Index("ix_fl_document_detention", "detention_id", "submitted_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    detention_id: str = Field(foreign_key="fl_detentions.id", max_length=32)
    kind: str = Field(max_length=32, description="CERTIFICATE_OF_ORIGIN | ULTIMATE_CONSIGNEE_STATEMENT | "
                                                 "SUPPLY_CHAIN_TRACING")
    object_key: str = Field(max_length=200)
    digest: str = Field(max_length=64)
    content_type: str = Field(max_length=64)
    size: int
    filename: str = Field(max_length=200)
    submitted_at: datetime = Field(sa_column=utc_column())
    submitted_by_org_id: str = Field(foreign_key="organizations.id", max_length=32)
    submitted_by_client: str = Field(max_length=64)


class ForcedLaborSupplier(SQLModel, table=True):
    """One supplier of the structured supply chain (tier 1 = the seller's supplier, ...), with its match, if any."""

    __tablename__ = "fl_suppliers"
    __table_args__ = (Index("ix_fl_supplier_detention", "detention_id", "tier"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    detention_id: str = Field(foreign_key="fl_detentions.id", max_length=32)
    tier: int
    entity: str = Field(max_length=300)
    country: str = Field(max_length=80)
    role: str = Field(max_length=80)
    matched_order_id: str | None = Field(default=None, foreign_key="fl_orders.id", max_length=32)
    submitted_at: datetime = Field(sa_column=utc_column())


class ForcedLaborAllegation(SQLModel, table=True):
    """An outside party's allegation (§ 12.42(b)-(d); R-FL-04): conforming ones are forwarded within 10 days."""

    __tablename__ = "fl_allegations"
    __table_args__ = (Index("ix_fl_allegation_submitter", "submitter_org_id", "received_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    submitter_org_id: str = Field(foreign_key="organizations.id", max_length=32)
    submitter_client: str = Field(max_length=64)
    received_at: datetime = Field(sa_column=utc_column())
    merchandise: str = Field(max_length=10_000)
    country: str = Field(default="", max_length=10_000)
    reasons: str = Field(default="", max_length=10_000)
    description: str = Field(default="", max_length=10_000)
    sample_provided: bool = False
    production_facts: str = Field(default="", max_length=10_000)
    status: str = Field(max_length=12, description="RETURNED | CONFORMING | FORWARDED")
    deficiencies: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    deficiency_letter: str | None = Field(default=None, max_length=4000)
    forward_due_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())
    forwarded_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())


class ForcedLaborMetricCell(SQLModel, table=True):
    """One metrics cell (per period kind, period and order; ``order_key`` '' is UFLPA without an order), kept in the
    transaction of every detention write (hub/services/forced_labor_metrics.py ``refresh_cells``) and rebuildable
    from scratch (``rebuild_cells``). Stored as if every pending UFLPA detention were already deemed excluded; the
    metrics query recomputes live the few cells where that is not yet so at its ``now``."""

    __tablename__ = "fl_metric_cells"

    period_kind: str = Field(primary_key=True, max_length=8, description="MONTH | QUARTER | YEAR")
    period: str = Field(primary_key=True, max_length=8, description="2024-03 | 2024-Q1 | 2024")
    order_key: str = Field(primary_key=True, max_length=32, description="fl_orders.id, or '' for UFLPA")
    shipments: int
    importers: int
    value_cents: int = Field(sa_column=Column(BigInteger(), nullable=False))
    released: int
    exported: int
    excluded: int
    seized: int
    pending: int
    resolved: int
    resolved_within_window: int
    median_days_halves: int | None = None  # twice the median (a median of whole days is exact in halves)
    # The largest single importer's detentions and value in the cell: the public dominance rule (migration 0011).
    top_importer_shipments: int = 0
    top_importer_value_cents: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
