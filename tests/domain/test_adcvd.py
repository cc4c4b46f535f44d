"""AD/CVD case numbers and reference data (hub/domain/adcvd.py): R-AD-01 formats (FACTS §4, §10.3 #20), the
ACE line forms of CSMS #58721104 (C570068001, A357820001, A201837001), HQ 229420's A-428-825-000, the suffix 999
retired by CBP's memo of 2005-07-28, Commerce country codes, cash deposits to the cent, HTS scope matching, the
entry types of FACTS §4, and the checks' dates as data (CSMS #46031819, hub/reference/adcvd_checks.json)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from hub.domain.adcvd import (
    CaseNumber,
    LineCase,
    cash_deposit,
    checks_config,
    commerce_countries,
    companion_of,
    country_iso,
    hts_in_scope,
    normalize_hts,
    parse_case_number,
    parse_line_case,
    validate_entry_type,
)
from hub.domain.reference import csv_rows, read_bytes
from hub.errors import InvalidInput

D = Decimal


def _code_of(fn: Callable[..., object], *args: str) -> str:
    with pytest.raises(InvalidInput) as exc:
        fn(*args)
    return exc.value.code


# ------------------------------------------------------------------------------------------ R-AD-01 -----

@pytest.mark.parametrize(("raw", "kind", "country", "sequence"), [
    ("A-570-979", "A", "570", "979"),  # solar cells from China (orders list; A-451-988's order, CSMS 18-000421)
    ("C-570-068", "C", "570", "068"),  # forged steel fittings from China (CSMS #58721104 example)
    ("A-451-988", "A", "451", "988"),  # third-country case: the order country's case, CBP origin Lithuania
    ("A-570-016", "A", "570", "016"), ("C-570-030", "C", "570", "030"),  # FACTS §4 examples
    ("A-580-836", "A", "580", "836"), ("A-475-829", "A", "475", "829"),  # FACTS §4 examples
    ("a-570-979", "A", "570", "979"),  # lowercase accepted and normalized
    ("c-570-068", "C", "570", "068"),
    ("  A-570-979\t", "A", "570", "979"),  # surrounding whitespace is trimmed
    ("\nC-357-821 ", "C", "357", "821"),
])
def test_r_ad_01_case_number_valid(raw: str, kind: str, country: str, sequence: str) -> None:
    case = parse_case_number(raw)
    assert case == CaseNumber(kind, country, sequence)
    assert str(case) == f"{kind}-{country}-{sequence}"
    assert case.ace == f"{kind}{country}{sequence}"  # CSMS #58721104 writes A570067
    assert case.is_antidumping is (kind == "A")


@pytest.mark.parametrize("raw", [
    "C-53-878",  # the orders list's own malformed row (data_quality_note: "malformed case number in source")
    "A-57-0979",  # digits in the wrong groups
    "X-570-979",  # neither A (antidumping) nor C (countervailing)
    "A-570-97",  # sequence too short
    "A-5700-979",  # country too long
    "A-570-979-001",  # a line's company-specific form is not a case number
    "A570979",  # the ACE form is not the A-CCC-NNN case format
    "A 570 979",  # spaces are not dashes
    "A-570 -979",  # inner whitespace is not trimmed
    "A-570-\u0669\u0667\u0669",  # non-ASCII digits (Arabic-Indic) are not Commerce digits
    "", "   ",
])
def test_r_ad_01_case_number_invalid(raw: str) -> None:
    assert _code_of(parse_case_number, raw) == "INVALID_CASE_NUMBER"


@pytest.mark.parametrize(("raw", "case", "suffix", "ace"), [
    ("A570979", "A-570-979", None, "A570979"),  # ACE 7-character case
    ("A-570-979", "A-570-979", None, "A570979"),  # dashed case on a line
    ("A570067", "A-570-067", None, "A570067"),  # CSMS #58721104 companion example
    ("C357821", "C-357-821", None, "C357821"),  # CSMS #58721104 companion example
    ("C570068001", "C-570-068", "001", "C570068001"),  # CSMS #58721104: company suffix 001
    ("A357820001", "A-357-820", "001", "A357820001"),  # CSMS #58721104
    ("A201837001", "A-201-837", "001", "A201837001"),  # CSMS #58721104 (MFGR/EXPR fails DOC company check)
    ("A-428-825-000", "A-428-825", "000", "A428825000"),  # HQ 229420: all-others style on entry summaries
    (" c570068001 ", "C-570-068", "001", "C570068001"),  # lowercase and whitespace normalized
])
def test_r_ad_01_line_case_forms(raw: str, case: str, suffix: str | None, ace: str) -> None:
    parsed = parse_line_case(raw)
    assert parsed == LineCase(parse_case_number(case), suffix)
    assert str(parsed.case) == case
    assert parsed.company_suffix == suffix
    assert str(parsed) == ace


@pytest.mark.parametrize(("raw", "code"), [
    # FACTS §4 / CBP memo of 2005-07-28: "999" (unknown company) numbers were turned off.
    ("A570979999", "RETIRED_COMPANY_SUFFIX"),
    ("A-570-979-999", "RETIRED_COMPANY_SUFFIX"),
    ("c570068999", "RETIRED_COMPANY_SUFFIX"),
    ("C-53-878", "INVALID_CASE_NUMBER"),  # orders list's malformed row
    ("A-57-0979", "INVALID_CASE_NUMBER"),
    ("X570979", "INVALID_CASE_NUMBER"),
    ("A57097", "INVALID_CASE_NUMBER"),  # 6 characters
    ("A5700680", "INVALID_CASE_NUMBER"),  # 8 characters: neither the 7- nor the 10-character form
    ("A57006800", "INVALID_CASE_NUMBER"),  # 9 characters
    ("A5700680011", "INVALID_CASE_NUMBER"),  # 11 characters
    ("*-***-***-999", "INVALID_CASE_NUMBER"),  # the examples file's pattern row is not a number
    ("", "INVALID_CASE_NUMBER"),
])
def test_r_ad_01_line_case_errors(raw: str, code: str) -> None:
    assert _code_of(parse_line_case, raw) == code


def test_r_ad_01_examples_file() -> None:
    # hub/reference/adcvd_case_number_examples.csv (S-CASE-1 .. S-CASE-4): every real example parses; the
    # retired-suffix row is a pattern, not a number.
    for row in csv_rows("adcvd_case_number_examples.csv"):
        number, kind = row["case_number"], row["kind"]
        if kind == "retired_suffix":
            assert number.endswith("999")
            continue
        parsed = parse_line_case(number)
        if kind == "third_country_case":
            assert parse_case_number(number) == parsed.case
            assert country_iso(parsed.case.country_code) == "LT"  # CBP origin Lithuania, not China
        elif kind == "ace_7_char_case":
            assert parsed.company_suffix is None
        else:
            assert parsed.company_suffix in {"001", "000"}


def test_r_ad_01_orders_list() -> None:
    # hub/reference/adcvd_orders.csv: every case number is well-formed except the row the source itself flags.
    rejected = []
    for row in csv_rows("adcvd_orders.csv"):
        try:
            parse_case_number(row["case_number"])
        except InvalidInput:
            rejected.append((row["case_number"], row["data_quality_note"]))
    assert rejected == [("C-53-878", "malformed case number in source")]


@pytest.mark.parametrize(("case", "companion"), [
    ("C-570-068", ("A", "570")),  # CSMS #58721104: C570068 <-> A570067
    ("A-570-067", ("C", "570")),
    ("A-357-820", ("C", "357")),  # CSMS #58721104: A357820 <-> C357821
])
def test_r_ad_03_companion_kind_and_country(case: str, companion: tuple[str, str]) -> None:
    assert companion_of(parse_case_number(case)) == companion


# -------------------------------------------------------------------------------- Commerce countries -----

@pytest.mark.parametrize(("code", "iso"), [
    ("570", "CN"), ("451", "LT"), ("580", "KR"), ("475", "IT"), ("583", "TW"),  # FACTS §4 and CSMS 18-000421
    ("357", "AR"), ("201", "MX"), ("428", "DE"),  # CSMS #58721104 and HQ 229420 examples
    ("053", None), ("53", None), ("999", None), ("", None),  # unknown to the Hub's table
    ("507", None), ("553", None), ("522", None),  # orders-list codes the Hub's table does not carry
])
def test_country_iso(code: str, iso: str | None) -> None:
    assert country_iso(code) == iso


def test_commerce_country_table_is_one_to_one() -> None:
    countries = commerce_countries()
    assert all(c.code == code and len(c.code) == 3 and len(c.iso2) == 2 for code, c in countries.items())
    assert len({c.iso2 for c in countries.values()}) == len(countries)
    assert countries["451"].name == "Lithuania"


# ----------------------------------------------------------------------------------------- deposits -----

@pytest.mark.parametrize(("value", "rate", "deposit"), [
    ("10000.00", "238.95", "23895.00"),
    ("1234.56", "15.24", "188.15"),  # 188.146944 -> down
    ("1234.56", "15.25", "188.27"),  # 188.2704 -> down
    ("2.50", "1", "0.03"),  # 0.025: half-up (banker's rounding would give 0.02)
    ("0.50", "1", "0.01"),  # 0.005: half-up (banker's rounding would give 0.00)
    ("0.49", "1", "0.00"),
    ("99.99", "100", "99.99"),
    ("1000", "0", "0.00"),
    ("0", "238.95", "0.00"),
    ("333.33", "33.333", "111.11"),  # 111.1088889 -> up
])
def test_cash_deposit_rounds_half_up_to_cents(value: str, rate: str, deposit: str) -> None:
    owed = cash_deposit(D(value), D(rate))
    assert isinstance(owed, Decimal)
    assert owed == D(deposit)
    assert owed.as_tuple().exponent == -2  # always to the cent
    assert str(owed) == deposit


def test_cash_deposit_never_float() -> None:
    with pytest.raises(TypeError):
        cash_deposit(10000.0, D("1"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cash_deposit(D("10000"), 1.5)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- HTS -----

@pytest.mark.parametrize(("raw", "normalized"), [
    ("7318.15.5051", "7318.15.50.51"), ("7318155051", "7318.15.50.51"), ("7318.15.50.51", "7318.15.50.51"),
    ("8541.40.6020", "8541.40.60.20"), (" 85414060 ", "8541.40.60"), ("8541.40.60", "8541.40.60"),
])
def test_normalize_hts(raw: str, normalized: str) -> None:
    assert normalize_hts(raw) == normalized


@pytest.mark.parametrize("raw", [
    "7318", "731815", "731815505", "73181550511", "7318-15-50-51", "7318..15.5051", "ABCD.15.5051", "",
    "\uff18\uff15\uff14\uff11\uff14\uff10\uff16\uff10",  # fullwidth digits are not HTS digits
])
def test_normalize_hts_invalid(raw: str) -> None:
    assert _code_of(normalize_hts, raw) == "INVALID_HTS_NUMBER"


@pytest.mark.parametrize(("hts", "scope", "inside"), [
    ("8541.40.6020", (), True),  # no HTS list on file: counts as in scope, so the check asks the importer
    ("8541.40.6020", ("8541.40.6020",), True),
    ("8541406020", ("8541.40.60.20",), True),  # dots do not matter
    ("8541.40.6020", ("8541.40",), True),  # line under a broader listed heading
    ("8541.40.60", ("8541.40.6020", "8541.40.6030"), True),  # 8-digit line, 10-digit list: prefix the other way
    ("8541.40.6030", ("8501.31.8000", "8541.40.6030"), True),  # any listed number
    ("8541.40.6020", ("8541.40.6030",), False),
    ("7318.15.5051", ("8541.40",), False),
    ("8541.41.0000", ("8541.40",), False),
])
def test_hts_in_scope(hts: str, scope: tuple[str, ...], inside: bool) -> None:
    assert hts_in_scope(hts, scope) is inside


# -------------------------------------------------------------------------------------- entry types -----

@pytest.mark.parametrize(("raw", "code"), [
    ("1", "01"), ("01", "01"), ("03", "03"), ("3", "03"), (" 7 ", "07"), ("34", "34"), ("38", "38"), ("86", "86"),
])
def test_validate_entry_type(raw: str, code: str) -> None:
    assert validate_entry_type(raw) == code


@pytest.mark.parametrize("raw", ["99", "00", "", "003", "04", "A3", "3A"])
def test_validate_entry_type_invalid(raw: str) -> None:
    assert _code_of(validate_entry_type, raw) == "INVALID_ENTRY_TYPE"


# ---------------------------------------------------------------------------------- checks as data -----

def test_checks_config_equals_the_json() -> None:
    raw = json.loads(read_bytes("adcvd_checks.json"))
    config = checks_config()
    window = raw["third_country_window"]
    assert window["csms"] == "46031819"
    assert config.window.entries_from == date.fromisoformat(window["entries_from"]) == date(2019, 10, 5)
    assert config.window.entries_through == date.fromisoformat(window["entries_through"]) == date(2020, 10, 28)
    assert config.window.deadlines == tuple(
        (date.fromisoformat(d["due_on"]), d["basis"]) for d in window["correction_deadlines"])
    # 60 days from 2021-02-02 (Expeditors), then CBP's extension to 2021-05-03 (ST&R).
    assert [d for d, _ in config.window.deadlines] == [date(2021, 4, 3), date(2021, 5, 3)]
    assert config.window.effective_deadline == date.fromisoformat(window["effective_deadline"]) == date(2021, 5, 3)
    assert config.adcvd_entry_types == frozenset(raw["adcvd_entry_types"]) == {"03", "07", "34", "38"}
    assert dict(config.entry_types) == raw["entry_types"]
    assert set(config.entry_types) == {"01", "02", "03", "06", "07", "11", "21", "34", "38", "86"}  # FACTS §4
    assert config.adcvd_entry_types <= set(config.entry_types)
    assert config.liquidation_after_suspension_months == raw["liquidation_after_suspension_months"] == 6
    assert config.retired_company_suffix == raw["retired_company_suffix"] == "999"


@pytest.mark.parametrize(("day", "covered"), [
    (date(2019, 10, 4), False), (date(2019, 10, 5), True), (date(2020, 3, 1), True),
    (date(2020, 10, 28), True), (date(2020, 10, 29), False),
])
def test_csms_46031819_window_edges(day: date, covered: bool) -> None:
    assert checks_config().window.covers(day) is covered
