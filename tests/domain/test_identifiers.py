"""Identifier rules: R-ID-01 (entry numbers, FACTS §5), R-ID-02 (IOR numbers, 19 CFR 24.5 / CBP Form 5106),
filer, surety (FACTS §3), Schedule D port (FACTS §7) and PGA agency codes (FACTS §8)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.identifiers import (
    IorKind,
    IorNumber,
    entry_check_digit,
    filer_code_of,
    mask_ior_number,
    normalize_entry_number,
    parse_ior_number,
    port_info,
    port_name,
    validate_agency_code,
    validate_filer_code,
    validate_port_code,
    validate_surety_code,
)
from hub.domain.reference import agency_codes, port_codes, read_bytes
from hub.errors import InvalidInput


def _code_of(fn: Callable[..., object], *args: str) -> str:
    with pytest.raises(InvalidInput) as exc:
        fn(*args)
    return exc.value.code


# ------------------------------------------------------------------------------------------ R-ID-01 -----

# R-ID-01 table (FACTS §10.5 #30) plus the worked examples of FACTS §5. The 002-… numbers are real entry
# numbers from CBP ruling HQ H005628; FACTS lists 3 of its 14, and only those 3 are available here.
VALID_ENTRIES = [
    "002-6110316-2",  # HQ H005628; FACTS §5 worked example
    "002-6111115-7",  # HQ H005628
    "002-6111109-0",  # HQ H005628
    "ABC-1234567-6",  # FACTS §5 worked example (alpha filer code)
    "M46-1000257-6",  # FACTS §5 worked example (M -> 4)
]


@pytest.mark.parametrize("entry", VALID_ENTRIES)
def test_r_id_01_valid_entry_numbers(entry: str) -> None:
    assert normalize_entry_number(entry) == entry


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("00261103162", "002-6110316-2"),
        ("002-61103162", "002-6110316-2"),
        ("0026110316-2", "002-6110316-2"),
        ("  abc-1234567-6\n", "ABC-1234567-6"),
    ],
)
def test_r_id_01_normalises_to_canonical_form(raw: str, canonical: str) -> None:
    assert normalize_entry_number(raw) == canonical


def test_r_id_01_check_digit_mismatch() -> None:
    # R-ID-01: 002-6110316-3 is the table's invalid example (check digit should be 2).
    assert _code_of(normalize_entry_number, "002-6110316-3") == "ENTRY_CHECK_DIGIT_MISMATCH"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "002-611031-62",
        "02-6110316-2",
        "002--6110316-2",
        "002_6110316-2",
        "002-6110316-22",
        "0A2-61103X6-2",
        "\u00c4BC-1234567-6",  # non-ASCII letter
        "002-\u0666110316-2",  # Arabic-Indic digit: \d without re.ASCII would accept it
    ],
)
def test_r_id_01_format_errors(bad: str) -> None:
    assert _code_of(normalize_entry_number, bad) == "INVALID_ENTRY_NUMBER"


@pytest.mark.parametrize(
    ("base", "digit"),
    [
        ("0026110316", 2),
        ("ABC-1234567", 6),
        ("M461000257", 6),
        # FACTS §5 letter table: A-I = 1-9, J-R = 1-9, S = 2 (not 1), T-Z = 3-9. Odd position, so not doubled.
        ("A000000000", 9),
        ("J000000000", 9),
        ("S000000000", 8),
        ("Z000000000", 1),
        # Position 2 is doubled: S -> 2 -> 4.
        ("0S00000000", 6),
    ],
)
def test_entry_check_digit(base: str, digit: int) -> None:
    assert entry_check_digit(base) == digit


def test_entry_check_digit_rejects_bad_base() -> None:
    assert _code_of(entry_check_digit, "00261103") == "INVALID_ENTRY_NUMBER"


_LETTERS = {**{c: i % 9 or 9 for i, c in enumerate("ABCDEFGHIJKLMNOPQR", 1)}, **{"S": 2}}
_LETTERS.update({c: v for v, c in enumerate("TUVWXYZ", 3)})


def _luhn_valid(entry11: str) -> bool:
    # Independent formulation: the standard Luhn validity test (total including the check digit is 0 mod 10),
    # doubling every second digit from the right, over the FACTS §5 letter values.
    digits = [_LETTERS[c] if c.isalpha() else int(c) for c in entry11]
    total = 0
    for i, v in enumerate(reversed(digits)):
        if i % 2 == 1:
            v = v * 2 - 9 if v * 2 > 9 else v * 2
        total += v
    return total % 10 == 0


@settings(max_examples=300, database=None)
@given(
    filer=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=3, max_size=3),
    serial=st.text(alphabet="0123456789", min_size=7, max_size=7),
)
def test_r_id_01_exactly_one_check_digit_is_valid(filer: str, serial: str) -> None:
    valid = [d for d in range(10) if _luhn_valid(f"{filer}{serial}{d}")]
    assert valid == [entry_check_digit(filer + serial)]
    assert normalize_entry_number(f"{filer}{serial}{valid[0]}") == f"{filer}-{serial}-{valid[0]}"


def test_filer_code_of() -> None:
    assert filer_code_of("m4610002576") == "M46"
    assert _code_of(filer_code_of, "M46-1000257-5") == "ENTRY_CHECK_DIGIT_MISMATCH"


# FACTS §5: filer code formats NNN, ANN, AAN, AAA, ANA, NAN, NNA, NAA.
@pytest.mark.parametrize("code", ["123", "A23", "AB3", "ABC", "A2C", "1B3", "12C", "1BC", " m46 "])
def test_filer_code_formats(code: str) -> None:
    assert validate_filer_code(code) == code.strip().upper()


@pytest.mark.parametrize("code", ["", "AB", "ABCD", "A-C", "A C", "\u00c0BC", "\u0661\u0662\u0663"])
def test_filer_code_invalid(code: str) -> None:
    assert _code_of(validate_filer_code, code) == "INVALID_FILER_CODE"


# ------------------------------------------------------------------------------------------ R-ID-02 -----


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("12-345678900", IorKind.IRS),
        ("12-3456789AB", IorKind.IRS),
        ("12-3456789y9", IorKind.IRS),  # suffix letters are upper-cased
        ("123-45-6789", IorKind.SSN),
        ("210401-12345", IorKind.CBP_ASSIGNED),  # YYDDPP-NNNNN
    ],
)
def test_r_id_02_patterns(raw: str, kind: IorKind) -> None:
    ior = parse_ior_number(raw)
    assert ior.kind is kind
    assert ior.value == raw.upper()


# R-ID-02: the IRS-number suffix may not use O, I or Z.
@pytest.mark.parametrize("raw", ["12-34567890O", "12-3456789I0", "12-3456789Z1", "12-3456789oo"])
def test_r_id_02_irs_suffix_rejects_o_i_z(raw: str) -> None:
    assert _code_of(parse_ior_number, raw) == "INVALID_IOR_NUMBER"


@pytest.mark.parametrize(
    "raw",
    ["", "123456789", "12345678900", "12-3456789", "12-345678900X", "1234-56-789", "210401-1234"],
)
def test_r_id_02_invalid(raw: str) -> None:
    assert _code_of(parse_ior_number, raw) == "INVALID_IOR_NUMBER"


def test_r_id_02_ssn_is_masked_everywhere_it_could_leak() -> None:
    # R-ID-02: SSN values are PII. The mask keeps the last 4 digits only.
    ssn = parse_ior_number("123-45-6789")
    assert mask_ior_number(ssn) == "***-**-6789"
    assert mask_ior_number("123-45-6789") == "***-**-6789"
    assert ssn.masked == "***-**-6789"
    assert "123-45" not in repr(ssn) and "123-45" not in str(ssn)
    assert "6789" in repr(ssn)


def test_r_id_02_non_ssn_values_are_not_masked() -> None:
    assert mask_ior_number("12-345678900") == "12-345678900"
    assert mask_ior_number(IorNumber("210401-12345", IorKind.CBP_ASSIGNED)) == "210401-12345"


def test_r_id_02_error_does_not_echo_input() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_ior_number("123-45-678")
    assert "123-45-678" not in str(exc.value) and "123-45-678" not in repr(exc.value.details)


# ------------------------------------------------------------------------------ surety (FACTS §3) -------


@pytest.mark.parametrize("code", ["999", "ABC", "a1b", " 457 "])
def test_surety_code_valid(code: str) -> None:
    assert validate_surety_code(code) == code.strip().upper()


@pytest.mark.parametrize("code", ["", "99", "9999", "9-9", "\u0669\u0669\u0669"])
def test_surety_code_invalid(code: str) -> None:
    assert _code_of(validate_surety_code, code) == "INVALID_SURETY_CODE"


# --------------------------------------------------------------------------- ports (FACTS §7) -----------


def test_port_codes_known() -> None:
    assert validate_port_code("0401") == "0401"
    assert port_name("0401") == "BOSTON, MA"  # 0401 appears twice in the source; the first row wins
    assert validate_port_code(" 2704 ") == "2704"  # Los Angeles: widely used, UNCONFIRMED (FACTS §7)
    assert port_name("5401") == "WASHINGTON, D.C."
    assert port_info("1303").state == "MD"


@pytest.mark.parametrize("code", ["", "270", "27040", "27O4", "\u0662\u0667\u0660\u0664"])
def test_port_code_format(code: str) -> None:
    assert _code_of(validate_port_code, code) == "INVALID_PORT_CODE"


# 9998 is absent; 0000/0001 are foreign or suspect rows; 7000/8000 are Census pseudo-codes, not ports.
@pytest.mark.parametrize("code", ["9998", "0000", "0001", "7000", "8000"])
def test_port_code_unknown(code: str) -> None:
    assert _code_of(validate_port_code, code) == "UNKNOWN_PORT_CODE"


def test_port_reference_data_shape() -> None:
    ports = port_codes()
    # SOURCES.md states 467 rows; 0401 (Boston) is listed twice, so 466 distinct codes.
    assert len(ports) == 466
    assert all(re.fullmatch(r"\d{4}", c, re.ASCII) for c in ports)


# ---------------------------------------------------------------------- PGA agencies (FACTS §8) ---------


@pytest.mark.parametrize("code", ["FDA", "NHT", "EPA", "APH", "FWS", "TTB", "NMF", "ECO", " dea "])
def test_agency_codes_known(code: str) -> None:
    assert validate_agency_code(code) == code.strip().upper()


# CBP is deliberately not a PGA code; the others are malformed or unknown.
@pytest.mark.parametrize("code", ["", "CBP", "XYZ", "FD", "FDAX", "F1A", "IAD"])
def test_agency_codes_invalid(code: str) -> None:
    assert _code_of(validate_agency_code, code) == "INVALID_AGENCY_CODE"


def test_every_reference_file_has_a_source_note() -> None:
    sources = read_bytes("SOURCES.md").decode()
    files = ("cbp_port_codes_schedule_d.csv", "us_federal_holidays_2019_2027.csv", "pga_agency_codes.csv")
    for name in files:
        assert name in sources
    for agency in agency_codes().values():
        assert re.fullmatch(r"[A-Z]{3}", agency.code, re.ASCII)
        assert agency.pga_message_set in {"yes", "no", "unconfirmed"}
        for ref in agency.source_ref.split(";"):
            assert ref in sources
