"""Validation and normalisation of CBP identifiers (FACTS.md §3, §5, §7, §8; rules R-ID-01, R-ID-02).

Every validator trims surrounding whitespace and upper-cases before matching, then matches strictly. All
patterns use re.ASCII because `\\d` would otherwise accept non-ASCII digits (e.g. Arabic-Indic) that ACE never
would. Errors are InvalidInput with a stable code and never echo the offending value: IOR numbers may be SSNs,
and error text ends up in logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from hub.domain.reference import AgencyCode, PortCode, agency_codes, port_codes
from hub.errors import InvalidInput

# ---------------------------------------------------------------- entry numbers (R-ID-01, FACTS §5) ----

# R-ID-01: `^[A-Z0-9]{3}-?\d{7}-?\d$` (filer code, filer-assigned transaction number, check digit).
_ENTRY_RE = re.compile(r"([A-Z0-9]{3})-?(\d{7})-?(\d)", re.ASCII)
_ENTRY_BASE_RE = re.compile(r"([A-Z0-9]{3})-?(\d{7})", re.ASCII)

# FACTS §5 step 1 (CATAIR "AE Table 1"): A-I = 1-9, J-R = 1-9, S-Z = 2-9. S starts at 2, not 1 — the one
# irregularity in the table, and the reason it is spelled out rather than computed from ord().
_LETTER_VALUES: dict[str, int] = {
    **{c: i for i, c in enumerate("ABCDEFGHI", start=1)},
    **{c: i for i, c in enumerate("JKLMNOPQR", start=1)},
    **{c: i for i, c in enumerate("STUVWXYZ", start=2)},
}


def _clean(s: str) -> str:
    return s.strip().upper()


def _check_digit(filer: str, serial: str) -> int:
    # FACTS §5 steps 2-4: mod-10 over the 10-character base, doubling the EVEN positions (2, 4, ..., 10),
    # summing digits of products above 9. Reproduces all 14 entry numbers in CBP ruling HQ H005628.
    values = [_LETTER_VALUES[c] if c.isalpha() else int(c) for c in filer] + [int(c) for c in serial]
    total = 0
    for position, v in enumerate(values, start=1):
        if position % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return (10 - total % 10) % 10


def entry_check_digit(base10: str) -> int:
    """Check digit for a 10-character base `XXXNNNNNNN` (a hyphen after the filer code is allowed)."""
    m = _ENTRY_BASE_RE.fullmatch(_clean(base10))
    if m is None:
        raise InvalidInput(
            "An entry-number base is a 3-character filer code followed by 7 digits.",
            code="INVALID_ENTRY_NUMBER",
        )
    return _check_digit(m.group(1), m.group(2))


def normalize_entry_number(s: str) -> str:
    """Return the canonical `XXX-NNNNNNN-C` form of an entry number, or raise InvalidInput.

    R-ID-01: format `^[A-Z0-9]{3}-?\\d{7}-?\\d$` ("INVALID_ENTRY_NUMBER") and the mod-10 check digit of
    FACTS §5 ("ENTRY_CHECK_DIGIT_MISMATCH").
    """
    m = _ENTRY_RE.fullmatch(_clean(s))
    if m is None:
        raise InvalidInput(
            "An entry number is XXX-NNNNNNN-C: 3-character filer code, 7 digits, 1 check digit.",
            code="INVALID_ENTRY_NUMBER",
        )
    filer, serial, check = m.groups()
    if _check_digit(filer, serial) != int(check):
        raise InvalidInput(
            "The entry number's check digit does not match.", code="ENTRY_CHECK_DIGIT_MISMATCH"
        )
    return f"{filer}-{serial}-{check}"


def filer_code_of(entry: str) -> str:
    """Filer code (first 3 characters) of a valid entry number; validates the whole number first."""
    return normalize_entry_number(entry)[:3]


# FACTS §5: filer code formats NNN, ANN, AAN, AAA, ANA, NAN, NNA, NAA. Those are all 2^3 letter/digit
# combinations, so the list reduces to "3 uppercase ASCII alphanumerics".
_FILER_RE = re.compile(r"[A-Z0-9]{3}", re.ASCII)


def validate_filer_code(s: str) -> str:
    code = _clean(s)
    if _FILER_RE.fullmatch(code) is None:
        raise InvalidInput("A filer code is 3 letters or digits.", code="INVALID_FILER_CODE")
    return code


# ---------------------------------------------------------- importer-of-record numbers (R-ID-02) -------


class IorKind(StrEnum):
    IRS = "IRS"
    SSN = "SSN"
    CBP_ASSIGNED = "CBP_ASSIGNED"


# R-ID-02 (CBP Form 5106 / 19 CFR 24.5): the three accepted shapes. The IRS-number suffix may not use the
# letters O, I or Z (read as 0, 1 and 2), hence the gapped character class.
_IOR_PATTERNS: tuple[tuple[IorKind, re.Pattern[str]], ...] = (
    (IorKind.IRS, re.compile(r"\d{2}-\d{7}[A-HJ-NP-Y0-9]{2}", re.ASCII)),
    (IorKind.SSN, re.compile(r"\d{3}-\d{2}-\d{4}", re.ASCII)),
    (IorKind.CBP_ASSIGNED, re.compile(r"\d{6}-\d{5}", re.ASCII)),  # YYDDPP-NNNNN
)


@dataclass(frozen=True, slots=True, repr=False)
class IorNumber:
    value: str
    kind: IorKind

    @property
    def masked(self) -> str:
        return mask_ior_number(self)

    def __repr__(self) -> str:
        # R-ID-02: SSNs are PII; a repr lands in logs and tracebacks, so it never shows the full number.
        return f"IorNumber({self.masked!r}, {self.kind.value})"

    __str__ = __repr__


def parse_ior_number(s: str) -> IorNumber:
    """Classify an importer-of-record number (R-ID-02) or raise InvalidInput "INVALID_IOR_NUMBER".

    Hyphens are required: without them an 11-digit IRS number and an 11-digit CBP-assigned number are
    indistinguishable.
    """
    value = _clean(s)
    for kind, pattern in _IOR_PATTERNS:
        if pattern.fullmatch(value):
            return IorNumber(value, kind)
    raise InvalidInput(
        "An importer-of-record number is NN-NNNNNNNXX (IRS), NNN-NN-NNNN (SSN) "
        "or YYDDPP-NNNNN (CBP-assigned).",
        code="INVALID_IOR_NUMBER",
    )


def mask_ior_number(ior: IorNumber | str) -> str:
    """SSN shown as `***-**-1234` (R-ID-02: PII, masked for every role but CBP and the number's owner).

    IRS and CBP-assigned numbers are business identifiers and are returned unchanged; whether the caller may
    see the unmasked SSN is a policy decision made outside this module.
    """
    parsed = ior if isinstance(ior, IorNumber) else parse_ior_number(ior)
    if parsed.kind is IorKind.SSN:
        return f"***-**-{parsed.value[-4:]}"
    return parsed.value


# ------------------------------------------------------------------------ surety codes (FACTS §3) -------

# FACTS §3 only says "3 characters" (positions 49-51 of the ABI 35-record); no public list of codes exists
# (SOURCES.md "Not found"), so only the shape is checked. 999 = bond waived by regulation.
_SURETY_RE = re.compile(r"[A-Z0-9]{3}", re.ASCII)
SURETY_CODE_BOND_WAIVED = "999"


def validate_surety_code(s: str) -> str:
    code = _clean(s)
    if _SURETY_RE.fullmatch(code) is None:
        raise InvalidInput("A surety code is 3 letters or digits.", code="INVALID_SURETY_CODE")
    return code


# ---------------------------------------------------------------- port codes (Schedule D, FACTS §7) -----

_PORT_RE = re.compile(r"\d{4}", re.ASCII)

# Rows of the Schedule D file that are not places where CBP business is transacted: foreign locations and
# suspect rows, and Census statistical pseudo-codes (low value, mail, vessels under own power).
_NON_PORT_KINDS = frozenset({"non_US_or_suspect_entry", "census_statistical_pseudo_code"})


def port_info(code: str) -> PortCode:
    """Schedule D row for a code: "INVALID_PORT_CODE" if not 4 digits, "UNKNOWN_PORT_CODE" if not listed."""
    c = code.strip()
    if _PORT_RE.fullmatch(c) is None:
        raise InvalidInput("A port code is 4 digits (DDPP).", code="INVALID_PORT_CODE")
    port = port_codes().get(c)
    if port is None or port.kind in _NON_PORT_KINDS:
        raise InvalidInput(
            "The port code is not in the Hub's Schedule D reference data.", code="UNKNOWN_PORT_CODE"
        )
    return port


def validate_port_code(s: str) -> str:
    return port_info(s).code


def port_name(code: str) -> str:
    """Port name as published in Schedule D (Census style, e.g. "BALTIMORE, MD.")."""
    return port_info(code).name


# --------------------------------------------------------- PGA agency codes (FACTS §8, PG01 agency code) --

_AGENCY_RE = re.compile(r"[A-Z]{3}", re.ASCII)


def agency_info(code: str) -> AgencyCode:
    c = _clean(code)
    agency = agency_codes().get(c) if _AGENCY_RE.fullmatch(c) else None
    if agency is None:
        raise InvalidInput(
            "The agency code is not a partner government agency code known to the Hub.",
            code="INVALID_AGENCY_CODE",
        )
    return agency


def validate_agency_code(s: str) -> str:
    """3-letter PGA code (PG01 "agency code", CATAIR Appendix V) listed in reference/pga_agency_codes.csv."""
    return agency_info(s).code
