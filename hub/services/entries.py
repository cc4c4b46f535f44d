"""Recording entries and their lines (FACTS §4, §5): validation shared by GraphQL and the bulk import.

``Lookups`` caches what validation reads (importers by IOR number, filers, cases and rates, bonds) for one
request or one import run, so a 100,000-line file does not ask the database once per row for the same case.
Every check raises InvalidInput/NotFound/Conflict with a stable code before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.adcvd_tables import AdcvdCase, AdcvdCompanyRate, Entry, EntryLine
from hub.db.bond_tables import Bond
from hub.db.tables import Organization, new_id
from hub.domain import adcvd
from hub.domain.bonds import parse_money
from hub.domain.identifiers import normalize_entry_number, parse_ior_number, validate_filer_code, validate_port_code
from hub.errors import Conflict, InvalidInput, NotFound
from hub.events.outbox import ENTRY_EVENTS, emit
from hub.services.bonds import NewSecuredEntry, secure_entry


@dataclass(frozen=True)
class NewLine:
    line_number: int
    hts_number: str
    country_of_origin: str
    entered_value: str
    adcvd_case_number: str | None = None
    manufacturer: str | None = None


@dataclass(frozen=True)
class NewEntry:
    entry_number: str
    entry_type: str
    importer_ior: str
    filer_code: str
    port_code: str
    entry_date: date
    lines: tuple[NewLine, ...]
    liquidation_date: date | None = None
    bond_number: str | None = None
    suspension_lifted_on: date | None = None
    reimbursement_certificate_on_file: bool = False


@dataclass
class LineRow:
    """An entry line's column values. Plain data, not a SQLModel: the bulk import builds 100,000 of these, and
    a model instance costs ~10x more to make (validation, instrumentation) than the line is worth there."""

    entry_id: str
    line_number: int
    hts_number: str
    country_of_origin: str
    entered_value: Decimal
    manufacturer: str | None = None
    case_id: str | None = None
    case_number: str | None = None
    company_suffix: str | None = None
    deposit_rate: Decimal | None = None
    deposit_amount: Decimal | None = None
    id: str = field(default_factory=new_id)

    def values(self) -> dict[str, Any]:
        # A shallow copy: dataclasses.asdict deep-copies every Decimal and date, which was a third of an import.
        return dict(vars(self))

    def model(self) -> EntryLine:
        return EntryLine(**self.values())


@dataclass
class EntryRow:
    """An entry header's column values (see LineRow for why not a model)."""

    number: str
    entry_type: str
    importer_org_id: str
    importer_ior: str
    filer_code: str
    filer_org_id: str | None
    port_code: str
    entry_date: date
    liquidation_date: date | None
    liquidation_status: str
    suspension_lifted_on: date | None
    reimbursement_certificate_on_file: bool
    bond_id: str | None
    recorded_by_org_id: str
    recorded_by_client: str
    recorded_at: datetime
    source: str
    id: str = field(default_factory=new_id)

    def values(self) -> dict[str, Any]:
        return dict(vars(self))

    def model(self) -> Entry:
        return Entry(**self.values())


@dataclass
class PreparedEntry:
    entry: EntryRow
    lines: list[LineRow]
    bond: Bond | None
    importer: Organization
    bond_surety_code: str | None = None  # set when the bulk import checks the bond (R-BOND-05)

    @property
    def adcvd_bonded(self) -> bool:
        return any(ln.case_id for ln in self.lines)

    @property
    def deposits(self) -> Decimal:
        return sum((ln.deposit_amount or Decimal(0) for ln in self.lines), Decimal("0.00"))


