"""GraphQL types for AD/CVD cases and entries. Thin: restricted fields name their Cedar action (policies/adcvd.cedar);
amounts and rates are decimal strings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry.dataloader import DataLoader

from hub.db.adcvd_tables import AdcvdCase, AdcvdCompanyRate
from hub.db.entry_queries import Aggregate
from hub.domain import adcvd
from hub.domain.adcvd_checks import Finding
from hub.domain.identifiers import mask_ior_number
from hub.graphql.guard import guarded, public, public_value
from hub.graphql.relay import Node, to_global_id
from hub.policy.adcvd_facts import CASE
from hub.policy.facts import Subject
from hub.services.entry_views import EntryView

_PUBLISHED = "AD/CVD orders are published in the Federal Register; ReadAdcvdCase allows every party (R-AD-06-CASES)"
_WITH_ENTRY = "shown with the entry, which ReadEntry allowed (row scope entries_visible_to)"
_WITH_FINDING = "part of a finding, which ReadEntryFindings allowed"
_AGGREGATE = "an aggregate naming no importer, which ReadCaseAggregates allowed"


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


@strawberry.type
class CompanyRate:
    """A company-specific ACE case number and the cash deposit rate in effect from a date."""

    ace_number: str = public_value(_PUBLISHED, description="[AC]CCCNNNSSS, e.g. C570068001.")
    company_suffix: str = public_value(_PUBLISHED)
    company_name: str = public_value(_PUBLISHED)
    rate_percent: str = public_value(_PUBLISHED)
    effective_from: date = public_value(_PUBLISHED)
    basis: str | None = public_value(_PUBLISHED)


def rate_type(case: AdcvdCase, r: AdcvdCompanyRate) -> CompanyRate:
    return CompanyRate(ace_number=f"{case.number.replace('-', '')}{r.company_suffix}", company_suffix=r.company_suffix,
                       company_name=r.company_name, rate_percent=f"{r.rate_percent:.4f}",
                       effective_from=r.effective_from, basis=r.basis)


AggregatesLoader = DataLoader[str, list[Aggregate]]


@strawberry.type
class CaseAggregateRow:
    country_of_origin: str = public_value(_AGGREGATE)
    company_suffix: str | None = public_value(_AGGREGATE)
    entries: int = public_value(_AGGREGATE)
    lines: int = public_value(_AGGREGATE)
    entered_value: str = public_value(_AGGREGATE)
    deposits: str = public_value(_AGGREGATE)


@strawberry.type(name="AdcvdCase")
class AdcvdCaseNode(Node):
    """An AD/CVD order, or a third-country case number linked to one (CSMS 18-000421)."""

    id: strawberry.ID = public_value(_PUBLISHED)
    row: strawberry.Private[AdcvdCase]
    rates: strawberry.Private[list[AdcvdCompanyRate]]
    order_number: strawberry.Private[str | None]
    # Shared by a page's nodes: their aggregates cost one grouped query, whatever the page size.
    aggregates_loader: strawberry.Private[AggregatesLoader]
    subject: strawberry.Private[Subject] = CASE

    @public(_PUBLISHED, description="A-CCC-NNN / C-CCC-NNN (R-AD-01).")
    def number(self) -> str:
        return self.row.number

    @public(_PUBLISHED, description="AD | CVD.")
    def kind(self) -> str:
        return self.row.kind

    @public(_PUBLISHED, description="Commerce country code (from the case number).")
    def country_code(self) -> str:
        return self.row.country_code

    @public(_PUBLISHED, description="The country as the source names it (kept even where the source errs).")
    def country(self) -> str:
        return self.row.country

    @public(_PUBLISHED, description="ISO country of the Commerce country code, from the Hub's table; null if unknown.")
    def country_of_code(self) -> str | None:
        return adcvd.country_iso(self.row.country_code)

    @public(_PUBLISHED)
    def product(self) -> str:
        return self.row.product

    @public(_PUBLISHED)
    def order_date(self) -> date | None:
        return self.row.order_date

    @public(_PUBLISHED, description="HTS numbers listed with the scope (for convenience; the written scope governs).")
    def hts_scope(self) -> list[str]:
        return list(self.row.hts_scope)

    @public(_PUBLISHED, description="The AD (or CVD) companion on the same product and country.")
    def companion_number(self) -> str | None:
        return self.row.companion_number

    @public(_PUBLISHED, description="For a third-country case: the order it belongs to.")
    def third_country_of(self) -> str | None:
        return self.order_number

    @public(_PUBLISHED)
    def active_in_source(self) -> bool:
        return self.row.active_in_source

    @public(_PUBLISHED, description="The source's own data-quality flag, shown rather than silently fixed.")
    def data_quality_note(self) -> str | None:
        return self.row.data_quality_note

    @public(_PUBLISHED)
    def fr_citation(self) -> str | None:
        return self.row.fr_citation

    @public(_PUBLISHED, description="Company-specific case numbers and their cash deposit rates over time.")
    def company_rates(self) -> list[CompanyRate]:
        return [rate_type(self.row, r) for r in self.rates]

    @guarded("ReadCaseAggregates", empty=None, description=(
        "Entries, value and deposits by country of origin and company; CBP and Commerce only (R-AD-06)."))
    async def aggregates(self) -> list[CaseAggregateRow] | None:
        rows = await self.aggregates_loader.load(self.row.id)
        return [CaseAggregateRow(country_of_origin=a.country_of_origin, company_suffix=a.company_suffix,
                                 entries=a.entries, lines=a.lines, entered_value=f"{a.entered_value:.2f}",
                                 deposits=f"{a.deposits:.2f}") for a in rows]


def case_node(row: AdcvdCase, rates: list[AdcvdCompanyRate], order_number: str | None,
              aggregates: AggregatesLoader) -> AdcvdCaseNode:
    return AdcvdCaseNode(id=strawberry.ID(to_global_id("AdcvdCase", row.id)), row=row, rates=rates,
                         order_number=order_number, aggregates_loader=aggregates)


@strawberry.type
class EntryFinding:
    """One check's result on the entry (R-AD-02 ... R-AD-05): rule, code, message, deadline, amount."""

    rule_id: str = public_value(_WITH_FINDING)
    code: str = public_value(_WITH_FINDING)
    message: str = public_value(_WITH_FINDING)
    line_number: int | None = public_value(_WITH_FINDING)
    due_on: date | None = public_value(_WITH_FINDING)
    amount: str | None = public_value(_WITH_FINDING, description="Cash deposit owed or projected extra duty.")


