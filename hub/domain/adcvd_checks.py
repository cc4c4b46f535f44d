"""The checks CBP asked importers to run on AD/CVD entries, as findings (FACTS §4, §10.3: R-AD-02 ... R-AD-05).

Pure: an entry, the cases it names (and the third-country cases that exist), and ``today`` in; findings out.
Each finding carries the rule id, a stable code, a message for people and, where the regulation sets one, a
deadline and an amount. Nothing is stored: a liquidation recorded, or a deadline passing, changes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from hub.domain.adcvd import ChecksConfig, cash_deposit, hts_in_scope


@dataclass(frozen=True)
class CaseFacts:
    number: str  # A-CCC-NNN
    country_iso: str | None  # of the case's Commerce country code; None when the Hub's table lacks it
    companion_number: str | None = None
    third_country_of: str | None = None  # the order a third-country case belongs to
    hts_scope: tuple[str, ...] = ()
    order_date: date | None = None
    # Commerce company suffix -> company name, for company-specific numbers (R-AD-03).
    companies: Mapping[str, str] = field(default_factory=dict)
    rate_percent: Decimal | None = None  # the all-others/case-wide rate, when no dated history is given
    # The all-others rate over time, (effective from, percent) oldest first: the rate in effect on the date of
    # entry applies (19 CFR 351.212(c)), not today's.
    rate_history: tuple[tuple[date, Decimal], ...] = ()

    @property
    def is_antidumping(self) -> bool:
        return self.number.startswith("A")

    def rate_on(self, day: date) -> Decimal | None:
        if not self.rate_history:
            return self.rate_percent
        in_effect = [rate for start, rate in self.rate_history if start <= day]
        return in_effect[-1] if in_effect else None


@dataclass(frozen=True)
class LineFacts:
    line_number: int
    hts_number: str
    origin: str  # ISO alpha-2 CBP country of origin
    entered_value: Decimal
    case_number: str | None = None
    company_suffix: str | None = None
    manufacturer: str | None = None
    deposit_amount: Decimal | None = None


@dataclass(frozen=True)
class EntryFacts:
    number: str
    entry_type: str
    entry_date: date
    lines: tuple[LineFacts, ...]
    liquidated_on: date | None = None
    suspension_lifted_on: date | None = None
    reimbursement_certificate_on_file: bool = False
    importer_non_resident: bool = False


@dataclass(frozen=True)
class Finding:
    rule_id: str
    code: str
    message: str
    line_number: int | None = None
    due_on: date | None = None
    amount: Decimal | None = None  # cash deposit owed, or projected additional duty


def _norm(name: str) -> str:
    return " ".join("".join(c for c in name.upper() if c.isalnum() or c.isspace()).split())


def _country_match(entry: EntryFacts, line: LineFacts, case: CaseFacts,
                   third_country: Mapping[tuple[str, str], CaseFacts],
                   orders: Mapping[str, CaseFacts]) -> Finding | None:
    # R-AD-02: "Case country code must equal the line's CBP country of origin; otherwise require a third-country
    # case number linked to the original order" (FACTS §4; CSMS 18-000421).
    if case.country_iso is None or case.country_iso == line.origin:
        return None
    order = case.third_country_of or case.number
    linked = third_country.get((order, line.origin))
    own = orders.get(order)
    if own is not None and own.country_iso == line.origin:
        # A third-country case on goods of the order country itself: the order's own case applies.
        hint = f" Declare the order's own case {order} instead."
    else:
        hint = (f" Declare third-country case {linked.number} instead." if linked else
                f" Ask Commerce for a third-country case number linked to {order} for origin {line.origin}.")
    return Finding("R-AD-02", "CASE_COUNTRY_MISMATCH",
                   f"Line {line.line_number}: case {case.number} is for country {case.country_iso}, but the CBP "
                   f"country of origin is {line.origin}.{hint}", line.line_number)


def _third_country_window(entry: EntryFacts, line: LineFacts, config: ChecksConfig,
                          third_country: Mapping[tuple[str, str], CaseFacts],
                          orders: Mapping[str, CaseFacts]) -> Finding | None:
    # CSMS #46031819 (Feb. 2, 2021): from Oct. 5, 2019 through Oct. 28, 2020 ACE would not accept 19
    # third-country case numbers; importers were to file PSCs with the AD/CVD cash deposits within 60 days
    # (extended to May 3, 2021), or voluntary tenders (19 CFR 141.105) for liquidated entries.
    window = config.window
    if line.case_number is not None or not window.covers(entry.entry_date):
        return None
    matches = [c for (order, origin), c in sorted(third_country.items())
               if origin == line.origin and hts_in_scope(line.hts_number, orders[order].hts_scope
                                                         if order in orders else c.hts_scope)]
    if not matches:
        return None
    case = matches[0]
    rate = case.rate_on(entry.entry_date)
    owed = cash_deposit(line.entered_value, rate) if rate is not None else None
    owed_text = f" Cash deposit owed: ${owed:,}." if owed is not None else " Cash deposit rate not on file."
    deadlines = "; ".join(f"{d.isoformat()} ({basis})" for d, basis in window.deadlines)
    if entry.liquidated_on is not None:
        return Finding("R-AD-02", "VOLUNTARY_TENDER_REQUIRED",
                       f"Line {line.line_number}: entered in the CSMS #46031819 window without third-country case "
                       f"{case.number}; the entry is liquidated, so tender the duties under 19 CFR 141.105 (CBP "
                       f"extended the corrections deadline to {window.effective_deadline.isoformat()}; tenders were "
                       f"asked for within the same period).{owed_text}", line.line_number, None, owed)
    return Finding("R-AD-02", "THIRD_COUNTRY_CASE_MISSING",
                   f"Line {line.line_number}: entered in the CSMS #46031819 window without third-country case "
                   f"{case.number}; file a post-summary correction with the cash deposit by "
                   f"{window.effective_deadline.isoformat()} (published deadlines: {deadlines}).{owed_text}",
                   line.line_number, window.effective_deadline, owed)


def _companions(entry: EntryFacts, cases: Mapping[str, CaseFacts]) -> Iterable[Finding]:
    # R-AD-03: "Flag missing AD<->CVD companion case" (ACE cargo messages since Jan. 16, 2024, CSMS #58721104).
    declared = {ln.case_number for ln in entry.lines if ln.case_number}
    for number in sorted(declared):
        case = cases.get(number)
        companion = case.companion_number if case else None
        if companion is None or companion in declared:
            continue
        partner = cases.get(companion)
        if partner is not None and partner.order_date is not None and partner.order_date > entry.entry_date:
            continue  # the companion order did not exist yet on the date of entry
        lines = sorted(ln.line_number for ln in entry.lines if ln.case_number == number)
        yield Finding("R-AD-03", "COMPANION_CASE_MISSING",
                      f"Case {number} has companion case {companion}, which no line of this entry declares "
                      f"(lines {', '.join(map(str, lines))}).", lines[0])


def _company(line: LineFacts, case: CaseFacts) -> Finding | None:
    # R-AD-03: "company-suffix mismatch vs manufacturer/exporter".
    if line.company_suffix is None:
        return None
    name = case.companies.get(line.company_suffix)
    if name is None:
        return Finding("R-AD-03", "COMPANY_SUFFIX_UNKNOWN",
                       f"Line {line.line_number}: company suffix {line.company_suffix} is not on file for case "
                       f"{case.number}.", line.line_number)
    if line.manufacturer and _norm(line.manufacturer) != _norm(name):
        return Finding("R-AD-03", "COMPANY_SUFFIX_MISMATCH",
                       f"Line {line.line_number}: suffix {line.company_suffix} of case {case.number} belongs to "
                       f"{name}, not to the declared manufacturer/exporter {line.manufacturer}.", line.line_number)
    return None


def _entry_type(entry: EntryFacts, config: ChecksConfig) -> Finding | None:
    # R-AD-04: "Lines with AD/CVD cases require entry type 03/07/34/38; a PSC 01->03 requires the deposit"
    # (CSMS 15-000743: without it, liquidated damages).
    adcvd_lines = [ln for ln in entry.lines if ln.case_number]
    if not adcvd_lines or entry.entry_type in config.adcvd_entry_types:
        return None
    owed = sum((ln.deposit_amount or Decimal(0) for ln in adcvd_lines), Decimal("0.00"))
    types = "/".join(sorted(config.adcvd_entry_types))
    return Finding("R-AD-04", "ADCVD_ON_NON_ADCVD_ENTRY_TYPE",
                   f"Entry type {entry.entry_type} carries AD/CVD lines; it must be {types}. A post-summary "
                   f"correction to type 03 must come with the AD/CVD deposit (${owed:,}).", None, None, owed)


def _liquidation(entry: EntryFacts, config: ChecksConfig, cases: Mapping[str, CaseFacts],
                 today: date) -> Iterable[Finding]:
    adcvd = [ln for ln in entry.lines if ln.case_number]
    if not adcvd:
        return
    liquidated = entry.liquidated_on
    # R-AD-05 / 19 U.S.C. 1504(d): once the suspension is removed CBP must liquidate within 6 months of notice,
    # else the entry is deemed liquidated at the amounts the importer asserted - also when CBP liquidates later.
    if entry.suspension_lifted_on is not None:
        due = entry.suspension_lifted_on + relativedelta(months=config.liquidation_after_suspension_months)
        late = liquidated > due if liquidated is not None else today > due
        if late:
            when = f"liquidated only on {liquidated.isoformat()}" if liquidated else "not liquidated"
            yield Finding("R-AD-05", "DEEMED_LIQUIDATED",
                          f"{when.capitalize()}, past {config.liquidation_after_suspension_months} months from the "
                          f"notice lifting the suspension ({entry.suspension_lifted_on.isoformat()}): deemed "
                          "liquidated at the asserted amounts (19 U.S.C. 1504(d)).", None, due)
    # R-AD-05 / 19 CFR 351.402(f): without a reimbursement certificate on file before liquidation, CBP presumes
    # reimbursement and doubles the antidumping duty (after liquidation the presumption has applied).
    ad = [ln for ln in adcvd if ln.case_number and (c := cases.get(ln.case_number)) is not None
          and c.is_antidumping]
    if ad and not entry.reimbursement_certificate_on_file:
        extra = sum((ln.deposit_amount or Decimal(0) for ln in ad), Decimal("0.00"))
        text = (f"liquidated on {liquidated.isoformat()} without it, so reimbursement is presumed and "
                f"antidumping duty doubled: additional duty ${extra:,}") if liquidated else (
                f"it must be filed before liquidation, else antidumping duty is doubled: projected additional duty "
                f"${extra:,}")
        yield Finding("R-AD-05", "REIMBURSEMENT_CERTIFICATE_MISSING",
                      f"No reimbursement certificate on file (19 CFR 351.402(f)); {text}.", None, None, extra)


def findings(entry: EntryFacts, cases: Mapping[str, CaseFacts], config: ChecksConfig, today: date) -> list[Finding]:
    """Every finding on ``entry`` at ``today``. ``cases`` holds at least each case the entry names, its companions
    and every third-country case (those carry ``third_country_of``)."""
    third_country = {(c.third_country_of, c.country_iso): c for c in cases.values()
                     if c.third_country_of is not None and c.country_iso is not None}
    found: list[Finding] = []
    for line in entry.lines:
        case = cases.get(line.case_number) if line.case_number else None
        if case is not None:
            found += [f for f in (_country_match(entry, line, case, third_country, cases),
                                  _company(line, case)) if f]
        elif (missing := _third_country_window(entry, line, config, third_country, cases)) is not None:
            found.append(missing)
    found += _companions(entry, cases)
    if (wrong_type := _entry_type(entry, config)) is not None:
        found.append(wrong_type)
    found += _liquidation(entry, config, cases, today)
    if entry.importer_non_resident and any(ln.case_number for ln in entry.lines):
        # FACTS §4: specific CBP/Commerce rules for non-resident importers of AD/CVD goods are UNCONFIRMED;
        # the Hub flags the entry for review and asserts nothing more.
        found.append(Finding("FACTS-4-NON-RESIDENT", "NON_RESIDENT_IMPORTER",
                             "AD/CVD entry by a non-resident importer of record (CBP-assigned IOR number): review "
                             "the importer's liability for AD/CVD duties and the bond's coverage."))
    return found