@dataclass
class Lookups:
    """Per-request (or per-import) caches of what validation reads."""

    session: AsyncSession
    importers: dict[str, Organization | None] = field(default_factory=dict)
    filers: dict[str, Organization | None] = field(default_factory=dict)
    cases: dict[str, AdcvdCase | None] = field(default_factory=dict)
    rates: dict[str, list[AdcvdCompanyRate]] = field(default_factory=dict)
    bonds: dict[str, Bond | None] = field(default_factory=dict)

    async def importer(self, ior: str) -> Organization:
        number = parse_ior_number(ior).value
        if number not in self.importers:
            self.importers[number] = (await self.session.exec(
                select(Organization).where(col(Organization.ior_number) == number))).first()
        found = self.importers[number]
        if found is None:
            raise NotFound("no importer of record has this IOR number in the Hub", code="UNKNOWN_IMPORTER")
        return found

    async def filer(self, code: str) -> Organization | None:
        """The organization with this filer code, if the Hub knows it (a filer need not be a Hub member)."""
        if code not in self.filers:
            self.filers[code] = (await self.session.exec(
                select(Organization).where(col(Organization.filer_code) == code))).first()
        return self.filers[code]

    async def preload_cases(self) -> None:
        """Every case and rate in two queries: a bulk import names hundreds of cases, each many times."""
        for c in (await self.session.exec(select(AdcvdCase))).all():
            self.cases[c.number] = c
            self.rates[c.id] = []
        for r in (await self.session.exec(select(AdcvdCompanyRate).order_by(
                col(AdcvdCompanyRate.effective_from)))).all():
            self.rates.setdefault(r.case_id, []).append(r)

    async def case(self, number: str) -> AdcvdCase:
        if number not in self.cases:
            self.cases[number] = (await self.session.exec(
                select(AdcvdCase).where(col(AdcvdCase.number) == number))).first()
        found = self.cases[number]
        if found is None:
            raise NotFound(f"no AD/CVD case {number} in the Hub", code="UNKNOWN_CASE")
        return found

    async def rate(self, case: AdcvdCase, suffix: str | None, on: date) -> Decimal | None:
        """The cash deposit rate in effect on the date of entry (19 CFR 351.212(c)), company-specific first."""
        if case.id not in self.rates:
            self.rates[case.id] = list((await self.session.exec(
                select(AdcvdCompanyRate).where(col(AdcvdCompanyRate.case_id) == case.id)
                .order_by(col(AdcvdCompanyRate.effective_from)))).all())
        in_effect = [r for r in self.rates[case.id] if r.effective_from <= on]
        for wanted in (suffix, "000"):  # 000: the all-others rate (HQ 229420's A-428-825-000)
            matching = [r for r in in_effect if r.company_suffix == wanted]
            if matching:
                return matching[-1].rate_percent
        return None

    async def bond(self, number: str) -> Bond:
        key = number.strip().upper()
        if key not in self.bonds:
            self.bonds[key] = (await self.session.exec(select(Bond).where(col(Bond.number) == key))).first()
        found = self.bonds[key]
        if found is None:
            raise NotFound("no bond with this number in the Hub", code="UNKNOWN_BOND")
        return found


async def prepare_line(spec: NewLine, entry_date: date, lookups: Lookups) -> LineRow:
    if spec.line_number < 1 or spec.line_number > 999:
        raise InvalidInput("a line number is 1 to 999", code="INVALID_LINE_NUMBER")
    origin = spec.country_of_origin.strip().upper()
    if len(origin) != 2 or not origin.isalpha() or not origin.isascii():
        raise InvalidInput("country of origin is an ISO 3166 alpha-2 code", code="INVALID_COUNTRY")
    line = LineRow(entry_id="", line_number=spec.line_number, hts_number=adcvd.normalize_hts(spec.hts_number),
                     country_of_origin=origin, entered_value=parse_money(spec.entered_value, "enteredValue"),
                     manufacturer=(spec.manufacturer or "").strip() or None)
    if spec.adcvd_case_number and spec.adcvd_case_number.strip():
        declared = adcvd.parse_line_case(spec.adcvd_case_number)
        case = await lookups.case(str(declared.case))
        line.case_id, line.case_number, line.company_suffix = case.id, case.number, declared.company_suffix
        line.deposit_rate = await lookups.rate(case, declared.company_suffix, entry_date)
        if line.deposit_rate is not None:
            line.deposit_amount = adcvd.cash_deposit(line.entered_value, line.deposit_rate)
    return line