def finding_type(f: Finding) -> EntryFinding:
    return EntryFinding(rule_id=f.rule_id, code=f.code, message=f.message, line_number=f.line_number,
                        due_on=f.due_on, amount=_money(f.amount))


@strawberry.type
class EntryLineType:
    line_number: int = public_value(_WITH_ENTRY)
    hts_number: str = public_value(_WITH_ENTRY)
    country_of_origin: str = public_value(_WITH_ENTRY)
    entered_value: str = public_value(_WITH_ENTRY)
    case_number: str | None = public_value(_WITH_ENTRY)
    company_suffix: str | None = public_value(_WITH_ENTRY)
    deposit_rate: str | None = public_value(_WITH_ENTRY, description="Percent, in effect on the date of entry.")
    deposit_amount: str | None = public_value(_WITH_ENTRY)


@strawberry.type
class EntryImporter:
    id: strawberry.ID = public_value("shown with importer, which ReadEntryParties allowed")
    name: str = public_value("shown with importer, which ReadEntryParties allowed")
    ior_number: str = public_value("masked unless the viewer is CBP or the importer itself (R-ID-02)")


@strawberry.type(name="Entry")
class EntryNode(Node):
    id: strawberry.ID = public_value(_WITH_ENTRY)
    view: strawberry.Private[EntryView]
    importer_name: strawberry.Private[str]
    unmasked_ior: strawberry.Private[bool]

    @property
    def subject(self) -> Subject:
        return self.view.subject

    @public(_WITH_ENTRY, description="XXX-NNNNNNN-C (R-ID-01).")
    def number(self) -> str:
        return self.view.row.number

    @public(_WITH_ENTRY, description="01 consumption, 03 consumption AD/CVD, ... (FACTS §4).")
    def entry_type(self) -> str:
        return self.view.row.entry_type

    @public(_WITH_ENTRY)
    def filer_code(self) -> str:
        return self.view.row.filer_code

    @public(_WITH_ENTRY)
    def port_code(self) -> str:
        return self.view.row.port_code

    @public(_WITH_ENTRY)
    def entry_date(self) -> date:
        return self.view.row.entry_date

    @public(_WITH_ENTRY)
    def liquidation_date(self) -> date | None:
        return self.view.row.liquidation_date

    @public(_WITH_ENTRY, description="UNLIQUIDATED | LIQUIDATED.")
    def liquidation_status(self) -> str:
        return self.view.row.liquidation_status

    @public(_WITH_ENTRY)
    def bond_number(self) -> str | None:
        return self.view.bond_number

    @public(_WITH_ENTRY)
    def lines(self) -> list[EntryLineType]:
        return [EntryLineType(line_number=ln.line_number, hts_number=ln.hts_number,
                              country_of_origin=ln.country_of_origin, entered_value=f"{ln.entered_value:.2f}",
                              case_number=ln.case_number, company_suffix=ln.company_suffix,
                              deposit_rate=None if ln.deposit_rate is None else f"{ln.deposit_rate:.4f}",
                              deposit_amount=_money(ln.deposit_amount)) for ln in self.view.lines]

    @guarded("ReadEntryExposure", description="Entered value of all lines.")
    def entered_value(self) -> str | None:
        return f"{self.view.entered_value:.2f}"

    @guarded("ReadEntryExposure", description="AD/CVD cash deposits of all lines; open until liquidation.")
    def adcvd_deposits(self) -> str | None:
        return f"{self.view.deposits:.2f}"

    @guarded("ReadEntryParties", audit=True, description="The importer of record (R-AD-06).")
    def importer(self) -> EntryImporter | None:
        row = self.view.row
        ior = row.importer_ior if self.unmasked_ior else mask_ior_number(row.importer_ior)
        return EntryImporter(id=strawberry.ID(to_global_id("Organization", row.importer_org_id)),
                             name=self.importer_name, ior_number=ior)

    @guarded("ReadEntryFindings", empty=[], description="Findings of the AD/CVD checks at the request's now.")
    def findings(self) -> list[EntryFinding]:
        return [finding_type(f) for f in self.view.findings]


# What an entry event carries to a subscriber (hub/events/payload.py; rendered through the same guards).
ENTRY_EVENT_SELECTION = """query EventEntry($id: ID!) { node(id: $id) { ... on Entry {
  id number entryType filerCode portCode entryDate liquidationDate liquidationStatus bondNumber
  enteredValue adcvdDeposits importer { id name iorNumber }
  lines { lineNumber htsNumber countryOfOrigin enteredValue caseNumber companySuffix depositRate depositAmount }
  findings { ruleId code message lineNumber dueOn amount } } } }"""
