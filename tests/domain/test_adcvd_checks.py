"""AD/CVD entry checks (hub/domain/adcvd_checks.py), FACTS §4 and §10.3: R-AD-02 country match and the CSMS
#46031819 third-country window (PSC by 2021-05-03, voluntary tender under 19 CFR 141.105 once liquidated), R-AD-03
companion and company-suffix checks (CSMS #58721104), R-AD-04 entry type (CSMS 15-000743), R-AD-05 deemed
liquidation (19 U.S.C. 1504(d)) and reimbursement certificates (19 CFR 351.402(f)), and the non-resident flag.

Case numbers, order dates and companions are from hub/reference/adcvd_orders.csv and
adcvd_case_number_examples.csv. Rates, values, deposits and company names are made up for the tests."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date
from decimal import Decimal
from types import MappingProxyType

import pytest

from hub.domain.adcvd import checks_config
from hub.domain.adcvd_checks import CaseFacts, EntryFacts, Finding, LineFacts, findings

D = Decimal
CONFIG = checks_config()
SOLAR_HTS = ("8541.40.6020", "8541.40.6030", "8501.31.8000")  # test scope for the solar-cells order
TODAY = date(2026, 1, 5)

ORDER_CN = CaseFacts("A-570-979", "CN", hts_scope=SOLAR_HTS, order_date=date(2012, 12, 7))
THIRD_LT = CaseFacts("A-451-988", "LT", third_country_of="A-570-979", order_date=date(2018, 7, 3),
                     rate_percent=D("238.95"))  # CSMS 18-000421: China solar cells, CBP origin Lithuania
CVD_FITTINGS = CaseFacts("C-570-068", "CN", companion_number="A-570-067", order_date=date(2018, 11, 26),
                         companies={"001": "Example Fittings Co., Ltd."})
AD_FITTINGS = CaseFacts("A-570-067", "CN", companion_number="C-570-068", order_date=date(2018, 11, 26))
AD_BIODIESEL = CaseFacts("A-357-820", "AR", companion_number="C-357-821", order_date=date(2018, 4, 26),
                         companies={"001": "Example Biodiesel S.A."})
CVD_BIODIESEL = CaseFacts("C-357-821", "AR", companion_number="A-357-820", order_date=date(2018, 1, 4))
AD_BRICKS = CaseFacts("A-201-837", "MX", order_date=date(2010, 9, 20),
                      companies={"001": "Example Refractarios, S.A. de C.V."})
CASES = {c.number: c for c in (ORDER_CN, THIRD_LT, CVD_FITTINGS, AD_FITTINGS, AD_BIODIESEL, CVD_BIODIESEL,
                                AD_BRICKS)}


def _line(n: int = 1, *, hts: str = "8541.40.6020", origin: str = "CN", value: str = "10000.00",
          case: str | None = None, suffix: str | None = None, manufacturer: str | None = None,
          deposit: str | None = None) -> LineFacts:
    return LineFacts(n, hts, origin, D(value), case, suffix, manufacturer, D(deposit) if deposit else None)


def _entry(*lines: LineFacts, entry_type: str = "03", entered: date = date(2023, 3, 1),
           liquidated: date | None = None, lifted: date | None = None, certificate: bool = True,
           non_resident: bool = False) -> EntryFacts:
    # Defaults keep R-AD-04 and R-AD-05 quiet, so that each test sees only the rule it is about.
    return EntryFacts("002-6110316-2", entry_type, entered, lines, liquidated, lifted, certificate, non_resident)


def _codes(found: list[Finding]) -> list[str]:
    return [f.code for f in found]


# ------------------------------------------------------------------------------ R-AD-02 country match -----

def test_r_ad_02_order_case_on_third_country_origin_names_the_third_country_case() -> None:
    # CSMS 18-000421: the case country must equal the CBP origin; A-451-988 is the Lithuanian case of A-570-979.
    found = findings(_entry(_line(3, origin="LT", case="A-570-979")), CASES, CONFIG, TODAY)
    assert _codes(found) == ["CASE_COUNTRY_MISMATCH"]
    assert found[0].rule_id == "R-AD-02" and found[0].line_number == 3
    assert "A-451-988" in found[0].message and "CN" in found[0].message and "LT" in found[0].message
    assert found[0].due_on is None and found[0].amount is None


def test_r_ad_02_mismatch_without_a_third_country_case_asks_for_one() -> None:
    cases = {k: v for k, v in CASES.items() if k != "A-451-988"}
    found = findings(_entry(_line(origin="LT", case="A-570-979")), cases, CONFIG, TODAY)
    assert _codes(found) == ["CASE_COUNTRY_MISMATCH"]
    assert "Ask Commerce for a third-country case number linked to A-570-979 for origin LT" in found[0].message
    assert "A-451-988" not in found[0].message


def test_r_ad_02_third_country_case_on_another_third_country() -> None:
    # A-451-988 declared on goods of German origin: the hint points back to the order, A-570-979.
    found = findings(_entry(_line(origin="DE", case="A-451-988")), CASES, CONFIG, TODAY)
    assert _codes(found) == ["CASE_COUNTRY_MISMATCH"]
    assert "linked to A-570-979 for origin DE" in found[0].message


def test_r_ad_02_third_country_case_on_goods_of_the_order_country() -> None:
    # A-451-988 declared on goods of Chinese origin: the order's own case is the one to declare, not a new one.
    found = findings(_entry(_line(origin="CN", case="A-451-988")), CASES, CONFIG, TODAY)
    assert _codes(found) == ["CASE_COUNTRY_MISMATCH"]
    assert "Declare the order's own case A-570-979 instead." in found[0].message
    assert "Ask Commerce" not in found[0].message


@pytest.mark.parametrize(("case", "origin"), [
    ("A-451-988", "LT"),  # the correct third-country declaration (CSMS 18-000421)
    ("A-570-979", "CN"),  # the order's own case on goods of the order country
    ("A-201-837", "MX"),  # no companion case (orders list)
])
def test_r_ad_02_country_matches(case: str, origin: str) -> None:
    assert findings(_entry(_line(origin=origin, case=case)), CASES, CONFIG, TODAY) == []


def test_r_ad_02_case_country_unknown_to_the_hub_is_not_judged() -> None:
    # The orders list's C-507-997 carries a code the Hub's country table lacks: no basis for a finding.
    cases = dict(CASES, **{"C-507-997": CaseFacts("C-507-997", None)})
    assert findings(_entry(_line(origin="CN", case="C-507-997")), cases, CONFIG, TODAY) == []


# ------------------------------------------------------------------ R-AD-02 / CSMS #46031819 window -----

@pytest.mark.parametrize(("entered", "inside"), [
    (date(2019, 10, 4), False),
    (date(2019, 10, 5), True),  # first day ACE refused the third-country numbers
    (date(2020, 5, 15), True),
    (date(2020, 10, 28), True),  # last day
    (date(2020, 10, 29), False),
])
def test_csms_46031819_window(entered: date, inside: bool) -> None:
    # A line of Lithuanian origin in the solar-cells scope, declared without any case (ACE refused A-451-988).
    entry = _entry(_line(2, origin="LT"), entry_type="01", entered=entered)
    found = findings(entry, CASES, CONFIG, TODAY)
    if not inside:
        assert found == []
        return
    assert found == [Finding("R-AD-02", "THIRD_COUNTRY_CASE_MISSING", found[0].message, 2, date(2021, 5, 3),
                             D("23895.00"))]  # 10,000.00 x 238.95 %
    assert found[0].due_on == CONFIG.window.effective_deadline
    assert "A-451-988" in found[0].message
    assert "2021-04-03" in found[0].message and "2021-05-03" in found[0].message  # both published deadlines
    assert "$23,895.00" in found[0].message


def test_csms_46031819_liquidated_entry_needs_a_voluntary_tender() -> None:
    entry = _entry(_line(origin="LT", value="1234.56"), entry_type="01", entered=date(2020, 1, 15),
                   liquidated=date(2020, 12, 4))
    found = findings(entry, CASES, CONFIG, TODAY)
    assert _codes(found) == ["VOLUNTARY_TENDER_REQUIRED"]
    assert found[0].rule_id == "R-AD-02"
    assert "19 CFR 141.105" in found[0].message
    assert found[0].due_on is None  # no published deadline for tenders
    assert found[0].amount == D("2949.98")  # 1,234.56 x 238.95 % = 2,949.981120


def test_csms_46031819_rate_not_on_file() -> None:
    cases = dict(CASES, **{"A-451-988": dataclasses.replace(THIRD_LT, rate_percent=None)})
    found = findings(_entry(_line(origin="LT"), entered=date(2020, 1, 15)), cases, CONFIG, TODAY)
    assert _codes(found) == ["THIRD_COUNTRY_CASE_MISSING"]
    assert found[0].amount is None and found[0].due_on == date(2021, 5, 3)
    assert "rate not on file" in found[0].message


@pytest.mark.parametrize(("line", "why"), [
    (_line(origin="LT", hts="7318.15.5051"), "HTS outside the order's scope"),
    (_line(origin="DE"), "no third-country case for this origin"),
    (_line(origin="CN"), "the order country itself is not a third country"),
    (_line(origin="LT", case="A-451-988"), "third-country case declared"),
])
def test_csms_46031819_no_finding(line: LineFacts, why: str) -> None:
    assert findings(_entry(line, entered=date(2020, 1, 15)), CASES, CONFIG, TODAY) == [], why


def test_csms_46031819_scope_comes_from_the_order() -> None:
    # The order's HTS list governs when the order is on file; otherwise the third-country case's own list does,
    # and an empty list counts as in scope (hts_in_scope: err on the side of asking).
    entry = _entry(_line(origin="LT", hts="7318.15.5051"), entered=date(2020, 1, 15))
    without_order = {k: v for k, v in CASES.items() if k != "A-570-979"}
    assert _codes(findings(entry, without_order, CONFIG, TODAY)) == ["THIRD_COUNTRY_CASE_MISSING"]
    assert findings(entry, CASES, CONFIG, TODAY) == []


def test_csms_46031819_window_is_data() -> None:
    # A new CSMS is a data change (hub/reference/adcvd_checks.json), not a code change.
    later = dataclasses.replace(CONFIG.window, entries_from=date(2022, 1, 1), entries_through=date(2022, 12, 31),
                                deadlines=((date(2023, 6, 30), "test"),), effective_deadline=date(2023, 6, 30))
    config = dataclasses.replace(CONFIG, window=later)
    assert findings(_entry(_line(origin="LT"), entered=date(2020, 1, 15)), CASES, config, TODAY) == []
    found = findings(_entry(_line(origin="LT"), entered=date(2022, 1, 1)), CASES, config, TODAY)
    assert [(f.code, f.due_on) for f in found] == [("THIRD_COUNTRY_CASE_MISSING", date(2023, 6, 30))]


# ------------------------------------------------------------------------ R-AD-03 companion cases -----

def test_r_ad_03_companion_missing() -> None:
    # CSMS #58721104's example: C570068001 declared without its AD companion A570067.
    entry = _entry(_line(2, case="C-570-068"), _line(4, hts="7307.99.5015", case="C-570-068"),
                   entered=date(2024, 2, 1))
    found = findings(entry, CASES, CONFIG, TODAY)
    assert _codes(found) == ["COMPANION_CASE_MISSING"]
    assert found[0].rule_id == "R-AD-03" and found[0].line_number == 2
    assert "A-570-067" in found[0].message and "lines 2, 4" in found[0].message


def test_r_ad_03_companion_missing_even_when_not_on_file() -> None:
    cases = {k: v for k, v in CASES.items() if k != "A-570-067"}
    found = findings(_entry(_line(case="C-570-068"), entered=date(2024, 2, 1)), cases, CONFIG, TODAY)
    assert _codes(found) == ["COMPANION_CASE_MISSING"]


def test_r_ad_03_both_companions_declared() -> None:
    entry = _entry(_line(1, case="C-570-068"), _line(2, case="A-570-067"), entered=date(2024, 2, 1))
    assert findings(entry, CASES, CONFIG, TODAY) == []


@pytest.mark.parametrize(("entered", "flagged"), [
    # Biodiesel from Argentina: CVD order 2018-01-04, AD order 2018-04-26 (orders list, CSMS #58721104 example).
    (date(2018, 3, 1), False),  # the AD companion did not exist yet on the date of entry
    (date(2018, 4, 25), False),
    (date(2018, 4, 26), True),  # order date: the companion exists
    (date(2018, 5, 1), True),
])
def test_r_ad_03_companion_ordered_after_entry(entered: date, flagged: bool) -> None:
    found = findings(_entry(_line(origin="AR", case="C-357-821"), entered=entered), CASES, CONFIG, TODAY)
    assert _codes(found) == (["COMPANION_CASE_MISSING"] if flagged else [])


def test_r_ad_03_no_companion_no_finding() -> None:
    assert findings(_entry(_line(origin="MX", case="A-201-837")), CASES, CONFIG, TODAY) == []


# ----------------------------------------------------------------------- R-AD-03 company suffixes -----

@pytest.mark.parametrize(("suffix", "manufacturer", "code"), [
    ("002", "Example Biodiesel S.A.", "COMPANY_SUFFIX_UNKNOWN"),  # not on file for A-357-820
    ("002", None, "COMPANY_SUFFIX_UNKNOWN"),
    ("001", "Other Oilseeds S.A.", "COMPANY_SUFFIX_MISMATCH"),  # CSMS #58721104: MFGR/EXPR fails DOC company
    ("001", "Example Biodiesel S.A.", None),
    ("001", "EXAMPLE BIODIESEL SA", None),  # case and punctuation are ignored
    ("001", "  example   biodiesel, s.a. ", None),  # so is spacing
    ("001", None, None),  # no manufacturer declared: nothing to compare
    ("001", "", None),
    (None, "Anyone at all", None),  # case-wide (no suffix) declaration
])
def test_r_ad_03_company_suffix(suffix: str | None, manufacturer: str | None, code: str | None) -> None:
    entry = _entry(_line(origin="AR", case="A-357-820", suffix=suffix, manufacturer=manufacturer),
                   _line(2, origin="AR", case="C-357-821"))
    found = findings(entry, CASES, CONFIG, TODAY)
    assert _codes(found) == ([code] if code else [])
    if code:
        assert found[0].rule_id == "R-AD-03" and found[0].line_number == 1


def test_r_ad_03_company_suffix_on_a_case_with_punctuated_name() -> None:
    line = _line(origin="MX", case="A-201-837", suffix="001", manufacturer="example refractarios sa de cv")
    assert findings(_entry(line), CASES, CONFIG, TODAY) == []


# ------------------------------------------------------------------------------ R-AD-04 entry type -----

@pytest.mark.parametrize(("entry_type", "flagged"), [(t, t not in {"03", "07", "34", "38"}) for t in sorted(
    CONFIG.entry_types)])
def test_r_ad_04_entry_type(entry_type: str, flagged: bool) -> None:
    entry = _entry(_line(1, case="C-570-068", deposit="100.10"), _line(2, case="A-570-067", deposit="200.25"),
                   _line(3, hts="7307.99.5015", case="A-570-067"), _line(4, hts="9403.20.0090", deposit="7.00"),
                   entry_type=entry_type)
    found = findings(entry, CASES, CONFIG, TODAY)
    if not flagged:
        assert found == []
        return
    # CSMS 15-000743: a PSC 01 -> 03 must come with the deposit of the AD/CVD lines (the non-AD/CVD line's 7.00
    # is no AD/CVD deposit).
    assert found == [Finding("R-AD-04", "ADCVD_ON_NON_ADCVD_ENTRY_TYPE", found[0].message, None, None, D("300.35"))]
    assert "$300.35" in found[0].message and "03/07/34/38" in found[0].message


def test_r_ad_04_type_01_without_adcvd_lines() -> None:
    entry = _entry(_line(1, deposit="5.00"), _line(2, origin="LT", hts="7318.15.5051"), entry_type="01")
    assert findings(entry, CASES, CONFIG, TODAY) == []


def test_r_ad_04_no_deposits_recorded() -> None:
    found = findings(_entry(_line(case="A-570-979"), entry_type="01"), CASES, CONFIG, TODAY)
    assert [(f.code, f.amount) for f in found] == [("ADCVD_ON_NON_ADCVD_ENTRY_TYPE", D("0.00"))]


# --------------------------------------------------------------------- R-AD-05 deemed liquidation -----

@pytest.mark.parametrize(("lifted", "today", "due"), [
    (date(2024, 1, 31), date(2024, 7, 31), None),  # 6 months of the notice: last day, not yet deemed
    (date(2024, 1, 31), date(2024, 8, 1), date(2024, 7, 31)),
    (date(2023, 8, 31), date(2024, 2, 29), None),  # Aug 31 + 6 months = Feb 29 (leap year)
    (date(2023, 8, 31), date(2024, 3, 1), date(2024, 2, 29)),
    (date(2024, 8, 31), date(2025, 2, 28), None),  # Aug 31 + 6 months = Feb 28
    (date(2024, 8, 31), date(2025, 3, 1), date(2025, 2, 28)),
    (date(2024, 3, 15), date(2024, 9, 16), date(2024, 9, 15)),
    (date(2024, 3, 15), date(2024, 1, 1), None),  # today before the notice
])
def test_r_ad_05_deemed_liquidated(lifted: date, today: date, due: date | None) -> None:
    # 19 U.S.C. 1504(d): liquidate within 6 months of the notice lifting the suspension, else deemed liquidated.
    entry = _entry(_line(case="A-570-979", deposit="50.00"), lifted=lifted)
    found = findings(entry, CASES, CONFIG, today)
    if due is None:
        assert found == []
        return
    assert [(f.rule_id, f.code, f.due_on, f.amount) for f in found] == [("R-AD-05", "DEEMED_LIQUIDATED", due, None)]
    assert "19 U.S.C. 1504(d)" in found[0].message and lifted.isoformat() in found[0].message


@pytest.mark.parametrize(("liquidated", "lifted", "certificate", "codes"), [
    # Liquidated within 6 months of the lift notice, certificate on file: nothing to flag.
    (date(2024, 5, 1), date(2024, 1, 31), True, []),
    # 19 CFR 351.402(f): liquidated without a certificate -> reimbursement presumed, AD doubled (not projected).
    (date(2024, 5, 1), date(2024, 1, 31), False, ["REIMBURSEMENT_CERTIFICATE_MISSING"]),
    (date(2024, 5, 1), None, False, ["REIMBURSEMENT_CERTIFICATE_MISSING"]),
    # 19 U.S.C. 1504(d): a liquidation after lift + 6 months comes too late; the entry was deemed liquidated.
    (date(2024, 8, 1), date(2024, 1, 31), True, ["DEEMED_LIQUIDATED"]),
    (date(2024, 7, 31), date(2024, 1, 31), True, []),  # on the last day: in time
])
def test_r_ad_05_liquidated_entries(liquidated: date, lifted: date | None, certificate: bool,
                                    codes: list[str]) -> None:
    entry = _entry(_line(case="A-570-979", deposit="50.00"), lifted=lifted, liquidated=liquidated,
                   certificate=certificate)
    found = findings(entry, CASES, CONFIG, date(2030, 1, 1))
    assert [f.code for f in found] == codes
    for f in found:
        if f.code == "REIMBURSEMENT_CERTIFICATE_MISSING":
            assert f.amount == Decimal("50.00") and "presumed" in f.message and f.due_on is None
        else:
            assert f.due_on == date(2024, 7, 31) and liquidated.isoformat() in f.message


def test_r_ad_05_suspension_not_lifted() -> None:
    assert findings(_entry(_line(case="A-570-979")), CASES, CONFIG, date(2030, 1, 1)) == []


# -------------------------------------------------------------- R-AD-05 reimbursement certificate -----

@pytest.mark.parametrize(("lines", "certificate", "amount"), [
    # 19 CFR 351.402(f): no certificate before liquidation -> AD duty doubled; the projection is the AD deposits.
    ((_line(1, case="A-570-979", deposit="120.50"),), False, "120.50"),
    ((_line(1, case="A-570-979", deposit="120.50"), _line(2, origin="LT", case="A-451-988", deposit="9.49"),
      _line(3, case="C-570-068", deposit="1000.00"), _line(4, case="A-570-067", deposit="0.01"),
      _line(5, deposit="3.00")), False, "130.00"),  # CVD and non-AD/CVD deposits are not doubled
    ((_line(1, case="A-570-979"),), False, "0.00"),  # no deposit recorded
    ((_line(1, case="A-570-979", deposit="120.50"),), True, None),  # certificate on file
    ((_line(1, case="C-570-068", deposit="1000.00"), _line(2, case="A-570-067")), True, None),
    ((_line(1, origin="AR", case="C-357-821", deposit="1000.00"),), False, None),  # CVD only
    ((_line(1, deposit="3.00"),), False, None),  # no AD/CVD lines
])
def test_r_ad_05_reimbursement_certificate(lines: tuple[LineFacts, ...], certificate: bool,
                                            amount: str | None) -> None:
    found = findings(_entry(*lines, entered=date(2017, 6, 1), certificate=certificate), CASES, CONFIG, TODAY)
    if amount is None:
        assert found == []
        return
    assert [(f.rule_id, f.code, f.due_on, f.amount) for f in found] == [
        ("R-AD-05", "REIMBURSEMENT_CERTIFICATE_MISSING", None, D(amount))]
    assert "19 CFR 351.402(f)" in found[0].message and f"${D(amount):,}" in found[0].message


# ------------------------------------------------------------------------ non-resident importers -----

@pytest.mark.parametrize(("non_resident", "line", "flagged"), [
    (True, _line(case="A-570-979"), True),
    (True, _line(), False),  # no AD/CVD line
    (False, _line(case="A-570-979"), False),
    (False, _line(), False),
])
def test_non_resident_importer(non_resident: bool, line: LineFacts, flagged: bool) -> None:
    # FACTS §4: the specific rules are UNCONFIRMED, so the Hub only flags the entry for review.
    found = findings(_entry(line, non_resident=non_resident), CASES, CONFIG, TODAY)
    assert _codes(found) == (["NON_RESIDENT_IMPORTER"] if flagged else [])
    if flagged:
        assert found[0].rule_id == "FACTS-4-NON-RESIDENT"
        assert (found[0].line_number, found[0].due_on, found[0].amount) == (None, None, None)


# ------------------------------------------------------------------------------------ purity, order -----

def _busy_entry() -> EntryFacts:
    return _entry(
        _line(1, origin="LT", case="A-570-979", deposit="10.00"),  # R-AD-02 mismatch
        _line(2, origin="LT"),  # CSMS #46031819 window
        _line(3, case="C-570-068", suffix="001", manufacturer="Someone Else Ltd", deposit="20.00"),  # R-AD-03 x2
        _line(4, origin="AR", case="A-357-820", suffix="009", deposit="30.00"),  # R-AD-03 suffix unknown + companion
        entry_type="01", entered=date(2020, 6, 1), lifted=date(2021, 1, 15), certificate=False, non_resident=True)


def test_findings_order_is_stable() -> None:
    found = findings(_busy_entry(), CASES, CONFIG, date(2022, 1, 1))
    assert [(f.code, f.line_number) for f in found] == [
        ("CASE_COUNTRY_MISMATCH", 1),
        ("THIRD_COUNTRY_CASE_MISSING", 2),
        ("COMPANY_SUFFIX_MISMATCH", 3),
        ("COMPANY_SUFFIX_UNKNOWN", 4),
        ("COMPANION_CASE_MISSING", 4),  # sorted by case number: A-357-820 before C-570-068
        ("COMPANION_CASE_MISSING", 3),
        ("ADCVD_ON_NON_ADCVD_ENTRY_TYPE", None),
        ("DEEMED_LIQUIDATED", None),
        ("REIMBURSEMENT_CERTIFICATE_MISSING", None),
        ("NON_RESIDENT_IMPORTER", None),
    ]
    amounts = {f.code: f.amount for f in found}
    assert amounts["ADCVD_ON_NON_ADCVD_ENTRY_TYPE"] == D("60.00")
    assert amounts["REIMBURSEMENT_CERTIFICATE_MISSING"] == D("40.00")  # lines 1 and 4 (AD), not line 3 (CVD)
    assert amounts["THIRD_COUNTRY_CASE_MISSING"] == D("23895.00")


def test_findings_are_pure_and_deterministic() -> None:
    entry = _busy_entry()
    cases = copy.deepcopy(CASES)
    entry_before, cases_before = copy.deepcopy(entry), copy.deepcopy(cases)
    first = findings(entry, cases, CONFIG, date(2022, 1, 1))
    second = findings(entry, cases, CONFIG, date(2022, 1, 1))
    assert first == second and len(first) == 10
    assert entry == entry_before and cases == cases_before
    assert list(cases) == list(cases_before)
    # Read-only inputs are enough: nothing is written back.
    frozen = MappingProxyType({k: dataclasses.replace(v, companies=MappingProxyType(dict(v.companies)))
                               for k, v in cases.items()})
    assert findings(entry, frozen, CONFIG, date(2022, 1, 1)) == first
    # The order in which the cases are handed over does not matter.
    reversed_cases = dict(reversed(list(cases.items())))
    assert findings(entry, reversed_cases, CONFIG, date(2022, 1, 1)) == first


def test_csms_window_deposit_uses_the_rate_in_effect_on_the_date_of_entry() -> None:
    # 19 CFR 351.212(c): deposits (and assessment absent a review) follow the rate in effect on the date of
    # entry, not the latest one. Invented rates: 100% until mid-2020, 200% after.
    dated = CaseFacts("A-451-988", "LT", third_country_of="A-570-979", order_date=date(2018, 7, 3),
                      rate_history=((date(2018, 7, 3), D("100")), (date(2020, 6, 1), D("200"))))
    cases = {**CASES, "A-451-988": dated}
    before = findings(_entry(_line(origin="LT"), entered=date(2020, 3, 10)), cases, CONFIG, TODAY)
    after = findings(_entry(_line(origin="LT"), entered=date(2020, 6, 15)), cases, CONFIG, TODAY)
    assert [(f.code, f.amount) for f in before] == [("THIRD_COUNTRY_CASE_MISSING", D("10000.00"))]
    assert [(f.code, f.amount) for f in after] == [("THIRD_COUNTRY_CASE_MISSING", D("20000.00"))]
    early = CaseFacts("A-451-988", "LT", third_country_of="A-570-979",
                      rate_history=((date(2021, 1, 1), D("100")),))
    [none_yet] = findings(_entry(_line(origin="LT"), entered=date(2020, 3, 10)), {**CASES, "A-451-988": early},
                          CONFIG, TODAY)
    assert none_yet.amount is None and "rate not on file" in none_yet.message