async def prepare_entry(spec: NewEntry, lookups: Lookups, recorded_by_org_id: str, client_id: str,
                        now: datetime, source: str = "GRAPHQL") -> PreparedEntry:
    """Validate everything and build the rows; nothing touches the session's pending state."""
    number = normalize_entry_number(spec.entry_number)
    entry_type = adcvd.validate_entry_type(spec.entry_type)
    filer_code = validate_filer_code(spec.filer_code)
    if number[:3] != filer_code:
        # FACTS §5: the entry number begins with the filer's own code.
        raise InvalidInput("the entry number does not begin with the filer code", code="FILER_CODE_MISMATCH")
    port = validate_port_code(spec.port_code)
    importer = await lookups.importer(spec.importer_ior)
    if spec.liquidation_date is not None and spec.liquidation_date < spec.entry_date:
        raise InvalidInput("liquidation cannot precede the entry date", code="LIQUIDATION_BEFORE_ENTRY")
    if not spec.lines:
        raise InvalidInput("an entry has at least one line", code="NO_LINES")
    numbers = [ln.line_number for ln in spec.lines]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput("line numbers repeat within the entry", code="DUPLICATE_LINE")
    lines = [await prepare_line(ln, spec.entry_date, lookups) for ln in spec.lines]
    bond = await lookups.bond(spec.bond_number) if spec.bond_number and spec.bond_number.strip() else None
    if bond is not None and bond.principal_org_id != importer.id:
        # § 113.62: a bond secures its principal's entries.
        raise InvalidInput("the bond's principal is not the importer of record", code="BOND_PRINCIPAL_MISMATCH")
    filer = await lookups.filer(filer_code)
    entry = EntryRow(number=number, entry_type=entry_type, importer_org_id=importer.id,
                  importer_ior=importer.ior_number or "", filer_code=filer_code,
                  filer_org_id=filer.id if filer else None, port_code=port, entry_date=spec.entry_date,
                  liquidation_date=spec.liquidation_date,
                  liquidation_status="LIQUIDATED" if spec.liquidation_date else "UNLIQUIDATED",
                  suspension_lifted_on=spec.suspension_lifted_on,
                  reimbursement_certificate_on_file=spec.reimbursement_certificate_on_file,
                  bond_id=bond.id if bond else None, recorded_by_org_id=recorded_by_org_id,
                  recorded_by_client=client_id, recorded_at=now, source=source)
    for line in lines:
        line.entry_id = entry.id
    return PreparedEntry(entry, lines, bond, importer)


async def existing_numbers(session: AsyncSession, numbers: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(numbers), 500):
        rows = await session.exec(select(Entry.number).where(col(Entry.number).in_(numbers[i:i + 500])))
        found |= set(rows.all())
    return found


async def ensure_new(session: AsyncSession, number: str) -> None:
    # FACTS §5: "duplicate entry numbers are a fatal rejection".
    if await existing_numbers(session, [number]):
        raise Conflict(f"entry {number} is already recorded", code="DUPLICATE_ENTRY")


async def record_entry(session: AsyncSession, spec: NewEntry, recorded_by_org_id: str, client_id: str,
                       now: datetime) -> Entry:
    """Validate and write one entry with its lines, secure it on its bond, and emit its event: all or nothing."""
    prepared = await prepare_entry(spec, Lookups(session), recorded_by_org_id, client_id, now)
    await ensure_new(session, prepared.entry.number)
    entry = prepared.entry.model()
    session.add(entry)
    await session.flush()  # the entry before its lines (foreign key)
    session.add_all([ln.model() for ln in prepared.lines])
    if prepared.bond is not None:
        # The bond's own rules apply (R-BOND-03: an insufficient bond secures no new entry), and the surety's
        # exposure view counts the entry's open AD/CVD deposits until liquidation.
        open_adcvd = prepared.deposits if prepared.entry.liquidation_date is None else Decimal("0.00")
        await secure_entry(session, prepared.bond.id, NewSecuredEntry(
            entry_number=prepared.entry.number, entry_date=prepared.entry.entry_date,
            entered_value=str(sum((ln.entered_value for ln in prepared.lines), Decimal("0.00"))), dtf="0.00",
            adcvd_bonded=any(ln.case_id for ln in prepared.lines), adcvd_open=str(open_adcvd)), now, client_id)
    await emit(session, ENTRY_EVENTS["RECORDED"], "Entry", prepared.entry.id, now, now)
    await session.flush()
    return entry
