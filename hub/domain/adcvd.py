"""AD/CVD case numbers, Commerce country codes and cash deposits (FACTS.md §4; rule R-AD-01).

A case is ``A-CCC-NNN`` (antidumping) or ``C-CCC-NNN`` (countervailing), CCC the Commerce country code.
An entry line reports it as in ACE: the 7-character case (``A570979``) or the 10-character company-specific
number (``C570068001``, suffix = Commerce company). The dashed all-others style seen on entry summaries
(``A-428-825-000``, HQ 229420) is read too. Suffix 999 ("unknown company") was retired on 2005-07-28.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from hub.domain.reference import csv_rows, read_bytes
from hub.errors import InvalidInput

COUNTRY_CODES_FILE = "commerce_country_codes.csv"
CHECKS_FILE = "adcvd_checks.json"
CENT = Decimal("0.01")

# R-AD-01: case `^[AC]-\d{3}-\d{3}$`; ACE line case `^[AC]\d{9}$` (country, case, company).
_CASE_RE = re.compile(r"([AC])-(\d{3})-(\d{3})", re.ASCII)
_LINE_CASE_RE = re.compile(r"([AC])-?(\d{3})-?(\d{3})(?:-?(\d{3}))?", re.ASCII)


@dataclass(frozen=True, order=True)
class CaseNumber:
    kind: str  # "A" antidumping | "C" countervailing
    country_code: str
    sequence: str

    def __str__(self) -> str:
        return f"{self.kind}-{self.country_code}-{self.sequence}"

    @property
    def is_antidumping(self) -> bool:
        return self.kind == "A"

    @property
    def ace(self) -> str:
        """The 7-character form ACE uses in cargo messages (CSMS #58721104: ``A570067``)."""
        return f"{self.kind}{self.country_code}{self.sequence}"


@dataclass(frozen=True)
class LineCase:
    """What an entry line declares: the case and, when company-specific, Commerce's company suffix."""

    case: CaseNumber
    company_suffix: str | None

    def __str__(self) -> str:
        return self.case.ace + (self.company_suffix or "")


def parse_case_number(s: str) -> CaseNumber:
    """R-AD-01: ``A-CCC-NNN`` / ``C-CCC-NNN``. The orders list's own ``C-53-878`` fails here, as it must."""
    m = _CASE_RE.fullmatch(s.strip().upper())
    if m is None:
        raise InvalidInput("An AD/CVD case number is A-CCC-NNN or C-CCC-NNN (A antidumping, C countervailing; "
                           "CCC the Commerce country code).", code="INVALID_CASE_NUMBER")
    return CaseNumber(*m.groups())


def parse_line_case(s: str) -> LineCase:
    """A line's case as declared in ACE: 7 or 10 characters, dashes optional (R-AD-01)."""
    m = _LINE_CASE_RE.fullmatch(s.strip().upper())
    if m is None:
        raise InvalidInput("A line's AD/CVD case is A-CCC-NNN, its ACE form ACCCNNN, or the company-specific "
                           "ACCCNNNSSS.", code="INVALID_CASE_NUMBER")
    kind, country, sequence, suffix = m.groups()
    if suffix == checks_config().retired_company_suffix:
        # FACTS §4: suffix 999 (unknown company) numbers were cancelled by CBP's memo of July 28, 2005.
        raise InvalidInput("Company suffix 999 ('unknown company') was retired in 2005; declare the company's "
                           "own suffix or the all-others rate.", code="RETIRED_COMPANY_SUFFIX")
    return LineCase(CaseNumber(kind, country, sequence), suffix)


def companion_of(case: CaseNumber) -> tuple[str, str]:
    """The kind and country a companion case has: the other remedy on the same product and country."""
    return ("C" if case.is_antidumping else "A", case.country_code)


@dataclass(frozen=True)
class CommerceCountry:
    code: str
    iso2: str
    name: str


@cache
def commerce_countries() -> Mapping[str, CommerceCountry]:
    return {r["commerce_code"]: CommerceCountry(r["commerce_code"], r["iso2"], r["country"])
            for r in csv_rows(COUNTRY_CODES_FILE)}


def country_iso(code: str) -> str | None:
    """The ISO country of a Commerce country code, or None when the Hub's table does not know it."""
    found = commerce_countries().get(code)
    return found.iso2 if found else None


def cash_deposit(entered_value: Decimal, rate_percent: Decimal) -> Decimal:
    """Estimated AD/CVD duty deposited at entry: value x ad valorem rate, to the cent."""
    return (entered_value * rate_percent / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ThirdCountryWindow:
    """CSMS #46031819: entries ACE could not accept with their third-country case number."""

    entries_from: date
    entries_through: date
    deadlines: tuple[tuple[date, str], ...]  # every published deadline, oldest first, with its basis
    effective_deadline: date

    def covers(self, entry_date: date) -> bool:
        return self.entries_from <= entry_date <= self.entries_through


@dataclass(frozen=True)
class ChecksConfig:
    window: ThirdCountryWindow
    adcvd_entry_types: frozenset[str]
    entry_types: Mapping[str, str]
    liquidation_after_suspension_months: int
    retired_company_suffix: str


@cache
def checks_config() -> ChecksConfig:
    """The checks' dates and lists, as data (hub/reference/adcvd_checks.json), so a new CSMS is a data change."""
    raw: dict[str, Any] = json.loads(read_bytes(CHECKS_FILE))
    w = raw["third_country_window"]
    window = ThirdCountryWindow(
        date.fromisoformat(w["entries_from"]), date.fromisoformat(w["entries_through"]),
        tuple((date.fromisoformat(d["due_on"]), d["basis"]) for d in w["correction_deadlines"]),
        date.fromisoformat(w["effective_deadline"]))
    return ChecksConfig(window, frozenset(raw["adcvd_entry_types"]), dict(raw["entry_types"]),
                        int(raw["liquidation_after_suspension_months"]), str(raw["retired_company_suffix"]))


def validate_entry_type(s: str) -> str:
    code = s.strip().zfill(2)
    if code not in checks_config().entry_types:
        known = ", ".join(sorted(checks_config().entry_types))
        raise InvalidInput(f"Unknown entry type; known: {known}.", code="INVALID_ENTRY_TYPE")
    return code


_HTS_RE = re.compile(r"\d{4}\.?\d{2}\.?\d{2}(?:\.?\d{2})?", re.ASCII)


def normalize_hts(s: str) -> str:
    """An HTSUS number as 8 or 10 digits with the usual dots (``7318.15.50.51``)."""
    raw = s.strip()
    if _HTS_RE.fullmatch(raw) is None:
        raise InvalidInput("An HTS number has 8 or 10 digits (e.g. 7318.15.5051).", code="INVALID_HTS_NUMBER")
    digits = raw.replace(".", "")
    return ".".join(p for p in (digits[:4], digits[4:6], digits[6:8], digits[8:]) if p)


def hts_in_scope(hts: str, scope: tuple[str, ...]) -> bool:
    """Whether an HTS number falls under an order's listed HTS numbers (prefix match on digits).

    The written scope governs, and HTS lists are "for convenience" (SOURCES.md); an empty list means unknown,
    which counts as in scope so that a check errs on the side of asking the importer to look.
    """
    if not scope:
        return True
    digits = hts.replace(".", "")
    return any(digits.startswith(s.replace(".", "")) or s.replace(".", "").startswith(digits) for s in scope)
