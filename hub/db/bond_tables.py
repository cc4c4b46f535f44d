"""Tables for CBP bonds (19 CFR Part 113; FACTS §3): bonds, insufficiency notices, entries a bond secures.

Status is never stored: it is computed from the dates and notices with one ``now`` (hub/domain/bonds.py),
so a bond turns INSUFFICIENT 15 days after a notice without anything writing to it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.db.money import Money, Rate
from hub.db.tables import new_id, utc_column, utc_column_nullable


def _money(nullable: bool = False) -> Column[Decimal]:
    return Column(Money(), nullable=nullable)


class Bond(SQLModel, table=True):
    """A CBP bond as on CBP Form 301: principal, surety (and co-surety), activity, amount, dates, riders.

    IP owners' sample bonds (§ 113.70; R-IPR-07) are bonds too: purpose IPR_SAMPLE, the owner as principal.
    The IPR sample requests name them by number (sample_requests.bond_number).
    """

    __tablename__ = "bonds"
    __table_args__ = (
        UniqueConstraint("number", name="uq_bond_number"),
        # The surety view: a surety's bonds in number order (keyset), and as co-surety.
        Index("ix_bond_surety_number", "surety_org_id", "number"),
        Index("ix_bond_cosurety_number", "co_surety_org_id", "number"),
        Index("ix_bond_principal_activity", "principal_org_id", "activity_code"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    number: str = Field(max_length=16, description="CBP bond number (format: hub/reference/bond_guides.json)")
    type: str = Field(max_length=24, description="CONTINUOUS | SINGLE_TRANSACTION")
    purpose: str = Field(default="GENERAL", max_length=16, description="GENERAL | IPR_SAMPLE")
    activity_code: str = Field(max_length=4, description="CBP Form 301 activity code (FACTS §3)")
    principal_org_id: str = Field(foreign_key="organizations.id", max_length=32)
    principal_name: str = Field(max_length=200, description="the principal's name as on the bond")
    surety_org_id: str = Field(foreign_key="organizations.id", max_length=32)
    co_surety_org_id: str | None = Field(default=None, foreign_key="organizations.id", max_length=32)
    filed_by_org_id: str = Field(foreign_key="organizations.id", max_length=32, index=True)
    amount: Decimal = Field(sa_column=_money())
    effective_on: date
    terminates_on: date | None = None
    riders: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Sufficiency inputs (R-BOND-02, -04, -05): DTF of the previous 12 months (continuous) or of the one
    # transaction (single transaction); entered value and PGA flag (single transaction); AD/CVD supplement.
    dtf: Decimal | None = Field(default=None, sa_column=_money(nullable=True))
    entered_value: Decimal | None = Field(default=None, sa_column=_money(nullable=True))
    pga_regulated: bool = False
    adcvd_rate_percent: Decimal | None = Field(default=None, sa_column=Column(Rate(), nullable=True))
    adcvd_subject_value: Decimal | None = Field(default=None, sa_column=_money(nullable=True))
    sites: int = 1
    supersedes_bond_id: str | None = Field(default=None, foreign_key="bonds.id", max_length=32)
    filed_at: datetime = Field(sa_column=utc_column())
    filed_by_client: str = Field(max_length=64)
    version: int = 1


class BondInsufficiencyNotice(SQLModel, table=True):
    """CBP's letter of insufficiency (R-BOND-03): the bond is INSUFFICIENT 15 days later unless superseded."""

    __tablename__ = "bond_insufficiency_notices"
    __table_args__ = (Index("ix_bond_notice_bond", "bond_id", "noticed_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    bond_id: str = Field(foreign_key="bonds.id", max_length=32)
    noticed_at: datetime = Field(sa_column=utc_column())
    reason: str = Field(max_length=32)
    required_amount: Decimal | None = Field(default=None, sa_column=_money(nullable=True))
    note: str | None = Field(default=None, max_length=2000)
    recorded_at: datetime = Field(sa_column=utc_column())
    recorded_by_client: str = Field(max_length=64)
    superseded_by_bond_id: str | None = Field(default=None, foreign_key="bonds.id", max_length=32)
    superseded_at: datetime | None = Field(default=None, sa_column=utc_column_nullable())


class BondSecuredEntry(SQLModel, table=True):
    """An entry secured by a bond, with the amounts the surety answers for (minimal until the AD/CVD issue
    builds entries: it may replace this table with a foreign key from its entries)."""

    __tablename__ = "bond_secured_entries"
    __table_args__ = (
        UniqueConstraint("entry_number", name="uq_secured_entry_number"),
        Index("ix_secured_entry_bond", "bond_id", "entry_date"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    bond_id: str = Field(foreign_key="bonds.id", max_length=32)
    entry_number: str = Field(max_length=13, description="R-ID-01 entry number, normalized")
    entry_date: date
    entered_value: Decimal = Field(sa_column=_money())
    dtf: Decimal = Field(sa_column=_money())
    adcvd_bonded: bool = False
    adcvd_open: Decimal = Field(sa_column=_money(), description="AD/CVD not yet liquidated and paid")
    # R-BOND-05, T.D. 85-145: bonded AD/CVD carries the surety code (ABI 35-record positions 49-51).
    surety_code: str | None = Field(default=None, max_length=3)
    secured_at: datetime = Field(sa_column=utc_column())
    secured_by_client: str = Field(max_length=64)
