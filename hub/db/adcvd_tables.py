"""Tables for AD/CVD (FACTS §4, §5): orders (cases), company cash-deposit rates, entries and their lines.

Findings are not stored: the checks (hub/domain/adcvd_checks.py) run over an entry at the request's ``now``,
so a deadline passing or a liquidation being recorded changes them without anything writing to them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.db.money import Money, Rate
from hub.db.tables import new_id, utc_column


def _money(nullable: bool = False) -> Column[Decimal]:
    return Column(Money(), nullable=nullable)


def _rate(nullable: bool = False) -> Column[Decimal]:
    return Column(Rate(), nullable=nullable)


class AdcvdCase(SQLModel, table=True):
    """An AD/CVD order, or a third-country case number Commerce tied to one (CSMS 18-000421)."""

    __tablename__ = "adcvd_cases"
    __table_args__ = (
        UniqueConstraint("number", name="uq_adcvd_case_number"),
        Index("ix_adcvd_case_country", "country_code", "number"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    number: str = Field(max_length=9, description="A-CCC-NNN / C-CCC-NNN (R-AD-01)")
    kind: str = Field(max_length=3, description="AD | CVD, from the case number's prefix")
    country_code: str = Field(max_length=3, description="Commerce country code, from the case number")
    country: str = Field(max_length=80, description="the country as the source names it")
    product: str = Field(max_length=300)
    product_group: str | None = Field(default=None, max_length=16)
    order_date: date | None = None
    continuation_date: date | None = None
    itc_investigation: str | None = Field(default=None, max_length=16)
    fr_citation: str | None = Field(default=None, max_length=64)
    fr_link: str | None = Field(default=None, max_length=300)
    active_in_source: bool = True
    # Source errors are kept and shown, never fixed silently (SOURCES.md S-ADCVD-1).
    data_quality_note: str | None = Field(default=None, max_length=300)
    hts_scope: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    companion_number: str | None = Field(default=None, max_length=9)
    # A third-country case: the order it belongs to (its country code is the CBP origin, FACTS §4).
    third_country_of_id: str | None = Field(default=None, foreign_key="adcvd_cases.id", max_length=32)
    source: str = Field(max_length=32, description="ITC_ORDERS | CSMS_18_000421 | HUB (recorded here)")
    imported_at: datetime = Field(sa_column=utc_column())


class AdcvdCompanyRate(SQLModel, table=True):
    """A company-specific ACE case number (``[AC]CCCNNNSSS``) and its cash deposit rate from a date."""

    __tablename__ = "adcvd_company_rates"
    __table_args__ = (UniqueConstraint("case_id", "company_suffix", "effective_from", name="uq_adcvd_rate"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    case_id: str = Field(foreign_key="adcvd_cases.id", max_length=32, index=True)
    company_suffix: str = Field(max_length=3)
    company_name: str = Field(max_length=200)
    rate_percent: Decimal = Field(sa_column=_rate())
    effective_from: date
    basis: str | None = Field(default=None, max_length=200, description="e.g. the FR notice setting the rate")


class Entry(SQLModel, table=True):
    """An entry summary's header (CBP Form 7501): who, where, when, liquidation, bond."""

    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("number", name="uq_entry_number"),
        Index("ix_entry_importer_number", "importer_org_id", "number"),
        Index("ix_entry_filer_number", "filer_org_id", "number"),
        Index("ix_entry_bond", "bond_id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    number: str = Field(max_length=13, description="R-ID-01, normalized XXX-NNNNNNN-C")
    entry_type: str = Field(max_length=2)
    importer_org_id: str = Field(foreign_key="organizations.id", max_length=32)
    importer_ior: str = Field(max_length=20, description="the IOR number as filed (R-ID-02; masked on read)")
    filer_code: str = Field(max_length=3)
    filer_org_id: str | None = Field(default=None, foreign_key="organizations.id", max_length=32)
    port_code: str = Field(max_length=4)
    entry_date: date
    liquidation_date: date | None = None
    liquidation_status: str = Field(default="UNLIQUIDATED", max_length=16,
                                    description="UNLIQUIDATED | SUSPENDED | LIQUIDATED")
    suspension_lifted_on: date | None = Field(default=None, description="notice removing the suspension")
    reimbursement_certificate_on_file: bool = False
    bond_id: str | None = Field(default=None, foreign_key="bonds.id", max_length=32)
    recorded_by_org_id: str = Field(foreign_key="organizations.id", max_length=32)
    recorded_by_client: str = Field(max_length=64)
    recorded_at: datetime = Field(sa_column=utc_column())
    source: str = Field(default="GRAPHQL", max_length=8, description="GRAPHQL | IMPORT")


class EntryLine(SQLModel, table=True):
    __tablename__ = "entry_lines"
    __table_args__ = (
        UniqueConstraint("entry_id", "line_number", name="uq_entry_line"),
        Index("ix_entry_line_case", "case_id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    entry_id: str = Field(foreign_key="entries.id", max_length=32)
    line_number: int
    hts_number: str = Field(max_length=13)
    country_of_origin: str = Field(max_length=2, description="ISO 3166 alpha-2, the CBP country of origin")
    entered_value: Decimal = Field(sa_column=_money())
    case_id: str | None = Field(default=None, foreign_key="adcvd_cases.id", max_length=32)
    case_number: str | None = Field(default=None, max_length=9)
    company_suffix: str | None = Field(default=None, max_length=3)
    deposit_rate: Decimal | None = Field(default=None, sa_column=_rate(nullable=True))
    deposit_amount: Decimal | None = Field(default=None, sa_column=_money(nullable=True))
    manufacturer: str | None = Field(default=None, max_length=200)
